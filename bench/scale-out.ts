import path from 'node:path';
import type { BenchSection } from './report';
import {
  benchProject,
  endProject,
  itemOfTask,
  readJsonlFile,
  startBenchPipeline,
  startWorkerProcess,
  waitUntil,
  type BenchContext,
  type ChildService,
} from './env';
import { commandLine, num, table, verdict } from './markdown';
import { projectHistories } from './histories';
import { describeActivities, historyProfile } from './profile';
import { summarize } from './report';
import {
  auditScaleRun,
  readScaleRecords,
  scaleAgentCommand,
  writeScaleAgent,
  type ScaleAudit,
  type ScaleRecord,
} from './scale-agent';

const TASKS_PER_ITEM = 4;
const PARALLEL = 16;
const AGENT_SECONDS = 2;
const IDEAL = PARALLEL / AGENT_SECONDS;
const WORKER_COUNTS = [1, 2, 4];
const TARGET = 0.9;
/** The heartbeat timeout of the run with a killed worker: how soon its agent tasks are retried elsewhere. */
const KILL_HEARTBEAT_SECONDS = 5;

interface ScaleRun {
  label: string;
  workers: number;
  rate: number;
  wallMs: number;
  audit: ScaleAudit;
  /** Each worker's identity and its share of the tasks, in the order the workers were started. */
  shares: { worker: string; tasks: number }[];
  killed: { worker: string; at: number; doneBefore: number } | null;
  failure: string | null;
  /** Within each item, one agent's side effect → the next agent's start (ms). */
  handoffs: { median: number; p95: number; n: number };
  /** Where the items' time went (their histories' activities, scheduled → completed). */
  itemSteps: string;
}

/** Within each item, ordered by start: the gaps from one task's side effect to the next task's agent start. */
function itemHandoffs(records: ScaleRecord[], itemOf: Map<string, string>): number[] {
  const byItem = new Map<string, ScaleRecord[]>();
  for (const r of records) {
    const item = itemOf.get(r.task_id);
    if (r.event !== 'done' || item === undefined) continue;
    byItem.set(item, [...(byItem.get(item) ?? []), r]);
  }
  const out: number[] = [];
  for (const rs of byItem.values()) {
    rs.sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
    for (let i = 1; i < rs.length; i++) out.push((rs[i].start ?? 0) - (rs[i - 1].end ?? 0));
  }
  return out;
}

/** Tasks per second: distinct completed side effects over first agent start → last side effect. */
function rateOf(records: ScaleRecord[]): number {
  const done = records.filter((r) => r.event === 'done');
  if (done.length === 0) return 0;
  const first = Math.min(...done.map((r) => r.start ?? Infinity));
  const last = Math.max(...done.map((r) => r.end ?? 0));
  return new Set(done.map((r) => r.task_id)).size / Math.max(0.001, (last - first) / 1000);
}

/** The host a worker process's agents reported (its Temporal identity is `<pid>@<host>`). */
const hostOf = (records: ScaleRecord[], w: ChildService) =>
  records.find((r) => r.worker === w.process.pid && r.event === 'start')?.host ?? null;

