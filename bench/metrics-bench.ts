import { spawn, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { aggregate, parseMetricLine, type MetricRecord } from '../src/metrics/aggregate';
import { packageRoot } from '../src/util/package-root';
import { freePort } from './env';
import { generateMetrics } from './gen-metrics';
import { num, table, verdict } from './markdown';
import { summarize, type BenchSection } from './report';

/**
 * Figure 3: GET /api/agent/metrics on a 1M-line metrics file. The real API
 * (`nightshift api`, built) runs in a child process over the generated file
 * (seed-system.md section 12 recipe); beside it, the naive way (every line
 * through parseMetricLine, then aggregate(), on every call) runs in another
 * child so each process's memory is its own.
 */

const TARGETS = { firstMs: 1500, repeatedMs: 50, afterAppendMs: 100, peakRssMb: 300 };
const TARGET_LINES = 1_000_000;
const REPEATS = 15;
const APPENDS = 10;
const APPEND_LINES = 1000;
const WINDOW_DAYS = 7;
/** Window sizes whose answers are compared with the naive aggregation at the end. */
const CHECKED_WINDOWS = [1, 7, 14, 30];

interface SizeResult {
  lines: number;
  fileMb: number;
  firstMs: number;
  repeated: number[];
  afterAppend: number[];
  apiPeakMb: number;
  naive: number[];
  naivePeakMb: number;
  /** How the API's answers compared with the naive aggregation at the same instant. */
  equal: { checked: number; equal: number };
}

/** Peak resident set (VmHWM) of a process, in MB. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The built CLI's `api` command over `metricsFile`, in its own process; resolves once it listens. */
async function startApi(o: {
  metricsFile: string;
  projectDir: string;
  temporalAddress?: string;
}): Promise<{ child: ChildProcess; url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  mkdirSync(o.projectDir, { recursive: true });
  const child = spawn(
    process.execPath,
    [
      path.join(packageRoot(), 'bin', 'nightshift.js'),
      '--project',
      o.projectDir,
      'api',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    {
      cwd: o.projectDir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? o.projectDir,
        PIPELINE_METRICS_FILE: o.metricsFile,
        NIGHTSHIFT_LOG_LEVEL: 'warn',
        // the metrics routes never call Temporal and the client connects lazily, so no server is needed
        TEMPORAL_ADDRESS: o.temporalAddress ?? '127.0.0.1:7233',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`nightshift api exited with ${child.exitCode}: ${output.slice(-2000)}`);
    if (/API: http/.test(output)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nightshift api did not start within 60 s: ${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await once(child, 'exit');
    clearTimeout(timer);
  };
  return { child, url, stop };
}

async function timedGet(url: string): Promise<{ ms: number; body: string; before: number; after: number }> {
  const before = Date.now();
  const t0 = process.hrtime.bigint();
  const res = await fetch(url);
  const body = await res.text();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${body.slice(0, 500)}`);
  return { ms, body, before, after: Date.now() };
}

/** The naive baseline in its own process (this file, forked with --naive-baseline). */
class NaiveBaseline {
  private constructor(private readonly child: ChildProcess) {}

  static async start(
    file: string,
    reps: number,
  ): Promise<{ baseline: NaiveBaseline; samples: number[]; peakMb: number }> {
    const child = fork(__filename, ['--naive-baseline', file, String(reps)], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const baseline = new NaiveBaseline(child);
    const first = (await baseline.next()) as { samples: number[]; peakMb: number };
    return { baseline, ...first };
  }

  private next(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`naive baseline exited with ${code}`));
      this.child.once('exit', onExit);
      this.child.once('message', (m) => {
        this.child.off('exit', onExit);
        resolve(m);
      });
    });
  }

  /** The reference aggregation (JSON) at each instant, over the file as re-read now. */
  async aggregatesAt(windowDays: number, nows: number[]): Promise<string[]> {
    this.child.send({ windowDays, nows });
    return ((await this.next()) as { results: string[] }).results;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await once(this.child, 'exit');
  }
}

/** Child side of NaiveBaseline: re-parse everything per call, as the reference does. */
function naiveChild(file: string, reps: number): void {
  const load = () => {
    const text = readFileSync(file, 'utf8');
    const records: MetricRecord[] = [];
    let skipped = 0;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const r = parseMetricLine(text.slice(start, nl));
      if (r === null) skipped++;
      else if (r !== undefined) records.push(r);
      start = nl + 1;
    }
    return { records, skipped };
  };
  const samples: number[] = [];
  let data = load();
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    data = load();
    aggregate(data.records, { now: Date.now(), windowDays: WINDOW_DAYS, skipped: data.skipped });
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  process.send!({ samples, peakMb: peakRssMb(process.pid) });
  let loadedSize = -1;
  process.on('message', (m: { windowDays: number; nows: number[] }) => {
    // re-parse only when the file changed since (the appends happen before the checks)
    if (statSync(file).size !== loadedSize) {
      loadedSize = statSync(file).size;
      data = load();
    }
    process.send!({
      results: m.nows.map((now) =>
        JSON.stringify(aggregate(data.records, { now, windowDays: m.windowDays, skipped: data.skipped })),
      ),
    });
  });
}

/**
 * The API's answer compared with the reference at the instants just before
 * and after the request: when no record crossed the window edge in between,
 * the answer must equal both; otherwise the check is repeated.
 */
async function checkEqual(url: string, windowDays: number, naive: NaiveBaseline): Promise<boolean> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const r = await timedGet(url);
    const [atBefore, atAfter] = await naive.aggregatesAt(windowDays, [r.before, r.after]);
    if (atBefore === atAfter) return JSON.stringify(JSON.parse(r.body)) === atBefore;
  }
  throw new Error('records kept crossing the window edge during every check');
}

async function measureSize(
  ctx: { workDir: string; log: (line: string) => void; temporalAddress?: string },
  lines: number,
): Promise<SizeResult> {
  const file = path.join(ctx.workDir, `metrics-${lines}.jsonl`);
  ctx.log(`metrics: generating ${lines} lines`);
  const generatedAt = new Date();
  await generateMetrics(lines, file, { seed: 42, days: 14, now: generatedAt });
  // later appends: the same recipe, stamped after the file's last line (as a writer appends), in 1,000-line blocks
  const appendFile = path.join(ctx.workDir, `append-${lines}.jsonl`);
  const appendAt = new Date(Math.max(Date.now(), generatedAt.getTime() + 1000));
  await generateMetrics(APPENDS * APPEND_LINES, appendFile, {
    seed: 7,
    days: (appendAt.getTime() - generatedAt.getTime()) / 86_400_000,
    now: appendAt,
  });
  const appendLines = readFileSync(appendFile, 'utf8').split('\n');
  const fileMb = statSync(file).size / 1e6;

  // the API first, alone on the machine (after the generator's writes settle); the naive baseline only afterwards
  await new Promise((r) => setTimeout(r, 3000));
  const api = await startApi({
    metricsFile: file,
    projectDir: path.join(ctx.workDir, `project-${lines}`),
    temporalAddress: ctx.temporalAddress,
  });
  let naive: NaiveBaseline | undefined;
  try {
    const url = (windowDays: number) => `${api.url}/api/agent/metrics?window_days=${windowDays}`;
    ctx.log('metrics: API first call');
    const first = await timedGet(url(WINDOW_DAYS));
    const repeated: number[] = [];
    for (let i = 0; i < REPEATS; i++) repeated.push((await timedGet(url(WINDOW_DAYS))).ms);
    const afterAppend: number[] = [];
    for (let i = 0; i < APPENDS; i++) {
      appendFileSync(file, appendLines.slice(i * APPEND_LINES, (i + 1) * APPEND_LINES).join('\n') + '\n');
      afterAppend.push((await timedGet(url(WINDOW_DAYS))).ms);
    }
    const apiPeakMb = peakRssMb(api.child.pid!);
    const reps = lines >= 1_000_000 ? 3 : 5;
    ctx.log(`metrics: naive baseline, ${reps} full re-parses`);
    const started = await NaiveBaseline.start(file, reps);
    naive = started.baseline;
    const equal = { checked: 0, equal: 0 };
    for (const windowDays of CHECKED_WINDOWS) {
      equal.checked++;
      if (await checkEqual(url(windowDays), windowDays, naive)) equal.equal++;
    }
    return {
      lines,
      fileMb,
      firstMs: first.ms,
      repeated,
      afterAppend,
      apiPeakMb,
      naive: started.samples,
      naivePeakMb: started.peakMb,
      equal,
    };
  } finally {
    await api.stop();
    await naive?.stop();
  }
}

function render(results: SizeResult[]): string {
  const rows = results.map((r) => {
    const rep = summarize(r.repeated);
    const app = summarize(r.afterAppend);
    const base = summarize(r.naive);
    return [
      r.lines.toLocaleString('en-US'),
      num(r.fileMb, 1),
      num(r.firstMs, 0),
      `${num(rep.median, 1)} / ${num(rep.p95, 1)}`,
      `${num(app.median, 1)} / ${num(app.p95, 1)}`,
      num(r.apiPeakMb, 0),
      `${num(base.median, 0)} / ${num(base.p95, 0)}`,
      num(r.naivePeakMb, 0),
      `${r.equal.equal}/${r.equal.checked}`,
    ];
  });
  const method = [
    `Method: each file is generated with the recipe of seed-system.md section 12 (\`node .bench-build/bench/gen-metrics.js N OUT --seed 42 --days 14\`: 0.1 % blank, 0.1 % invalid JSON, 0.1 % without created_at; about half the records inside the ${WINDOW_DAYS}-day window). ` +
      'The built API (`node bin/nightshift.js api`) is started in a child process with `PIPELINE_METRICS_FILE` pointing at the file and a temp project dir; every figure is a real HTTP `GET /api/agent/metrics?window_days=7` on loopback, timed by the client. ' +
      `"First" is the first call after start (the whole file is read); "repeated" are ${REPEATS} more calls with no new line (records still leave the window as the clock moves, so some of them recompute from the columns); ` +
      `"after append" are ${APPENDS} rounds of appending ${APPEND_LINES.toLocaleString('en-US')} recipe lines, then one call. Peak RSS is VmHWM of the API process after all calls. ` +
      'The baseline is the naive way in a separate node process: read the file, `parseMetricLine` on every line, `aggregate()`, on every call (what the reference does, and what it costs on each request). ' +
      `Equality: at the end (after the appends), for window_days ${CHECKED_WINDOWS.join(', ')}, the API's JSON is compared with the baseline's \`aggregate()\` over a fresh re-parse at the instants just before and after the request (repeated if a record crossed the window edge in between). ` +
      'The API is measured first, with the baseline process not yet started, so they never compete for the CPU.',
  ].join('');
  const header = [
    'lines',
    'file (MB)',
    'first call (ms)',
    'repeated median / p95 (ms)',
    'after +1,000 lines median / p95 (ms)',
    'API peak RSS (MB)',
    'naive re-parse per call median / p95 (ms)',
    'naive peak RSS (MB)',
    'equal to naive',
  ];
  const target = results.find((r) => r.lines === TARGET_LINES);
  const verdicts = target
    ? (() => {
        const rep = summarize(target.repeated);
        const app = summarize(target.afterAppend);
        return [
          `Targets at ${TARGET_LINES.toLocaleString('en-US')} lines (p95 where there are several samples):`,
          '',
          `- first call ≤ ${TARGETS.firstMs} ms: ${num(target.firstMs, 0)} ms, ${verdict(target.firstMs <= TARGETS.firstMs)}`,
          `- repeated calls ≤ ${TARGETS.repeatedMs} ms: p95 ${num(rep.p95, 1)} ms, ${verdict(rep.p95 <= TARGETS.repeatedMs)}`,
          `- after appending 1,000 lines ≤ ${TARGETS.afterAppendMs} ms: p95 ${num(app.p95, 1)} ms, ${verdict(app.p95 <= TARGETS.afterAppendMs)}`,
          `- peak memory ≤ ${TARGETS.peakRssMb} MB: ${num(target.apiPeakMb, 0)} MB, ${verdict(target.apiPeakMb <= TARGETS.peakRssMb)}`,
          `- results equal to the naive full re-parse: ${target.equal.equal} of ${target.equal.checked} checks, ${verdict(target.equal.equal === target.equal.checked)}`,
        ].join('\n');
      })()
    : `The targets are stated for ${TARGET_LINES.toLocaleString('en-US')} lines, which this run did not measure.`;
  const allEqual = results.every((r) => r.equal.equal === r.equal.checked);
  return [
    method,
    '',
    table(header, rows),
    '',
    verdicts,
    '',
    allEqual
      ? "Every check found the API's answer identical to the naive re-parse (same JSON, key order included)."
      : "**Some checks found the API's answer different from the naive re-parse** (see the table).",
  ].join('\n');
}

export async function metricsSection(ctx: {
  workDir: string;
  log: (line: string) => void;
  sizes?: number[];
  temporalAddress?: string;
}): Promise<BenchSection> {
  mkdirSync(ctx.workDir, { recursive: true });
  const results: SizeResult[] = [];
  for (const lines of ctx.sizes ?? [100_000, TARGET_LINES]) results.push(await measureSize(ctx, lines));
  return { title: 'Metrics aggregation: GET /api/agent/metrics on 1M records (figure 3)', body: render(results) };
}

if (require.main === module && process.argv[2] === '--naive-baseline') {
  naiveChild(process.argv[3], Number(process.argv[4]));
}
