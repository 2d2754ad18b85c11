import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
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
import { STATUS_STALE_MS } from '../src/api/app';
import { commandLine, num, table, verdict } from './markdown';
import { MetricsStore } from '../src/metrics/store';
import { getPipelineStatus, statusDeps } from '../src/read-model/pipeline-status';
import { TaskIndex } from '../src/tasks/store';

/** The part of autocannon's result the report uses (the package ships no types). */
interface LoadResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration?: number;
  amount?: number;
  timeout?: number;
}) => Promise<LoadResult>;
const autocannon = require('autocannon') as Autocannon;

const CONNECTIONS = 50;
const PARALLEL = 8;
const METRICS_LINES = 100_000;
/** The open-loop load: requests sent at this fixed rate, whatever the answers' latency. */
const PACED_RATE = 100;
/** "Not slowed": the task rate under the paced load keeps at least this share of the rate without load. */
const NOT_SLOWED_SHARE = 0.9;
/** Requests counted per endpoint for the API's CPU time per request (its CPU clock ticks every 10 ms). */
const COUNTED_REQUESTS = { quick: 2_000, full: 10_000 };
const COUNTED_CONNECTIONS = 4;
/**
 * Tasks the pipeline runs before the first window: its first ones run while the worker is still warming up (JIT,
 * caches, worktrees).
 */
const WARM_UP_TASKS = 100;
/**
 * The API serves a cached status up to STATUS_STALE_MS old; a probe a little slower than that always waits for a fresh
 * one.
 */
const PROBE_EVERY_MS = STATUS_STALE_MS + 100;
const CONTROL_LABEL = 'bare node HTTP server';

async function startServices(
  ctx: BenchContext,
  project: BenchProject,
): Promise<{ worker: ChildService; api: ChildService; base: string }> {
  const worker = await startWorkerProcess(ctx, project, 'api-load');
  const port = await freePort();
  const api = spawnNightshift(
    ['api', '--project', project.root, '--port', String(port)],
    project.env,
    path.join(ctx.workDir, 'api-load-api.log'),
    profileArgs(ctx, 'api-load-api'),
  );
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

/** What an open-loop window sent and got back. */
interface PacedResult {
  sent: number;
  ok: number;
  /** Failed requests and non-2xx answers. */
  errors: number;
  latency: { p50: number; p99: number; max: number };
}

interface Window {
  label: string;
  /** The control load: a bare HTTP server, not nightshift (no verdict). */
  control?: boolean;
  from: number;
  to: number;
  load: LoadResult | null;
  paced?: PacedResult;
  /** CPU seconds used during the window by the API, the worker and the bench process (autocannon). */
  cpu: { api: number; worker: number; bench: number };
}

/** Runs `body` and measures the window it took: wall time and the CPU each process used. */
async function measured(
  label: string,
  pids: { api: number; worker: number },
  body: () => Promise<LoadResult | null>,
): Promise<Window> {
  const cpu0 = { api: cpuSeconds(pids.api) ?? 0, worker: cpuSeconds(pids.worker) ?? 0, bench: process.cpuUsage() };
  const from = Date.now();
  const load = await body();
  const to = Date.now();
  const bench = process.cpuUsage(cpu0.bench);
  return {
    label,
    from,
    to,
    load,
    cpu: {
      api: (cpuSeconds(pids.api) ?? 0) - cpu0.api,
      worker: (cpuSeconds(pids.worker) ?? 0) - cpu0.worker,
      bench: (bench.user + bench.system) / 1e6,
    },
  };
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

/**
 * An open-loop load: a request every 1/`rate` s for `seconds`, sent on schedule whether or not earlier ones have
 * been answered (a closed loop would slow down with the server and hide what it costs). Keep-alive sockets, as a
 * dashboard or scraper keeps them; the schedule catches up after a late timer instead of drifting.
 */
async function pacedLoad(url: string, rate: number, seconds: number): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  const one = () => {
    const t0 = performance.now();
    const done = new Promise<void>((resolve) => {
      const req = http.get(url, { agent }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300)
            latencies.push(performance.now() - t0);
          else errors++;
          resolve();
        });
        res.on('error', () => (errors++, resolve()));
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => (errors++, resolve()));
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  const start = performance.now();
  const total = Math.round(rate * seconds);
  while (sent < total) {
    const due = start + (sent * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleepMs(wait);
    one();
    sent++;
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(q * latencies.length) - 1))] ?? NaN;
  return {
    sent,
    ok: latencies.length,
    errors,
    latency: { p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1] ?? NaN },
  };
}

