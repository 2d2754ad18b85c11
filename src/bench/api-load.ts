import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { summarize, type BenchSection } from './report';
import {
  benchProject,
  cpuSeconds,
  endProject,
  freePort,
  profileArgs,
  rateBetween,
  readAgentRecords,
  sleepMs,
  spawnNightshift,
  spawnNode,
  startBenchPipeline,
  startWorkerProcess,
  waitUntil,
  type BenchContext,
  type BenchProject,
  type ChildService,
} from './env';
import { generateMetrics } from './gen-metrics';
import { STATUS_STALE_MS } from '../api/app';
import { commandLine, num, table, verdict } from './markdown';

/** The part of autocannon's result the report uses (the package ships no types). */
interface LoadResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number; timeout?: number }) => Promise<LoadResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const CONNECTIONS = 50;
const PARALLEL = 8;
const METRICS_LINES = 100_000;
const P99_LIMIT_MS = 100;
/** "Not slowed": the task rate under load keeps at least this share of the rate without load. */
const NOT_SLOWED_SHARE = 0.8;
/** Tasks the pipeline runs before the first window: its first ones run while the worker is still warming up (JIT, caches, worktrees). */
const WARM_UP_TASKS = 100;
/** The API serves a cached status up to STATUS_STALE_MS old; a probe a little slower than that always waits for a fresh one. */
const PROBE_EVERY_MS = STATUS_STALE_MS + 100;
const CONTROL_LABEL = 'bare node HTTP server';

async function startServices(ctx: BenchContext, project: BenchProject): Promise<{ worker: ChildService; api: ChildService; base: string }> {
  const worker = await startWorkerProcess(ctx, project, 'api-load');
  const port = await freePort();
  const api = spawnNightshift(['api', '--project', project.root, '--port', String(port)], project.env, path.join(ctx.workDir, 'api-load-api.log'), profileArgs(ctx, 'api-load-api'));
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(
    () =>
      fetch(`${base}/api/health`)
        .then((r) => r.ok)
        .catch(() => false),
    60_000,
    'the API to answer',
  );
  return { worker, api, base };
}

interface Window {
  label: string;
  /** The control load: a bare HTTP server, not nightshift (no verdict). */
  control?: boolean;
  from: number;
  to: number;
  load: LoadResult | null;
  /** CPU seconds used during the window by the API, the worker and the bench process (autocannon). */
  cpu: { api: number; worker: number; bench: number };
}

/** Runs `body` and measures the window it took: wall time and the CPU each process used. */
async function measured(label: string, pids: { api: number; worker: number }, body: () => Promise<LoadResult | null>): Promise<Window> {
  const cpu0 = { api: cpuSeconds(pids.api) ?? 0, worker: cpuSeconds(pids.worker) ?? 0, bench: process.cpuUsage() };
  const from = Date.now();
  const load = await body();
  const to = Date.now();
  const bench = process.cpuUsage(cpu0.bench);
  return { label, from, to, load, cpu: { api: (cpuSeconds(pids.api) ?? 0) - cpu0.api, worker: (cpuSeconds(pids.worker) ?? 0) - cpu0.worker, bench: (bench.user + bench.system) / 1e6 } };
}

/**
 * The control: node's bare HTTP server in its own process, answering every request with the same bytes
 * (the last status answer). Driven like the endpoints, it shows what serving this load costs the pipeline
 * on this machine with no application behind it.
 */
async function startBareServer(ctx: BenchContext, body: Buffer): Promise<{ server: ChildService; url: string }> {
  const bodyFile = path.join(ctx.workDir, 'api-load-control-body.json');
  writeFileSync(bodyFile, body);
  const port = await freePort();
  const script =
    "const body = require('fs').readFileSync(process.argv[1]);" +
    "require('http').createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); })" +
    ".listen(Number(process.argv[2]), '127.0.0.1');";
  const server = spawnNode(['-e', script, bodyFile, String(port)], {}, path.join(ctx.workDir, 'api-load-control.log'));
  const url = `http://127.0.0.1:${port}/`;
  await waitUntil(
    () =>
      fetch(url)
        .then((r) => r.ok)
        .catch(() => false),
    30_000,
    'the control server to answer',
  );
  return { server, url };
}

