import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '@temporalio/common';
import { bundleWorkflowCode } from '@temporalio/worker';
import { childProcessEnvironment, loadEnvConfig, projectPaths, type EnvConfig, type ProjectPaths } from '../src/config';
import { createNightshiftWorker, type WorkerHandle } from '../src/worker/run';
import { createTemporalClient, type TemporalClient } from '../src/temporal/connection';
import { startPipeline } from '../src/cli/commands/start';
import { awaitPipelineResult } from '../src/temporal/pipeline-result';
import type { PipelineResult } from '../src/shared/contracts/pipeline';
import type { TaskRecord } from '../src/shared/contracts/task';
import { packageRoot } from '../src/util/package-root';
import { monitorWorkflowId, pipelineWorkflowId } from '../src/shared/names';
import { writeGcProbe, type MemorySample } from './gc-probe';
import { noopAgentCommand, type AgentRecord } from './noop-agent';
import { workerProcessEnvironment } from '../src/worker/process-env';

/** What every benchmark gets from main.ts. */
export interface BenchContext {
  /** A fresh temp dir for this bench run (projects, record files, logs). */
  workDir: string;
  /** The embedded dev server's frontend address. */
  address: string;
  /** The embedded dev server's process (its CPU time is part of what a figure costs). */
  serverPid: number;
  /** The no-op agent script. */
  agentFile: string;
  quick: boolean;
  /** The exact command line that is running (for the report). */
  command: string;
  /** With `--profile`: where the worker and API child processes write their CPU profiles. */
  profileDir: string | null;
  log(line: string): void;
}

export { freePort } from '../src/util/free-port';

export const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A real git repository with a product backlog of `items` lines (no meta backlog). */
export function makeGitProject(dir: string, items: string[]): string {
  mkdirSync(path.join(dir, 'specs'), { recursive: true });
  writeFileSync(
    path.join(dir, 'specs', '006-overnight-backlog.md'),
    `# Backlog\n\n${items.map((t, i) => `${i + 1}. ${t}`).join('\n')}\n`,
  );
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@nightshift.invalid', ...args], {
      cwd: dir,
      stdio: 'ignore',
    });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  return dir;
}

/** `n` distinct backlog items (distinct text = distinct item keys). */
export function benchItems(n: number, label: string): string[] {
  return Array.from(
    { length: n },
    (_, i) => `Bench ${label} item ${String(i + 1).padStart(4, '0')}: make the no-op change`,
  );
}

/** The environment of a pipeline under test: the bench server, its own task queue, the no-op agent. */
export function pipelineEnv(
  ctx: BenchContext,
  o: {
    taskQueue: string;
    recordFile: string | null;
    parallel: number;
    failReviews?: { failReviews: number; stateDir: string };
    extra?: Record<string, string>;
  },
): Record<string, string> {
  return {
    PATH: loadEnvConfig().PATH,
    TEMPORAL_ADDRESS: ctx.address,
    TEMPORAL_TASK_QUEUE: o.taskQueue,
    PIPELINE_AGENT: 'command',
    PIPELINE_AGENT_COMMAND: noopAgentCommand(ctx.agentFile, o.recordFile, o.failReviews ?? null),
    PIPELINE_META_RATIO: '0',
    PIPELINE_AUTO_COMMIT: '0',
    // The no-op agent changes no file by design: its impl tasks are completions, as they were before the tree was
    // judged.
    PIPELINE_IMPL_NO_CHANGE: 'allow',
    PIPELINE_PARALLEL_ITEMS: String(o.parallel),
    NIGHTSHIFT_LOG_LEVEL: 'warn',
    ...o.extra,
  };
}

export interface BenchProject {
  root: string;
  config: EnvConfig;
  paths: ProjectPaths;
  env: Record<string, string>;
}

/**
 * A fresh git project of `items` backlog items and the environment of its pipeline. With `failReviews`,
 * the first N reviews of every item fail, so each item runs 4 + 3·N tasks (N ≤ PIPELINE_MAX_ITERATIONS − 1).
 */
export function benchProject(
  ctx: BenchContext,
  name: string,
  items: number,
  o: { parallel: number; recordFile: string | null; failReviews?: number; extra?: Record<string, string> },
): BenchProject {
  const root = makeGitProject(path.join(ctx.workDir, name), benchItems(items, name));
  const agentState = path.join(ctx.workDir, `${name}-agent-state`);
  mkdirSync(agentState, { recursive: true });
  const failReviews = o.failReviews ? { failReviews: o.failReviews, stateDir: agentState } : undefined;
  const env = pipelineEnv(ctx, {
    taskQueue: `bench-${name}`,
    recordFile: o.recordFile,
    parallel: o.parallel,
    failReviews,
    extra: o.extra,
  });
  const config = loadEnvConfig(env);
  return { root, config, paths: projectPaths(config, root), env };
}

