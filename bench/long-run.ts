import path from 'node:path';
import type { BenchSection } from './report';
import {
  benchProject,
  endProject,
  memoryAfterGc,
  readAgentRecords,
  sleepMs,
  startBenchPipeline,
  startWorkerProcess,
  taskRate,
  type BenchContext,
} from './env';
import type { MemorySample } from './gc-probe';
import { longest, projectHistories, type ProjectHistories, type RunHistory } from './histories';
import { commandLine, num, table, verdict } from './markdown';
import type { AgentRecord } from './noop-agent';
import { describeActivities, historyProfile, serialShare, type HistoryProfile } from './profile';

/** The first 4 reviews of each item fail: spec, then (impl, test, review) × 5 — the default PIPELINE_MAX_ITERATIONS. */
const FAIL_REVIEWS = 4;
const TASKS_PER_ITEM = 4 + 3 * FAIL_REVIEWS;
const PARALLEL = 8;
const EVENT_LIMIT = 10_000;
const RSS_GROWTH_LIMIT_MB = 100;
/** Items profiled at the start and at the end of the run, to see whether a task costs more late than early. */
const SAMPLE_ITEMS = 20;

/** About ten evenly spaced samples of a series, the last one included. */
function everyTenth<T>(xs: T[]): T[] {
  const step = Math.max(1, Math.round(xs.length / 10));
  return xs.filter((_, i) => i % step === step - 1 || i === xs.length - 1);
}

const mb = (kb: number | null) => (kb === null ? NaN : kb / 1024);
const bytesMb = (b: number | undefined) => (b === undefined ? NaN : b / 1024 / 1024);
const heaps = (m: MemorySample | null) => ({
  used: m ? m.threads.reduce((t, h) => t + h.heapUsed, 0) : NaN,
  total: m ? m.threads.reduce((t, h) => t + h.heapTotal, 0) : NaN,
});
const heapsCell = (m: MemorySample | null) =>
  m ? `${num(bytesMb(heaps(m).used), 0)} / ${num(bytesMb(heaps(m).total), 0)} (${m.threads.length})` : '—';
/** Memory outside the V8 heaps: native (the Rust core, buffers, malloc arenas), code, stacks. */
const outsideHeaps = (m: MemorySample | null) => (m ? bytesMb(m.rss - heaps(m).total) : NaN);

function describeRuns(runs: RunHistory[]): string {
  const max = longest(runs);
  return max ? `${runs.length} run(s), longest ${max.historyLength} events` : 'none';
}

/** Tasks per second over the first and the last fifth of the tasks (by exit time). */
function fifths(records: AgentRecord[]): { first: number; last: number } {
  const ends = records.map((r) => r.end).sort((a, b) => a - b);
  const k = Math.floor(ends.length / 5);
  if (k < 2) return { first: NaN, last: NaN };
  const start = Math.min(...records.map((r) => r.start));
  return {
    first: k / ((ends[k - 1] - start) / 1000),
    last: k / ((ends[ends.length - 1] - ends[ends.length - 1 - k]) / 1000),
  };
}

const meanOf = (p: HistoryProfile, activity: string) => {
  const a = p.activities.get(activity);
  return a && a.count ? a.totalMs / a.count : NaN;
};

interface RunOutcome {
  failure: string | null;
  summary: string;
  wallMs: number;
  rss: {
    start: number | null;
    end: number | null;
    peak: number;
    warm: { tasks: number; rssKb: number | null } | undefined;
  };
  /** Right after a full GC of the worker's main thread, at start and at the end. */
  gc: { start: MemorySample | null; end: MemorySample | null };
  /** RSS as sampled, at about every tenth of the run. */
  series: { tasks: number; rssKb: number | null }[];
  histories: ProjectHistories;
  loop: HistoryProfile;
  early: HistoryProfile;
  late: HistoryProfile;
}

