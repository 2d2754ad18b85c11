import os from 'node:os';
import path from 'node:path';
import { summarize, type BenchSection } from './report';
import { runBaseline } from './baseline/run';
import { cpuPerTask, cpuSplit, type CpuSplit } from './cpu-split';
import { benchProject, readAgentRecords, runInProcess, taskRate, type BenchContext } from './env';
import { projectHistories } from './histories';
import { commandLine, num, table, verdict } from './markdown';
import type { AgentRecord } from './noop-agent';
import {
  describeActivities,
  historyProfile,
  serialShare,
  shareOf,
  WORKFLOW_TASK,
  type HistoryProfile,
} from './profile';

const TASKS_PER_ITEM = 4;
/** The pipeline loop's own steps, and those of the chain that settles finished items beside it. */
const LOOP_STEPS = ['readBacklog', 'maintain', WORKFLOW_TASK];
const SETTLE_STEPS = ['closeWorktree', 'updateCoverage', 'recordItemOutcome'];
const PARALLEL = 8;
/** Issue #17: nightshift at least this share of the baseline's rate. */
const TARGET = 0.8;
/** Agent exits per window when the rate's spread within a run is measured. */
const WINDOW = 40;

/** One nightshift run: `items` items, 8 at once, in a fresh git project; tasks per second from the agent's records. */
/** Tasks per second over consecutive windows of `size` agent exits (the rate's spread within a run). */
function windowRates(records: AgentRecord[], size: number): number[] {
  const ends = records.map((r) => r.end).sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = size; i < ends.length; i += size) out.push(size / ((ends[i] - ends[i - size]) / 1000));
  return out;
}

interface Run {
  rate: number;
  windows: number[];
  wallMs: number;
  /** CPU milliseconds per task of each part, from the start of the workflows to the end of the last. */
  cpu: CpuSplit | null;
}

/** Samples the CPU split at the two phases of a run; `perTask` then says what each part spent per task. */
function cpuMeter(ctx: BenchContext) {
  const at: Partial<Record<'started' | 'ended', CpuSplit | null>> = {};
  return {
    onPhase: (phase: 'started' | 'ended') => void (at[phase] = cpuSplit(ctx.serverPid)),
    perTask: (tasks: number) => cpuPerTask(at.started ?? null, at.ended ?? null, tasks),
  };
}

async function nightshiftRun(ctx: BenchContext, items: number, run: number): Promise<Run & { loop: HistoryProfile }> {
  const recordFile = path.join(ctx.workDir, `throughput-nightshift-${run}.jsonl`);
  const project = benchProject(ctx, `throughput-${run}`, items, { parallel: PARALLEL, recordFile });
  const meter = cpuMeter(ctx);
  return runInProcess(
    ctx.address,
    project,
    { label: 'throughput', items, tasksPerItem: TASKS_PER_ITEM },
    async (t, wallMs) => {
      const cpu = meter.perTask(items * TASKS_PER_ITEM);
      const loop = await historyProfile(t.client, (await projectHistories(t.client, project.paths.projectId)).pipeline);
      const records = readAgentRecords(recordFile);
      return { rate: taskRate(records), windows: windowRates(records, WINDOW), wallMs, loop, cpu };
    },
    meter.onPhase,
  );
}

async function baselineRun(ctx: BenchContext, tasks: number, run: number): Promise<Run> {
  const recordFile = path.join(ctx.workDir, `throughput-baseline-${run}.jsonl`);
  const meter = cpuMeter(ctx);
  const { wallMs } = await runBaseline(ctx.address, {
    onPhase: meter.onPhase,
    workflows: PARALLEL,
    tasksEach: tasks / PARALLEL,
    agentFile: ctx.agentFile,
    recordFile,
    label: `throughput-${run}`,
  });
  const records = readAgentRecords(recordFile);
  return { rate: taskRate(records), windows: windowRates(records, WINDOW), wallMs, cpu: meter.perTask(tasks) };
}

/** Each part's median over the runs (null when any run could not be measured). */
function medianSplit(splits: (CpuSplit | null)[]): CpuSplit | null {
  if (!splits.length || splits.some((c) => !c)) return null;
  const all = splits as CpuSplit[];
  const median = (pick: (c: CpuSplit) => number) => summarize(all.map(pick)).median;
  return { worker: median((c) => c.worker), children: median((c) => c.children), server: median((c) => c.server) };
}

/**
 * CPU milliseconds per task by process, nightshift against the baseline (medians of the runs): on a machine whose CPU is
 * the limit, the rate follows the total.
 */
function cpuTable(n: CpuSplit | null, b: CpuSplit | null): string {
  if (!n || !b) return 'CPU per task: not measured (no /proc).';
  const total = (c: CpuSplit) => c.worker + c.children + c.server;
  const row = (label: string, pick: (c: CpuSplit) => number) => [
    label,
    num(pick(n)),
    num(pick(b)),
    num(pick(n) - pick(b)),
  ];
  return table(
    ['CPU per task (ms)', 'nightshift', 'baseline', 'difference'],
    [
      row('worker process (workflows, activities; the bench itself)', (c) => c.worker),
      row('child processes (agents, git)', (c) => c.children),
      row('Temporal server', (c) => c.server),
      row('total', total),
    ],
  );
}

/**
 * Figure 2: tasks per second with PIPELINE_PARALLEL_ITEMS=8, against 8
 * concurrent minimal workflows running the same total number of activities.
 * Three runs of each (one with --quick), alternating, back to back.
 */