let bundle: Promise<{ code: string }> | null = null;

/** nightshift's workflow bundle, built once per bench process. */
export function nightshiftBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../src/workflows'), logger: quietLogger() });
  return bundle;
}

/** The bundler's progress lines are noise in the bench output. */
function quietLogger(): Logger {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
}

/** nightshift's own worker (the same composition as `nightshift worker`) inside the bench process. */
export async function inProcessWorker(
  project: BenchProject,
  address: string,
): Promise<{ handle: WorkerHandle; running: Promise<void>; stop(): Promise<void> }> {
  const handle = await createNightshiftWorker({
    config: project.config,
    address,
    workflowBundle: await nightshiftBundle(),
  });
  const running = handle.run();
  return {
    handle,
    running,
    stop: async () => {
      if (handle.worker.getState() === 'RUNNING') handle.shutdown();
      await running;
    },
  };
}

/** Starts the project's pipeline (`--once`) like `nightshift start` does. */
/**
 * Runs the project's pipeline once to its end with nightshift's worker in this
 * process, checks every item passed with the expected task count, and lets
 * `inspect` read histories before the project's workflows are ended.
 */
export async function runInProcess<T>(
  address: string,
  project: BenchProject,
  expect: { label: string; items: number; tasksPerItem: number },
  inspect: (t: TemporalClient, wallMs: number) => Promise<T>,
  /** Called as the pipeline starts and again as it ends (before `inspect`), e.g. to sample CPU time. */
  onPhase?: (phase: 'started' | 'ended') => void,
): Promise<T> {
  const worker = await inProcessWorker(project, address);
  onPhase?.('started');
  const pipeline = await startBenchPipeline(project);
  const started = Date.now();
  try {
    const result = await pipeline.result();
    const wallMs = Date.now() - started;
    onPhase?.('ended');
    if (result.itemsPassed !== expect.items || result.tasksRun !== expect.items * expect.tasksPerItem) {
      throw new Error(`${expect.label}: expected ${expect.items} passed items, got ${JSON.stringify(result)}`);
    }
    return await inspect(pipeline.t, wallMs);
  } finally {
    await endProject(pipeline.t, project.paths.projectId);
    await pipeline.t.close();
    await worker.stop();
  }
}

export async function startBenchPipeline(
  project: BenchProject,
): Promise<{ t: TemporalClient; workflowId: string; result: () => Promise<PipelineResult> }> {
  const t = createTemporalClient(project.config);
  const started = await startPipeline(t, project.config, project.paths, { once: true });
  return { t, workflowId: started.workflowId, result: () => awaitPipelineResult(t, started.workflowId) };
}

/** Ends whatever a project left running (its monitor after a `--once` pipeline, or both after a failure). */
export async function endProject(t: TemporalClient, projectId: string): Promise<void> {
  for (const id of [pipelineWorkflowId(projectId), monitorWorkflowId(projectId)]) {
    await t.client.workflow
      .getHandle(id)
      .terminate('bench finished')
      .catch(() => undefined);
  }
}

export function readJsonlFile<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const out: T[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // a torn last line while a writer appends: skip it
    }
  }
  return out;
}

export function readAgentRecords(file: string): AgentRecord[] {
  return readJsonlFile<AgentRecord>(file);
}

/** task id → item key, from the project's task store. */
export function itemOfTask(stateDir: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const t of readJsonlFile<TaskRecord>(path.join(stateDir, 'tasks.jsonl')))
    if (t.item_key) map.set(t.id, t.item_key);
  return map;
}

/**
 * Hand-offs: within each group (an item, a baseline workflow), ordered by
 * start, the time from one agent's exit to the next agent's process start.
 */
export function handoffsByGroup(records: AgentRecord[], groupOf: (r: AgentRecord) => string | undefined): number[] {
  const groups = new Map<string, AgentRecord[]>();
  for (const r of records) {
    const g = groupOf(r);
    if (g === undefined) continue;
    const list = groups.get(g) ?? [];
    list.push(r);
    groups.set(g, list);
  }
  const out: number[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++) out.push(list[i].start - list[i - 1].end);
  }
  return out;
}