async function runLong(ctx: BenchContext, items: number, recordFile: string): Promise<RunOutcome> {
  const tasks = items * TASKS_PER_ITEM;
  const project = benchProject(ctx, 'long-run', items, { parallel: PARALLEL, recordFile, failReviews: FAIL_REVIEWS });
  const memoryFile = path.join(ctx.workDir, 'long-run-worker-memory.jsonl');
  const worker = await startWorkerProcess(ctx, project, 'long-run', memoryFile);
  const gcStart = await memoryAfterGc(worker, memoryFile);
  const rssStart = worker.rssKb();
  const samples: { tasks: number; rssKb: number | null }[] = [];
  const pipeline = await startBenchPipeline(project);
  const started = Date.now();
  let done = false;
  const sampler = (async () => {
    while (!done) {
      samples.push({ tasks: readAgentRecords(recordFile).length, rssKb: worker.rssKb() });
      const last = samples[samples.length - 1];
      if (samples.length % 15 === 0)
        ctx.log(`long-run: ${last.tasks}/${tasks} tasks, worker RSS ${num(mb(last.rssKb), 0)} MB`);
      await sleepMs(2000);
    }
  })();
  let failure: string | null = null;
  let summary = '';
  try {
    const r = await pipeline.result();
    summary = `${r.itemsPassed} items passed, ${r.itemsFailed} failed, ${r.tasksRun} tasks`;
  } catch (err) {
    failure =
      err instanceof Error
        ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}`
        : String(err);
    ctx.log(`long-run: the pipeline did not complete: ${failure}`);
  }
  const wallMs = Date.now() - started;
  const rssEnd = worker.rssKb();
  done = true;
  await sampler;
  const gcEnd = await memoryAfterGc(worker, memoryFile);
  try {
    const histories = await projectHistories(pipeline.t.client, project.paths.projectId);
    const c = pipeline.t.client;
    return {
      failure,
      summary,
      wallMs,
      rss: {
        start: rssStart,
        end: rssEnd,
        peak: Math.max(...samples.map((s) => s.rssKb ?? 0)),
        warm: samples.find((s) => s.tasks >= Math.min(200, tasks / 10)),
      },
      gc: { start: gcStart, end: gcEnd },
      series: everyTenth(samples),
      histories,
      loop: await historyProfile(c, histories.pipeline),
      early: await historyProfile(c, histories.items.slice(0, SAMPLE_ITEMS)),
      late: await historyProfile(c, histories.items.slice(-SAMPLE_ITEMS)),
    };
  } finally {
    await endProject(pipeline.t, project.paths.projectId);
    await pipeline.t.close();
    await worker.stop();
  }
}

/**
 * Figure 5: thousands of tasks through one pipeline (8 items at once, each
 * through the fix loop), with the worker as its own process. Afterwards every
 * run of the pipeline's continue-as-new chain, every item run and every
 * monitor run is listed with its history length; the worker's RSS is read from
 * /proc at start and end.
 */
export async function longRunSection(ctx: BenchContext): Promise<BenchSection> {
  const items = ctx.quick ? 25 : 313;
  const tasks = items * TASKS_PER_ITEM;
  const recordFile = path.join(ctx.workDir, 'long-run.jsonl');
  ctx.log(
    `long-run: ${items} items × ${TASKS_PER_ITEM} tasks (${tasks}), PIPELINE_PARALLEL_ITEMS=${PARALLEL}, worker as a child process`,
  );
  const o = await runLong(ctx, items, recordFile);
  const { histories, rss } = o;
  const records = readAgentRecords(recordFile);
  const all = [...histories.pipeline, ...histories.items, ...histories.monitor];
  const max = longest(all);
  const growthMb = mb(rss.end) - mb(rss.start);
  const gcGrowthMb = bytesMb(o.gc.end?.rss) - bytesMb(o.gc.start?.rss);
  const eventsMet = !!max && max.historyLength < EVENT_LIMIT;
  const rssMet = growthMb <= RSS_GROWTH_LIMIT_MB;
  const gcRssMet = gcGrowthMb <= RSS_GROWTH_LIMIT_MB;
  const canRuns = histories.pipeline.filter((r) => r.status === 'CONTINUED_AS_NEW').length;
  const rate = fifths(records);
  ctx.log(
    `long-run: ${records.length} tasks in ${num(o.wallMs / 1000)} s; longest run ${max?.historyLength} events (${max?.workflowId}); RSS ${num(mb(rss.start), 0)} → ${num(mb(rss.end), 0)} MB`,
  );

  const itemsStartedBy = (runId: string) => histories.items.filter((i) => i.parentRunId === runId).length;
  const pipelineRuns = histories.pipeline.map((r) => `${r.historyLength} (${itemsStartedBy(r.runId)} items)`);
  const body = [
    `${items} backlog items through one pipeline with \`PIPELINE_PARALLEL_ITEMS=${PARALLEL}\` (worktrees), the default ` +
      `\`NIGHTSHIFT_CONTINUE_AS_NEW_EVENTS=2000\` and \`PIPELINE_MAX_ITERATIONS=5\`, and \`nightshift worker\` as a child process ` +
      `(RSS from \`/proc/<pid>/status\`, sampled every 2 s). The no-op agent fails the first ${FAIL_REVIEWS} reviews of every item, ` +
      `so each item runs spec and then impl → test → review five times: ${TASKS_PER_ITEM} tasks per item, ${tasks} in all. ` +
      `Afterwards every run is listed through visibility (\`client.workflow.list\`; \`describe()\` for a run still open) with its history length.`,
    '',
    o.failure
      ? `**The pipeline did not complete:** \`${o.failure}\`. ${records.length} of ${tasks} tasks ran in ${num(o.wallMs / 1000)} s.`
      : `Result: ${o.summary}, in ${num(o.wallMs / 1000)} s (${num(taskRate(records), 2)} tasks/s; first fifth of the tasks ${num(rate.first, 2)}/s, last fifth ${num(rate.last, 2)}/s).`,
    '',
    table(
      ['workflow runs', 'runs', 'longest history (events)', 'each run: events (items it started)'],
      [
        [
          'pipeline (continue-as-new chain)',
          histories.pipeline.length,
          longest(histories.pipeline)?.historyLength ?? '—',
          pipelineRuns.length <= 12 ? pipelineRuns.join(', ') : `${pipelineRuns.slice(0, 12).join(', ')}, …`,
        ],
        ['items', histories.items.length, longest(histories.items)?.historyLength ?? '—', ''],
        [
          'monitor',
          histories.monitor.length,
          longest(histories.monitor)?.historyLength ?? '—',
          histories.monitor.map((r) => r.historyLength).join(', '),
        ],
      ],
    ),
    '',
    table(
      [
        'worker memory (MB)',
        'RSS as sampled',
        'after a full GC: RSS',
        'V8 heaps, all threads: used / allocated',
        'RSS − V8 heaps',
      ],
      [
        [
          'at start (worker polling, before the pipeline)',
          num(mb(rss.start), 0),
          num(bytesMb(o.gc.start?.rss), 0),
          heapsCell(o.gc.start),
          num(outsideHeaps(o.gc.start), 0),
        ],
        [`after warm-up (${rss.warm?.tasks ?? '—'} tasks)`, num(mb(rss.warm?.rssKb ?? null), 0), '', '', ''],
        ['peak', num(mb(rss.peak), 0), '', '', ''],
        [
          'at the end',
          num(mb(rss.end), 0),
          num(bytesMb(o.gc.end?.rss), 0),
          heapsCell(o.gc.end),
          num(outsideHeaps(o.gc.end), 0),
        ],
        [
          'growth start → end',
          num(growthMb, 0),
          num(gcGrowthMb, 0),
          '',
          num(outsideHeaps(o.gc.end) - outsideHeaps(o.gc.start), 0),
        ],
      ],
    ),
    '',
    `RSS as the run went on (tasks done: MB): ${o.series.map((g) => `${g.tasks}: ${num(mb(g.rssKb), 0)}`).join(', ')}.`,
    '',
    `The worker runs with a preload (\`bench/gc-probe.ts\`, \`--expose-gc\`) that, on SIGUSR2 (only at the start and at the ` +
      `end), has every thread collect its heap and reports \`process.memoryUsage()\` with each thread's V8 heap. RSS as sampled ` +
      `includes garbage V8 has not collected yet; the V8 heaps after a collection are what JavaScript holds; the rest of RSS is ` +
      `native memory (the Temporal core, buffers, malloc arenas) and code.`,
    '',
    `Targets: fewer than ${EVENT_LIMIT.toLocaleString('en')} events in any run (longest: ${max ? `${max.historyLength}, \`${max.workflowId}\`` : '—'}; ` +
      `the pipeline continued-as-new ${canRuns} time(s)): ${verdict(eventsMet)}. RSS growth ≤ ${RSS_GROWTH_LIMIT_MB} MB: as sampled ${verdict(rssMet)}, ` +
      `after a full GC ${verdict(gcRssMet)}.`,
    '',
    `Pipeline: ${describeRuns(histories.pipeline)}; items: ${describeRuns(histories.items)}; monitor: ${describeRuns(histories.monitor)}. ` +
      `The pipeline's own steps (its loop and the settles beside it) covered ${num(100 * serialShare(o.loop), 0)}% of its lifetime (${describeActivities(o.loop, 4)}). ` +
      `Inside items, the first ${SAMPLE_ITEMS} items vs the last ${SAMPLE_ITEMS}: \`commitTask\` ${num(meanOf(o.early, 'commitTask'))} → ${num(meanOf(o.late, 'commitTask'))} ms, ` +
      `\`finishTask\` ${num(meanOf(o.early, 'finishTask'))} → ${num(meanOf(o.late, 'finishTask'))} ms, ` +
      `\`runAgentTask\` ${num(meanOf(o.early, 'runAgentTask'))} → ${num(meanOf(o.late, 'runAgentTask'))} ms (means, scheduled → completed).`,
    '',
    commandLine(ctx.command),
  ].join('\n');
  return { title: 'Long run', body };
}