async function scaleRun(
  ctx: BenchContext,
  agentFile: string,
  items: number,
  workers: number,
  kill: boolean,
): Promise<ScaleRun> {
  const label = kill ? `${workers}-kill` : String(workers);
  const recordFile = path.join(ctx.workDir, `scale-${label}.jsonl`);
  const project = benchProject(ctx, `scale-${label}`, items, {
    parallel: PARALLEL,
    recordFile: null,
    // Workers started together would race for the SDK metrics port (the probe sees it free, the bind fails); the figure
    // does not read it.
    extra: {
      PIPELINE_AGENT_COMMAND: scaleAgentCommand(agentFile, recordFile, AGENT_SECONDS),
      NIGHTSHIFT_WORKER_METRICS_PORT: '0',
      ...(kill ? { NIGHTSHIFT_HEARTBEAT_TIMEOUT_SECONDS: String(KILL_HEARTBEAT_SECONDS) } : {}),
    },
  });
  const procs = await Promise.all(
    Array.from({ length: workers }, (_, i) => startWorkerProcess(ctx, project, `scale-${label}-w${i + 1}`)),
  );
  const pipeline = await startBenchPipeline(project);
  const started = Date.now();
  let killed: ScaleRun['killed'] = null;
  let failure: string | null = null;
  let itemSteps = '';
  try {
    if (kill) {
      // The last worker dies by SIGKILL once a third of the tasks are done, while it has an agent running.
      const victim = procs[procs.length - 1];
      const doneBefore = await waitUntil(
        () => {
          const rs = readScaleRecords(recordFile);
          const done = rs.filter((r) => r.event === 'done');
          const open = rs.some(
            (r) =>
              r.event === 'start' &&
              r.worker === victim.process.pid &&
              !done.some((d) => d.pid === r.pid && d.task_id === r.task_id),
          );
          return done.length >= (items * TASKS_PER_ITEM) / 3 && open ? done.length : 0;
        },
        300_000,
        'a third of the tasks done and an agent running on the last worker',
        50,
      );
      const host = hostOf(readScaleRecords(recordFile), victim);
      victim.process.kill('SIGKILL');
      killed = { worker: `${victim.process.pid}@${host}`, at: Date.now(), doneBefore };
      ctx.log(`scale-out: SIGKILLed worker ${killed.worker} after ${doneBefore} tasks`);
    }
    const result = await pipeline.result();
    if (result.itemsPassed !== items || result.tasksRun !== items * TASKS_PER_ITEM)
      failure = `expected ${items} passed items and ${items * TASKS_PER_ITEM} tasks, got ${JSON.stringify(result)}`;
    itemSteps = describeActivities(
      await historyProfile(
        pipeline.t.client,
        (await projectHistories(pipeline.t.client, project.paths.projectId)).items,
      ),
      4,
    );
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  } finally {
    await endProject(pipeline.t, project.paths.projectId);
    await pipeline.t.close();
    await Promise.all(procs.map((w) => w.stop()));
  }
  const wallMs = Date.now() - started;
  const records = readScaleRecords(recordFile);
  const audit = auditScaleRun(records, readJsonlFile(project.paths.metricsFile), killed);
  const shares = procs.map((w) => {
    const id = `${w.process.pid}@${hostOf(records, w)}`;
    return { worker: id, tasks: audit.shares.get(id) ?? 0 };
  });
  const handoffs = summarize(itemHandoffs(records, itemOfTask(project.paths.stateDir)));
  return { label, workers, rate: rateOf(records), wallMs, audit, shares, killed, failure, handoffs, itemSteps };
}

const integrityOk = (r: ScaleRun, tasks: number) =>
  !r.failure &&
  r.audit.completed.size === tasks &&
  r.audit.metricLines === tasks &&
  r.audit.lost.length === 0 &&
  r.audit.unexplained.length === 0;

/**
 * Figure: scale-out. 1, 2 and 4 `nightshift worker` processes on one task
 * queue serve one pipeline of PIPELINE_PARALLEL_ITEMS=16 with an agent that
 * takes 2 s a task; then 4 again with one of them SIGKILLed mid-run. Tasks per
 * second against the ideal (16 ÷ 2 s), each worker's share of the tasks, and
 * the agent's own records checked for lost or repeated side effects.
 */