/** Tasks per second: number of agent runs over the span from the first start to the last exit. */
export function taskRate(records: AgentRecord[]): number {
  if (records.length === 0) return 0;
  const first = Math.min(...records.map((r) => r.start));
  const last = Math.max(...records.map((r) => r.end));
  return records.length / Math.max(0.001, (last - first) / 1000);
}

/** Agent runs that ended inside [from, to) per second. */
export function rateBetween(records: AgentRecord[], from: number, to: number): number {
  return records.filter((r) => r.end >= from && r.end < to).length / Math.max(0.001, (to - from) / 1000);
}

export interface ChildService {
  process: ChildProcess;
  logFile: string;
  rssKb(): number | null;
  stop(): Promise<void>;
}

/** `node bin/nightshift.js <args>` as a real child process, its output in a log file. */
export function spawnNightshift(
  args: string[],
  env: Record<string, string>,
  logFile: string,
  nodeArgs: string[] = [],
): ChildService {
  return spawnNode([...nodeArgs, path.join(packageRoot(), 'bin', 'nightshift.js'), ...args], env, logFile);
}

/** `node <args>` as a real child process, its output in a log file. */
export function spawnNode(args: string[], env: Record<string, string>, logFile: string): ChildService {
  const child = spawn(process.execPath, args, { env: childProcessEnvironment(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(logFile, { flags: 'a' });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    logFile,
    rssKb: () => (child.pid ? rssKb(child.pid) : null),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      out.end();
    },
  };
}

/**
 * CPU time (user + system) a process has used, in seconds (Linux /proc; clock ticks of 10 ms), or null when it is gone.
 */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14 and 15 of stat)
  } catch {
    return null;
  }
}

/** VmRSS of a process in kB (Linux /proc), or null when it is gone. */
export function rssKb(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Polls until `check` is truthy or the time is up. */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
  everyMs = 200,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleepMs(everyMs);
  }
}

/** Waits until a child service has written `text` to its log (fails early if it exits). */
export async function waitForLog(service: ChildService, text: string, timeoutMs: number, what: string): Promise<void> {
  await waitUntil(
    () => {
      if (service.process.exitCode !== null)
        throw new Error(`${what}: the process exited (${service.process.exitCode}); see ${service.logFile}`);
      try {
        return readFileSync(service.logFile, 'utf8').includes(text);
      } catch {
        return false; // the log is not open yet
      }
    },
    timeoutMs,
    what,
  );
}

/** Node options of a child service: a CPU profile `<name>.cpuprofile` with `--profile`, written when it exits. */
export function profileArgs(ctx: BenchContext, name: string): string[] {
  return ctx.profileDir
    ? ['--cpu-prof', '--cpu-prof-dir', ctx.profileDir, '--cpu-prof-name', `${name}.cpuprofile`]
    : [];
}

/**
 * `nightshift worker` for a project as a child process, once it has logged that it polls. With `memoryFile`,
 * it runs with the GC probe preloaded: `memoryAfterGc(worker, memoryFile)` then reads its memory after a full
 * collection.
 */
export async function startWorkerProcess(
  ctx: BenchContext,
  project: BenchProject,
  name: string,
  memoryFile?: string,
): Promise<ChildService> {
  const probe = memoryFile ? ['--expose-gc', '--require', writeGcProbe(ctx.workDir)] : [];
  // The environment `nightshift up` starts its worker with.
  const env = {
    ...workerProcessEnvironment(project.env),
    NIGHTSHIFT_LOG_LEVEL: 'info',
    ...(memoryFile ? { NIGHTSHIFT_BENCH_MEMORY_FILE: memoryFile } : {}),
  };
  const worker = spawnNightshift(
    ['worker', '--project', project.root],
    env,
    path.join(ctx.workDir, `${name}-worker.log`),
    [...profileArgs(ctx, `${name}-worker`), ...probe],
  );
  await waitForLog(worker, '"worker started"', 120_000, 'the worker to start');
  return worker;
}

/**
 * Asks a worker started with a memory file for its memory right after a full GC of its main thread (null if it does not
 * answer).
 */
export async function memoryAfterGc(service: ChildService, memoryFile: string): Promise<MemorySample | null> {
  const before = readJsonlFile<MemorySample>(memoryFile).length;
  service.process.kill('SIGUSR2');
  try {
    return await waitUntil(
      () => readJsonlFile<MemorySample>(memoryFile)[before] ?? null,
      10_000,
      'the memory sample',
      50,
    );
  } catch {
    return null;
  }
}