/** Single requests to pipeline-status, each after the cache has expired: the time to compute the status afresh. */
async function probeStatus(base: string, seconds: number, out: number[]): Promise<null> {
  const until = Date.now() + seconds * 1000;
  while (Date.now() + PROBE_EVERY_MS <= until) {
    await sleepMs(PROBE_EVERY_MS);
    const t0 = performance.now();
    const res = await fetch(`${base}/api/agent/pipeline-status`);
    await res.arrayBuffer();
    if (res.ok) out.push(performance.now() - t0);
  }
  await sleepMs(Math.max(0, until - Date.now()));
  return null;
}

const cpuCell = (w: Window) => `${num(w.cpu.api)} / ${num(w.cpu.worker)} / ${num(w.cpu.bench)}`;

/**
 * Figure 4: the REST API as its own process (`nightshift api`) under 50
 * connections for a fixed time on /api/agent/pipeline-status while a pipeline
 * runs items (8 at once, worker as its own process), and on /api/agent/metrics
 * with a 100k-line metrics file; the pipeline's task rate in windows with and
 * without load, alternating.
 */
export async function apiLoadSection(ctx: BenchContext): Promise<BenchSection> {
  const seconds = ctx.quick ? 3 : 10;
  const recordFile = path.join(ctx.workDir, 'api-load.jsonl');
  const project = benchProject(ctx, 'api-load', ctx.quick ? 80 : 250, { parallel: PARALLEL, recordFile });
  mkdirSync(path.dirname(project.paths.metricsFile), { recursive: true });
  ctx.log(`api: generating ${METRICS_LINES} metrics lines into the project's metrics file`);
  await generateMetrics(METRICS_LINES, project.paths.metricsFile);
  const { worker, api, base } = await startServices(ctx, project);
  const pids = { api: api.process.pid!, worker: worker.process.pid! };
  const pipeline = await startBenchPipeline(project);
  const windows: Window[] = [];
  const fresh: number[] = [];
  let control: { server: ChildService; url: string } | null = null;
  try {
    await waitUntil(() => readAgentRecords(recordFile).length >= (ctx.quick ? 2 * PARALLEL : WARM_UP_TASKS), 180_000, 'the pipeline to warm up');
    const idle = async (label: string) => windows.push(await measured(label, pids, () => probeStatus(base, seconds, fresh)));
    /** A load window on `url`; `control` is the process serving it when that is not the API. */
    const load = async (label: string, url: string, control?: { pid: number }) => {
      const w = await measured(label, control ? { ...pids, api: control.pid } : pids, () => autocannon({ url, connections: CONNECTIONS, duration: seconds, timeout: 10 }));
      windows.push({ ...w, control: !!control });
      ctx.log(`api: ${label}: ${num(w.load!.requests.average, 0)} req/s, p50 ${w.load!.latency.p50} ms, p99 ${w.load!.latency.p99} ms, errors ${w.load!.errors + w.load!.timeouts + w.load!.non2xx}`);
    };
    ctx.log(`api: alternating ${seconds} s windows without and with load`);
    await idle('no load (1)');
    await load('/api/agent/pipeline-status', `${base}/api/agent/pipeline-status`);
    await idle('no load (2)');
    await load('/api/agent/metrics', `${base}/api/agent/metrics`);
    await idle('no load (3)');
    const status = Buffer.from(await (await fetch(`${base}/api/agent/pipeline-status`)).arrayBuffer());
    control = await startBareServer(ctx, status);
    await load(CONTROL_LABEL, control.url, { pid: control.server.process.pid! });
    await idle('no load (4)');
  } finally {
    await control?.server.stop();
    await endProject(pipeline.t, project.paths.projectId);
    await pipeline.t.close();
    await api.stop();
    await worker.stop();
  }

  const records = readAgentRecords(recordFile);
  const rates = windows.map((w) => ({ ...w, rate: rateBetween(records, w.from, w.to) }));
  // The pipeline's own rate drifts as items move through their phases: each load window is compared with the
  // idle windows on either side of it (the windows alternate, starting and ending idle).
  const loaded = rates.flatMap((w, i) => (w.load ? [{ ...w, noLoad: (rates[i - 1].rate + rates[i + 1].rate) / 2 }] : []));
  const endpoints = loaded.filter((w) => !w.control);
  const latencyMet = endpoints.every((w) => w.load!.latency.p99 <= P99_LIMIT_MS);
  const errorsMet = endpoints.every((w) => w.load!.errors + w.load!.timeouts + w.load!.non2xx === 0);
  const slowMet = endpoints.every((w) => w.rate >= NOT_SLOWED_SHARE * w.noLoad);
  const probe = summarize(fresh);
  const cores = (w: Window) => (w.cpu.api + w.cpu.worker + w.cpu.bench) / ((w.to - w.from) / 1000);

  const body = [
    `\`nightshift api\` and \`nightshift worker\` as child processes, a pipeline running ${PARALLEL} items at once with the no-op agent, ` +
      `and ${METRICS_LINES.toLocaleString('en')} lines (\`src/bench/gen-metrics.ts\`) in the project's metrics file before it starts ` +
      `(the pipeline appends to the same file). autocannon (programmatic, in the bench process) drives ${CONNECTIONS} connections for ${seconds} s ` +
      `per endpoint, then on a control (node's bare HTTP server in its own process, answering every request with the bytes of ` +
      `the last status answer: what serving this load costs the pipeline here with no application behind it; no verdict); ` +
      `windows of ${seconds} s without load come before, between and after. Task rate = agent exits per second inside a window ` +
      `(from the agent's records); each load window is compared with the mean of the idle windows either side of it, since the ` +
      `pipeline's own rate drifts as its items move through their phases; the first window starts after the pipeline has run ` +
      `${ctx.quick ? 2 * PARALLEL : WARM_UP_TASKS} tasks (the worker warms up over its first ones). CPU = seconds of CPU the API (in the control window: the bare server), the worker and the bench ` +
      `process (the load generator) used in the window, from \`/proc/<pid>/stat\` and \`process.cpuUsage()\`.`,
    '',
    table(
      ['endpoint', 'requests/s', 'p50 (ms)', 'p90 (ms)', 'p99 (ms)', 'max (ms)', 'requests', 'errors + timeouts + non-2xx', 'pipeline tasks/s under load', 'without load (mean of the idle windows either side)', '÷ without load'],
      loaded.map((w) => [
        w.control ? `${w.label} (control)` : `\`${w.label}\``,
        num(w.load!.requests.average, 0),
        w.load!.latency.p50,
        w.load!.latency.p90,
        w.load!.latency.p99,
        w.load!.latency.max,
        w.load!.requests.total,
        w.load!.errors + w.load!.timeouts + w.load!.non2xx,
        num(w.rate, 2),
        num(w.noLoad, 2),
        num(w.rate / w.noLoad, 2),
      ]),
    ),
    '',
    table(
      ['window', 'seconds', 'pipeline tasks/s', 'CPU s: API / worker / load generator', 'cores busy (these three)'],
      rates.map((w) => [w.control ? `load on the ${w.label} (control)` : w.load ? `load on \`${w.label}\`` : w.label, num((w.to - w.from) / 1000), num(w.rate, 2), cpuCell(w), num(cores(w), 2)]),
    ),
    '',
    `Targets: p99 ≤ ${P99_LIMIT_MS} ms on both endpoints: ${verdict(latencyMet)}; zero errors: ${verdict(errorsMet)}; ` +
      `the pipeline not slowed (task rate under load ≥ ${NOT_SLOWED_SHARE} × without load): ${verdict(slowMet)}.`,
    '',
    `Status computed afresh (one request at a time in the idle windows, each ${PROBE_EVERY_MS} ms after the previous, longer than ` +
      `the API serves a cached status, so each waited for a fresh one): median ${num(probe.median)} ms, p95 ${num(probe.p95)} ms ` +
      `(${probe.n} requests). Under load no request waits for that: a status is fresh for 1 s, then served from the cache (at most ` +
      `${STATUS_STALE_MS / 1000} s old) while one refresh runs, so Temporal and the worker see one status computation a second ` +
      `whatever the request rate. \`/api/agent/metrics\` never reaches Temporal: its window shows what serving ${CONNECTIONS} busy ` +
      `connections costs the pipeline in CPU alone on this machine.`,
    '',
    commandLine(ctx.command),
  ].join('\n');
  return { title: 'API under load', body };
}