export async function scaleOutSection(ctx: BenchContext): Promise<BenchSection> {
  const items = ctx.quick ? 16 : 64;
  const tasks = items * TASKS_PER_ITEM;
  const agentFile = writeScaleAgent(ctx.workDir);
  const runs: ScaleRun[] = [];
  for (const [workers, kill] of [...WORKER_COUNTS.map((n) => [n, false] as const), [4, true] as const]) {
    ctx.log(
      `scale-out: ${workers} worker process(es)${kill ? ', one SIGKILLed mid-run' : ''}, ${items} items, PIPELINE_PARALLEL_ITEMS=${PARALLEL}, ${AGENT_SECONDS} s agent`,
    );
    const r = await scaleRun(ctx, agentFile, items, workers, kill);
    ctx.log(
      `scale-out: ${r.label}: ${num(r.rate, 2)} tasks/s (${num(r.rate / IDEAL, 2)} of ideal), shares ${r.shares.map((s) => s.tasks).join('/')}${r.failure ? `; FAILED: ${r.failure}` : ''}`,
    );
    runs.push(r);
  }
  const four = runs.find((r) => r.workers === 4 && !r.killed)!;
  const killRun = runs.find((r) => r.killed)!;
  const rateMet = !four.failure && four.rate >= TARGET * IDEAL;
  const intactMet = runs.every((r) => integrityOk(r, tasks));
  const body = [
    `One pipeline of ${items} backlog items (${tasks} tasks) with \`PIPELINE_PARALLEL_ITEMS=${PARALLEL}\` (each item in its own git worktree), ` +
      `served by 1, 2 and 4 \`nightshift worker\` processes on one task queue of the bench's dev server, then by 4 with the last one ` +
      `SIGKILLed once a third of the tasks were done and while it had an agent running (\`NIGHTSHIFT_HEARTBEAT_TIMEOUT_SECONDS=${KILL_HEARTBEAT_SECONDS}\` in that run, ` +
      `so its agent tasks are retried elsewhere after 5 s). The agent (\`bench/scale-agent.ts\`, a shell script run as argv) sleeps ${AGENT_SECONDS} s, as an agent waiting ` +
      `on its model does, writes \`work/<task_id>.txt\` in the item's worktree and appends a record of that side effect (task id, its parent process — the worker — ` +
      `and host, times) to a shared JSONL file. Ideal: ${PARALLEL} items at once ÷ ${AGENT_SECONDS} s = ${num(IDEAL, 0)} tasks/s. Rate = distinct tasks done ÷ ` +
      `(first agent start → last side effect). A worker's share: the tasks whose first side effect its agent wrote (the worker is the agent's parent, ` +
      `\`<pid>@<host>\`, which is also the worker's Temporal identity). Every worker runs up to 16 activities at once.`,
    '',
    table(
      [
        'workers',
        'tasks/s',
        '÷ ideal',
        'hand-off in an item, median / p95 (ms)',
        'wall time (s)',
        "each worker's tasks",
        'completed tasks (metrics lines)',
        'lost side effects',
        'repeated side effects (unexplained)',
      ],
      runs.map((r) => [
        r.killed ? `${r.workers}, one SIGKILLed after ${r.killed.doneBefore} tasks` : r.workers,
        num(r.rate, 2),
        num(r.rate / IDEAL, 2),
        `${num(r.handoffs.median, 0)} / ${num(r.handoffs.p95, 0)}`,
        num(r.wallMs / 1000),
        r.shares.map((s) => `${s.tasks}${r.killed?.worker === s.worker ? ' (killed)' : ''}`).join(' / '),
        `${r.audit.completed.size} (${r.audit.metricLines})`,
        r.audit.lost.length,
        `${r.audit.duplicated.length} (${r.audit.unexplained.length})`,
      ]),
    ),
    '',
    ...runs.filter((r) => r.failure).map((r) => `**Run ${r.label} did not complete:** \`${r.failure}\`.\n`),
    `Targets: 4 workers ≥ ${TARGET} × the ideal (${num(TARGET * IDEAL, 1)} tasks/s): ${verdict(rateMet)}. In every run, each of the ${tasks} tasks ` +
      `completed once in \`metrics.jsonl\`, none without its side effect, and a side effect repeated only for a task that was running on the killed worker: ` +
      `${verdict(intactMet)}.`,
    '',
    `The ideal leaves no time between one task's end and the next task's start in an item; the hand-off column is that time ` +
      `(one agent's side effect → the next agent's start, within an item), which with a file changed per task includes the task's commit on the item's branch. ` +
      `Where the items' time went (activities in their histories, means scheduled → completed): ` +
      runs.map((r) => `${r.label} worker(s): ${r.itemSteps || '—'}`).join('; ') +
      '.',
    '',
    `With one worker killed, its running agent tasks were retried by the others after their heartbeat timeout (activities are at-least-once): ` +
      `${killRun.audit.duplicated.length} task(s) wrote their side effect twice, each one that had been running on the killed worker. The rate of that run ` +
      `includes the wait for the timeouts.`,
    '',
    commandLine(ctx.command),
  ].join('\n');
  return { title: 'Scale-out', body };
}
