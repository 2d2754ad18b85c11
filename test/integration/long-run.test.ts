import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { awaitPipelineResult } from '../../src/temporal/pipeline-result';
import { projectHistories, type ProjectHistories } from '../../bench/histories';
import { noopAgentCommand, writeNoopAgent } from '../../bench/noop-agent';
import type { PipelineResult } from '../../src/shared/contracts/pipeline';
import { makeProject, readJsonl, waitFor } from '../helpers/project';
import { endProjectWorkflows, testConfig, useTestWorker } from '../helpers/temporal';

/**
 * Unattended operation: a pipeline that runs thousands of tasks keeps every
 * run's history bounded, because it continues-as-new (default threshold,
 * NIGHTSHIFT_CONTINUE_AS_NEW_EVENTS=2000) and every item is its own workflow.
 * The agent is the no-op node script of the benchmarks; items run 8 at once,
 * so the pipeline has to continue as new while items are running, not only
 * when it happens to be idle. Each item's first reviews fail, so it goes
 * through the fix loop up to the default PIPELINE_MAX_ITERATIONS (5) before
 * it passes: 16 tasks per item, 2,048 tasks, and item histories of ~300 events.
 */
const ITEMS = 128;
const FAILED_REVIEWS = 4;
const TASKS_PER_ITEM = 4 + 3 * FAILED_REVIEWS; // spec, then (impl, test, review) × 5
const PARALLEL = 8;
const MAX_EVENTS = 10_000;
const CONTINUE_AS_NEW_EVENTS = 2000;

describe('a long unattended run', () => {
  const agentDir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-noop-agent-'));
  const project = makeProject(
    Array.from({ length: ITEMS }, (_, i) => `Long run item ${String(i + 1).padStart(4, '0')}: a small change`),
  );
  const agent = noopAgentCommand(writeNoopAgent(agentDir), null, { failReviews: FAILED_REVIEWS, stateDir: agentDir });
  // The no-op agent changes no file: its impl tasks are completions here, or every item would fail its fix loop.
  const config = testConfig({
    PIPELINE_AGENT_COMMAND: agent,
    PIPELINE_META_RATIO: '0',
    PIPELINE_PARALLEL_ITEMS: String(PARALLEL),
    PIPELINE_IMPL_NO_CHANGE: 'allow',
  });
  const paths = projectPaths(config, project.root);
  const temporal = useTestWorker(config);
  let result: PipelineResult;
  let histories: ProjectHistories;

  beforeAll(async () => {
    const t = temporal.client();
    const run = await startPipeline(t, config, paths, { once: true });
    result = await awaitPipelineResult(t, run.workflowId); // a wait longer than the server's 5-minute connection age
    // Visibility records a run's final history length when the run closes; wait until every item run is listed closed.
    histories = await waitFor(
      async () => {
        const h = await projectHistories(t.client, paths.projectId);
        return h.items.length === ITEMS && h.items.every((r) => r.status !== 'RUNNING') ? h : null;
      },
      60_000,
      'every item run in visibility',
    );
  }, 20 * 60_000);

  afterAll(async () => {
    await endProjectWorkflows(temporal.client(), paths.projectId);
  });

  test('when 2,000+ tasks have run, then every item finished and passed after its fix iterations, each task has its one metrics line', () => {
    expect(result).toMatchObject({ reason: 'once', itemsPassed: ITEMS, itemsFailed: 0 });
    const metrics = readJsonl<{ task_id: string; status: string }>(paths.metricsFile);
    expect(metrics.length).toBeGreaterThanOrEqual(2000);
    expect(metrics).toHaveLength(ITEMS * TASKS_PER_ITEM);
    expect(new Set(metrics.map((m) => m.task_id)).size).toBe(metrics.length);
    expect(result.tasksRun).toBe(metrics.length);
    const outcomes = readJsonl<{ key: string; outcome: string }>(path.join(paths.stateDir, 'items.jsonl'));
    expect(new Set(outcomes.map((o) => o.key)).size).toBe(ITEMS);
    expect(outcomes.every((o) => o.outcome === 'passed')).toBe(true);
    expect(metrics.filter((m) => m.task_id && m.status === 'completed')).toHaveLength(metrics.length);
  });

  test('when its history passed the threshold while items were running, then the pipeline continued as new and later runs started the remaining items', () => {
    expect(histories.pipeline.filter((r) => r.status === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(1);
    expect(histories.pipeline.filter((r) => r.status === 'COMPLETED')).toHaveLength(1);
    // Items were started by more than one run of the chain: it continued as new in the middle of the backlog, not only
    // at its end.
    const startedBy = new Set(histories.items.map((r) => r.parentRunId));
    expect(startedBy.size).toBeGreaterThanOrEqual(2);
    expect([...startedBy].every((runId) => histories.pipeline.some((p) => p.runId === runId))).toBe(true);
  });

  test('when every run is listed, then none has more than 10,000 events in its history', () => {
    expect(histories.items).toHaveLength(ITEMS);
    const all = [...histories.pipeline, ...histories.items, ...histories.monitor];
    expect(all.filter((r) => r.historyLength > MAX_EVENTS)).toEqual([]);
    expect(all.filter((r) => !(r.historyLength > 0))).toEqual([]); // every length was really read
    // Each pipeline run ends soon after passing the threshold: at most the items still running finish first.
    for (const r of histories.pipeline) expect(r.historyLength).toBeLessThanOrEqual(CONTINUE_AS_NEW_EVENTS + 1000);
  });
});