export async function throughputSection(ctx: BenchContext): Promise<BenchSection> {
  const items = ctx.quick ? 24 : 200;
  // Three runs of each, alternating: one pair swings by 20% on a shared 2-core machine.
  const runs = ctx.quick ? 1 : 3;
  const tasks = items * TASKS_PER_ITEM;
  const ns: (Run & { loop: HistoryProfile })[] = [];
  const bl: Run[] = [];
  for (let run = 1; run <= runs; run++) {
    ctx.log(`throughput: run ${run}/${runs}: nightshift, ${items} items, PIPELINE_PARALLEL_ITEMS=${PARALLEL}`);
    ns.push(await nightshiftRun(ctx, items, run));
    ctx.log(
      `throughput: run ${run}/${runs}: nightshift ${num(ns[ns.length - 1].rate, 2)} tasks/s; baseline, ${PARALLEL} workflows × ${tasks / PARALLEL} activities`,
    );
    bl.push(await baselineRun(ctx, tasks, run));
    ctx.log(`throughput: run ${run}/${runs}: baseline ${num(bl[bl.length - 1].rate, 2)} tasks/s`);
  }
  const n = summarize(ns.map((r) => r.rate));
  const b = summarize(bl.map((r) => r.rate));
  const nw = summarize(ns.flatMap((r) => r.windows));
  const bw = summarize(bl.flatMap((r) => r.windows));
  const met = n.median >= TARGET * b.median;
  const body = [
    `${items} backlog items (${tasks} tasks) with \`PIPELINE_PARALLEL_ITEMS=${PARALLEL}\`, \`PIPELINE_AUTO_COMMIT=0\`, the no-op agent, in a ` +
      `fresh git repository on \`main\`. With more than one item at once and a base branch, every item runs in its own git ` +
      `worktree and branch: the item creates its worktree as its first step, commits each completed task on the item's branch (when the ` +
      `agent changed something — the no-op agent changes nothing), merges the branch back and updates ` +
      `\`docs/SPEC-COVERAGE.md\` with a commit after each item. Rate = tasks ÷ (last agent exit − first agent start), ` +
      `from the agent's own records; its spread within the run: the rate over each window of ${WINDOW} consecutive agent exits. ` +
      `Baseline: ${PARALLEL} minimal workflows at once, ${tasks / PARALLEL} sequential activities ` +
      `each (${tasks} in all), each spawning the same agent. ${runs} run(s) of each${runs > 1 ? ', alternating' : ''}.`,
    '',
    table(
      ['tasks per second', 'nightshift', 'baseline', 'nightshift ÷ baseline'],
      [
        [
          `whole run${runs > 1 ? ' (median of runs)' : ''}`,
          num(n.median, 2),
          num(b.median, 2),
          num(n.median / b.median, 2),
        ],
        ...(runs > 1
          ? [
              [
                'each run',
                ns.map((r) => num(r.rate, 2)).join(', '),
                bl.map((r) => num(r.rate, 2)).join(', '),
                ns.map((r, i) => num(r.rate / bl[i].rate, 2)).join(', '),
              ],
            ]
          : []),
        [`${WINDOW}-task windows: median`, num(nw.median, 2), num(bw.median, 2), num(nw.median / bw.median, 2)],
        [`${WINDOW}-task windows: p95`, num(nw.p95, 2), num(bw.p95, 2), ''],
        ['windows', nw.n, bw.n, ''],
        [
          'wall time (s)',
          ns.map((r) => num(r.wallMs / 1000)).join(', '),
          bl.map((r) => num(r.wallMs / 1000)).join(', '),
          '',
        ],
      ],
    ),
    '',
    cpuTable(medianSplit(ns.map((r) => r.cpu)), medianSplit(bl.map((r) => r.cpu))),
    '',
    `CPU time from /proc between the start of the workflows and the end of the last, divided by the tasks run (each part's ` +
      `median over the runs): the ` +
      `worker runs in the bench process (its own time), agents and git are its child processes (their time once ` +
      `reaped), and the Temporal server is the embedded dev server. With ${os.cpus().length} cores kept busy, a total ` +
      `of T ms per task caps the rate at ${os.cpus().length}000 ÷ T tasks/s.`,
    '',
    `Target: nightshift ≥ ${TARGET} × the baseline (${num(TARGET * b.median, 2)} tasks/s): ${verdict(met)}.`,
    '',
    `Where the pipeline workflow's time went (from its own history): ${describeActivities(ns[0].loop)}, and ` +
      `${ns[0].loop.workflowTasks.count} workflow tasks of ${num(ns[0].loop.workflowTasks.totalMs / Math.max(1, ns[0].loop.workflowTasks.count))} ms ` +
      `(means, scheduled → completed). Its loop starts one item at a time (a backlog read, a child start, their workflow tasks): ` +
      `busy ${num(100 * shareOf(ns[0].loop, LOOP_STEPS), 0)}% of the pipeline's lifetime. Finished items are settled one at a time beside it ` +
      `(merge and worktree removal, coverage, outcome record): busy ${num(100 * shareOf(ns[0].loop, SETTLE_STEPS), 0)}%. ` +
      `Either near 100% would make the items wait for the pipeline rather than for agent slots; all of its steps together ` +
      `covered ${num(100 * serialShare(ns[0].loop), 0)}%.`,
    '',
    commandLine(ctx.command),
  ].join('\n');
  return { title: 'Throughput', body };
}