/** The API process's CPU time per request, in µs: its user + system time over `requests` requests to `url`. */
async function cpuPerRequest(url: string, apiPid: number, requests: number): Promise<{ us: number; errors: number }> {
  const cpu0 = cpuSeconds(apiPid) ?? NaN;
  const r = await autocannon({ url, connections: COUNTED_CONNECTIONS, amount: requests, timeout: 10 });
  const cpu1 = cpuSeconds(apiPid) ?? NaN;
  return { us: ((cpu1 - cpu0) * 1e6) / r.requests.total, errors: r.errors + r.timeouts + r.non2xx };
}

/** The target for a status computed afresh with every item busy (median). */
const COLD_LIMIT_MS = 50;
/** Cold status computations timed for the slow-agent figure. */
const COLD_STATUS_SAMPLES = { quick: 10, full: 30 };

/**
 * The time to compute a pipeline-status afresh (no cache: a new computation each time, in the bench process, against
 * the real server and a worker process) while a pipeline has PARALLEL items each in a task of an agent that does not
 * end (`sleep`): every item is running, the case a dashboard shows most of a night.
 */
async function slowAgentStatus(ctx: BenchContext): Promise<{ samples: number[]; items: number }> {
  const project = benchProject(ctx, 'api-status-slow', PARALLEL * 2, {
    parallel: PARALLEL,
    recordFile: null,
    extra: { PIPELINE_AGENT_COMMAND: JSON.stringify(['sleep', '3600']) },
  });
  const worker = await startWorkerProcess(ctx, project, 'api-status-slow');
  const pipeline = await startBenchPipeline(project);
  const tasks = new TaskIndex(project.paths.stateDir);
  const samples: number[] = [];
  try {
    await waitUntil(
      async () => (await tasks.all()).filter((t) => t.status === 'running').length >= PARALLEL,
      120_000,
      `${PARALLEL} slow tasks to run`,
    );
    const deps = statusDeps(
      project.config,
      project.paths,
      pipeline.t,
      tasks,
      new MetricsStore(project.paths.metricsFile),
    );
    await getPipelineStatus(deps); // the first one opens the connection's channels
    for (let i = 0; i < (ctx.quick ? COLD_STATUS_SAMPLES.quick : COLD_STATUS_SAMPLES.full); i++) {
      await sleepMs(200);
      const t0 = performance.now();
      const status = await getPipelineStatus(deps);
      samples.push(performance.now() - t0);
      if (status.pipeline.items_by_state.running !== PARALLEL)
        throw new Error(`expected ${PARALLEL} running items, got ${JSON.stringify(status.pipeline.items_by_state)}`);
    }
  } finally {
    await endProject(pipeline.t, project.paths.projectId);
    await pipeline.t.close();
    await worker.stop();
  }
  return { samples, items: PARALLEL };
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
 * Figure 4: the REST API as its own process (`nightshift api`) while a pipeline runs items (8 at once, worker as
 * its own process), on /api/agent/pipeline-status and on /api/agent/metrics with a 100k-line metrics file: the
 * pipeline's task rate under an open-loop load of 100 requests/s to each (in windows alternating with idle ones),
 * the API's CPU time per request, and (information) 50 busy connections per endpoint and on a bare-server control.
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
  const perRequest: { endpoint: string; us: number; errors: number }[] = [];
  let control: { server: ChildService; url: string } | null = null;
  try {
    await waitUntil(
      () => readAgentRecords(recordFile).length >= (ctx.quick ? 2 * PARALLEL : WARM_UP_TASKS),
      180_000,
      'the pipeline to warm up',
    );
    const idle = async (label: string) =>
      windows.push(await measured(label, pids, () => probeStatus(base, seconds, fresh)));
    /** A load window on `url`; `control` is the process serving it when that is not the API. */
    const load = async (label: string, url: string, control?: { pid: number }) => {
      const w = await measured(label, control ? { ...pids, api: control.pid } : pids, () =>
        autocannon({ url, connections: CONNECTIONS, duration: seconds, timeout: 10 }),
      );
      windows.push({ ...w, control: !!control });
      ctx.log(
        `api: ${label}: ${num(w.load!.requests.average, 0)} req/s, p50 ${w.load!.latency.p50} ms, p99 ${w.load!.latency.p99} ms, errors ${w.load!.errors + w.load!.timeouts + w.load!.non2xx}`,
      );
    };
    /** An open-loop window: PACED_RATE requests a second on `url`. */
    const paced = async (label: string, url: string) => {
      let result: PacedResult | undefined;
      const w = await measured(label, pids, async () => ((result = await pacedLoad(url, PACED_RATE, seconds)), null));
      windows.push({ ...w, paced: result });
      ctx.log(
        `api: ${label} at ${PACED_RATE}/s: ${result!.ok}/${result!.sent} answered, p50 ${num(result!.latency.p50)} ms, p99 ${num(result!.latency.p99)} ms, errors ${result!.errors}`,
      );
    };
    ctx.log(`api: alternating ${seconds} s windows without and with load`);
    await idle('no load (1)');
    await paced('/api/agent/pipeline-status', `${base}/api/agent/pipeline-status`);
    await idle('no load (2)');
    await paced('/api/agent/metrics', `${base}/api/agent/metrics`);
    await idle('no load (3)');
    await load('/api/agent/pipeline-status', `${base}/api/agent/pipeline-status`);
    await idle('no load (4)');
    await load('/api/agent/metrics', `${base}/api/agent/metrics`);
    await idle('no load (5)');
    const status = Buffer.from(await (await fetch(`${base}/api/agent/pipeline-status`)).arrayBuffer());
    control = await startBareServer(ctx, status);
    await load(CONTROL_LABEL, control.url, { pid: control.server.process.pid! });
    await idle('no load (6)');
    const requests = ctx.quick ? COUNTED_REQUESTS.quick : COUNTED_REQUESTS.full;
    ctx.log(`api: CPU time per request over ${requests} requests to each endpoint`);
    for (const endpoint of ['/api/agent/pipeline-status', '/api/agent/metrics'])
      perRequest.push({ endpoint, ...(await cpuPerRequest(`${base}${endpoint}`, pids.api, requests)) });
  } finally {
    await control?.server.stop();
    await endProject(pipeline.t, project.paths.projectId);
    await pipeline.t.close();
    await api.stop();
    await worker.stop();
  }

  ctx.log(`api: pipeline-status computed afresh with ${PARALLEL} items in a slow agent's tasks`);
  const slow = await slowAgentStatus(ctx);
  const cold = summarize(slow.samples);

  const records = readAgentRecords(recordFile);
  const rates = windows.map((w) => ({ ...w, rate: rateBetween(records, w.from, w.to) }));
  // The pipeline's own rate drifts as items move through their phases: each load window is compared with the
  // idle windows on either side of it (the windows alternate, starting and ending idle).
  const compared = rates.flatMap((w, i) =>
    w.load || w.paced ? [{ ...w, noLoad: (rates[i - 1].rate + rates[i + 1].rate) / 2 }] : [],
  );
  const loaded = compared.filter((w) => w.load);
  const pacedWindows = compared.filter((w) => w.paced);
  const errorsMet = pacedWindows.every((w) => w.paced!.errors === 0 && w.paced!.ok === w.paced!.sent);
  const slowMet = pacedWindows.every((w) => w.rate >= NOT_SLOWED_SHARE * w.noLoad);
  const probe = summarize(fresh);
  const cores = (w: Window) => (w.cpu.api + w.cpu.worker + w.cpu.bench) / ((w.to - w.from) / 1000);
  const requests = ctx.quick ? COUNTED_REQUESTS.quick : COUNTED_REQUESTS.full;
  const windowLabel = (w: Window & { control?: boolean }) =>
    w.control
      ? `load on the ${w.label} (control)`
      : w.paced
        ? `${PACED_RATE}/s on \`${w.label}\``
        : w.load
          ? `${CONNECTIONS} connections on \`${w.label}\``
          : w.label;

  const body = [
    `\`nightshift api\` and \`nightshift worker\` as child processes, a pipeline running ${PARALLEL} items at once with the no-op agent, ` +
      `and ${METRICS_LINES.toLocaleString('en')} lines (\`bench/gen-metrics.ts\`) in the project's metrics file before it starts ` +
      `(the pipeline appends to the same file). Windows of ${seconds} s with load alternate with windows of ${seconds} s without; ` +
      `task rate = agent exits per second inside a window (from the agent's records), and each load window is compared with the ` +
      `mean of the idle windows either side of it, since the pipeline's own rate drifts as its items move through their phases; ` +
      `the first window starts after the pipeline has run ${ctx.quick ? 2 * PARALLEL : WARM_UP_TASKS} tasks (the worker warms up over its first ones). ` +
      `CPU = seconds of CPU the API (in the control window: the bare server), the worker and the bench process (the load ` +
      `generator) used in the window, from \`/proc/<pid>/stat\` and \`process.cpuUsage()\`.`,
    '',
    `**Open loop.** ${PACED_RATE} requests a second to one endpoint, each sent on schedule whether or not the earlier ones were ` +
      `answered (keep-alive sockets, from the bench process): a fixed load that does not adapt to the server, as dashboards and scrapers poll.`,
    '',
    table(
      [
        'endpoint',
        'sent',
        'answered 2xx',
        'errors + non-2xx',
        'p50 (ms)',
        'p99 (ms)',
        'max (ms)',
        'pipeline tasks/s under load',
        'without load (mean of the idle windows either side)',
        '÷ without load',
      ],
      pacedWindows.map((w) => [
        `\`${w.label}\``,
        w.paced!.sent,
        w.paced!.ok,
        w.paced!.errors,
        num(w.paced!.latency.p50),
        num(w.paced!.latency.p99),
        num(w.paced!.latency.max),
        num(w.rate, 2),
        num(w.noLoad, 2),
        num(w.rate / w.noLoad, 2),
      ]),
    ),
    '',
    `Targets: the pipeline not slowed by ${PACED_RATE} requests/s (task rate ≥ ${NOT_SLOWED_SHARE} × without load) on both endpoints: ${verdict(slowMet)}; ` +
      `every paced request answered 2xx: ${verdict(errorsMet)}.`,
    '',
    `**API CPU time per request.** ${requests.toLocaleString('en')} requests to each endpoint (autocannon, ${COUNTED_CONNECTIONS} connections, ` +
      `while the pipeline runs); the API process's user + system time over them (\`/proc/<pid>/stat\`, 10 ms ticks) ÷ the requests. ` +
      `For pipeline-status this includes the status computations the cache lets through (one a second at most). It is the API's own ` +
      `cost, which the closed-loop run below cannot separate from the load generator's on this machine.`,
    '',
    table(
      ['endpoint', 'API CPU per request (µs)', 'errors + timeouts + non-2xx'],
      perRequest.map((r) => [`\`${r.endpoint}\``, num(r.us, 0), r.errors]),
    ),
    '',
    `**Closed loop (information, no verdict).** autocannon (programmatic, in the bench process) keeps ${CONNECTIONS} connections busy ` +
      `for ${seconds} s per endpoint, then on a control (node's bare HTTP server in its own process, answering every request with the ` +
      `bytes of the last status answer: what serving this load costs the pipeline here with no application behind it). On 2 cores ` +
      `the load generator, the API and the worker compete for the same CPU, so this shows the machine's limit more than the API's.`,
    '',
    table(
      [
        'endpoint',
        'requests/s',
        'p50 (ms)',
        'p90 (ms)',
        'p99 (ms)',
        'max (ms)',
        'requests',
        'errors + timeouts + non-2xx',
        'pipeline tasks/s under load',
        'without load (mean of the idle windows either side)',
        '÷ without load',
      ],
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
      rates.map((w) => [windowLabel(w), num((w.to - w.from) / 1000), num(w.rate, 2), cpuCell(w), num(cores(w), 2)]),
    ),
    '',
    `Status computed afresh (one request at a time in the idle windows, each ${PROBE_EVERY_MS} ms after the previous, longer than ` +
      `the API serves a cached status, so each waited for a fresh one): median ${num(probe.median)} ms, p95 ${num(probe.p95)} ms ` +
      `(${probe.n} requests). Under load no request waits for that: a status is fresh for 1 s, then served from the cache (at most ` +
      `${STATUS_STALE_MS / 1000} s old) while one refresh runs, so Temporal and the worker see one status computation a second ` +
      `whatever the request rate. \`/api/agent/metrics\` never reaches Temporal.`,
    '',
    `**Status computed afresh, every item busy.** A second project whose agent never ends (\`sleep\`), ${slow.items} items running ` +
      `at once, each in its spec task; \`getPipelineStatus\` computed anew ${cold.n} times (no cache; in the bench process, 200 ms apart) ` +
      `against the real server and a worker process: median ${num(cold.median)} ms, p95 ${num(cold.p95)} ms. ` +
      `Target median ≤ ${COLD_LIMIT_MS} ms: ${verdict(cold.median <= COLD_LIMIT_MS)}. An item running a task the task index records is not ` +
      `queried (the record has its phase and iteration), so this status asks Temporal for one describe and the pipeline's own query, side by side.`,
    '',
    commandLine(ctx.command),
  ].join('\n');
  return { title: 'API under load', body };
}
