import path from 'node:path';
import { summarize, type BenchSection } from './report';
import { baselineGroup, runBaseline } from './baseline/run';
import {
  benchProject,
  handoffsByGroup,
  itemOfTask,
  readAgentRecords,
  runInProcess,
  type BenchContext,
  type BenchProject,
} from './env';
import { projectHistories } from './histories';
import { commandLine, num, table, verdict } from './markdown';
import type { AgentRecord } from './noop-agent';
import { historyProfile, type HistoryProfile } from './profile';

const TASKS_PER_ITEM = 4; // spec, impl, test, review: the no-op agent passes each at once

/** Gaps between the last agent of one item and the first agent of the next (the pipeline's own step). */
function itemGaps(records: AgentRecord[], itemOf: Map<string, string>): number[] {
  const sorted = [...records].sort((a, b) => a.start - b.start);
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i++) {
    if (itemOf.get(sorted[i].task_id) !== itemOf.get(sorted[i - 1].task_id))
      gaps.push(sorted[i].start - sorted[i - 1].end);
  }
  return gaps;
}

/** Runs the pipeline over the project with nightshift's worker in this process; profiles the item runs. */
async function runNightshift(
  ctx: BenchContext,
  project: BenchProject,
  items: number,
): Promise<{ wallMs: number; items: HistoryProfile }> {
  return runInProcess(
    ctx.address,
    project,
    { label: 'handoff', items, tasksPerItem: TASKS_PER_ITEM },
    async (t, wallMs) => ({
      wallMs,
      items: await historyProfile(t.client, (await projectHistories(t.client, project.paths.projectId)).items),
    }),
  );
}

const meanMs = (a: { count: number; totalMs: number } | undefined) => (a && a.count ? a.totalMs / a.count : NaN);

/**
 * Figure 1: time from one task's agent exit to the next task's agent start
 * within an item, items one after another, against a minimal workflow running
 * the same number of sequential activities that spawn the same agent.
 */
export async function handoffSection(ctx: BenchContext): Promise<BenchSection> {
  const items = ctx.quick ? 10 : 50;
  const tasks = items * TASKS_PER_ITEM;

  ctx.log(`handoff: nightshift, ${items} items in a row (PIPELINE_PARALLEL_ITEMS=1, auto-commit off)`);
  const nsRecords = path.join(ctx.workDir, 'handoff-nightshift.jsonl');
  const project = benchProject(ctx, 'handoff', items, { parallel: 1, recordFile: nsRecords });
  const ns = await runNightshift(ctx, project, items);
  const nsAgents = readAgentRecords(nsRecords);
  const itemOf = itemOfTask(project.paths.stateDir);
  const nsHandoffs = handoffsByGroup(nsAgents, (r) => itemOf.get(r.task_id));
  const gaps = summarize(itemGaps(nsAgents, itemOf));

  ctx.log(`handoff: baseline, one workflow with ${tasks} sequential activities`);
  const blRecords = path.join(ctx.workDir, 'handoff-baseline.jsonl');
  const bl = await runBaseline(ctx.address, {
    workflows: 1,
    tasksEach: tasks,
    agentFile: ctx.agentFile,
    recordFile: blRecords,
    label: 'handoff',
  });
  const blHandoffs = handoffsByGroup(readAgentRecords(blRecords), (r) => baselineGroup(r.task_id));

  const n = summarize(nsHandoffs);
  const b = summarize(blHandoffs);
  const agentRun = summarize(nsAgents.map((r) => r.end - r.start));
  const met = n.median <= 2 * b.median;
  ctx.log(
    `handoff: nightshift median ${num(n.median)} ms p95 ${num(n.p95)} ms; baseline median ${num(b.median)} ms p95 ${num(b.p95)} ms`,
  );

  const body = [
    `${items} backlog items in a row through one pipeline (\`PIPELINE_PARALLEL_ITEMS=1\`, \`PIPELINE_AUTO_COMMIT=0\`, ` +
      `no test command), each item spec → impl → test → review with the no-op agent, nightshift's worker in the bench process. ` +
      `The agent records its own process start (\`performance.timeOrigin\`) and the moment before it exits; a hand-off is the ` +
      `next task's start minus the previous task's exit within one item (${n.n} hand-offs). The baseline is one minimal workflow ` +
      `(\`bench/baseline/workflows.ts\`, own task queue, own worker in the bench process) running ${tasks} sequential ` +
      `activities, each spawning the same agent; its hand-offs are measured the same way (${b.n}).`,
    '',
    table(
      ['hand-off (ms)', 'nightshift', 'baseline', 'nightshift ÷ baseline'],
      [
        ['median', num(n.median), num(b.median), num(n.median / b.median, 2)],
        ['p95', num(n.p95), num(b.p95), num(n.p95 / b.p95, 2)],
        ['samples', n.n, b.n, ''],
      ],
    ),
    '',
    `Target: nightshift's median ≤ 2 × the baseline's (${num(2 * b.median)} ms): ${verdict(met)}.`,
    '',
    `What a hand-off inside an item is made of (means from the item workflows' histories, scheduled → completed): the ` +
      `agent activity's tail (log closed, pid file removed), one workflow task (${num(meanMs(ns.items.workflowTasks))} ms) that ` +
      `schedules both the finished task's \`finishTask\` (${num(meanMs(ns.items.activities.get('finishTask')))} ms: the task ` +
      `snapshot and its metrics line, run beside the next agent) and the next \`runAgentTask\`, then that activity's set-up ` +
      `(prompt file, "running" snapshot, log file) and the spawn. The baseline has the same one workflow task per hand-off and ` +
      `no bookkeeping. ` +
      `Between items (last task of one item → first task of the next: outcome record, coverage, backlog read, child start): ` +
      `median ${num(gaps.median)} ms, p95 ${num(gaps.p95)} ms (${gaps.n} gaps). One agent run itself (start → exit, mostly ` +
      `node's bootstrap): median ${num(agentRun.median)} ms. Wall time: nightshift ${num(ns.wallMs / 1000)} s for ${tasks} tasks, ` +
      `baseline ${num(bl.wallMs / 1000)} s.`,
    '',
    commandLine(ctx.command),
  ].join('\n');
  return { title: 'Hand-off latency', body };
}
