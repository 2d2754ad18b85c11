import { projectPaths, type EnvConfig } from '../../src/config';
import type { TemporalClient } from '../../src/temporal/connection';
import { startPipeline } from '../../src/cli/commands/start';
import { pipelineStatusQuery } from '../../src/shared/messages';
import type { PipelineResult } from '../../src/shared/contracts/pipeline';
import { MAX_LISTED_ITEMS } from '../../src/activities/backlog';
import path from 'node:path';
import { makeProject, readJsonl, type TempProject } from '../helpers/project';
import { startTestWorker, testClient, testConfig, type TestWorker } from '../helpers/temporal';

/**
 * Issue 19: a backlog whose items add up to more than Temporal's 2 MiB payload
 * limit made every readBacklog fail (PayloadsTooLarge) and the pipeline never
 * started an item. Its items now travel as excerpts, and each item still tells
 * the agent its whole text.
 */
describe('a backlog larger than a Temporal payload, on the real dev server', () => {
  let project: TempProject;
  let config: EnvConfig;
  let t: TemporalClient;
  let worker: TestWorker;
  let result: PipelineResult;
  let status: { items: { text: string }[] } | undefined;
  let workflowId = '';
  const texts = [1, 2, 3].map((n) => (`Implement part ${n}: ` + `detail${n} `.repeat(90_000)).trimEnd()); // ~800 KB each

  beforeAll(async () => {
    project = makeProject(texts, { review: [{ output: 'Looks right.\nVERDICT: pass' }] });
    config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand, PIPELINE_META_RATIO: '0' });
    t = testClient(config);
    worker = await startTestWorker(config);
    const started = await startPipeline(t, config, projectPaths(config, project.root), { once: true });
    workflowId = started.workflowId;
    const handle = t.client.workflow.getHandle(workflowId);
    // Bounded: before the fix, the pipeline retried its backlog read forever.
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error('pipeline did not finish: is readBacklog over the payload limit?')),
        150_000,
      ).unref(),
    );
    result = await Promise.race([handle.result() as Promise<PipelineResult>, timeout]);
    status = await handle.query(pipelineStatusQuery).catch(() => undefined);
  }, 200_000);

  afterAll(async () => {
    if (workflowId)
      await t.client.workflow
        .getHandle(workflowId)
        .terminate('test over')
        .catch(() => undefined);
    await worker?.stop();
    await t?.close();
  });

  test('when the items add up to more than 2 MiB, then every item runs and passes', () => {
    expect(Buffer.byteLength(texts.join(''))).toBeGreaterThan(2 * 1024 * 1024);
    expect(result).toMatchObject({ reason: 'once', itemsPassed: 3, itemsFailed: 0 });
  });

  test('when an item came as an excerpt, then every direction its agent got holds its whole text', () => {
    const calls = project.calls();
    expect(calls).toHaveLength(12);
    for (const text of texts) {
      const own = calls.filter((c) => c.direction.includes(text.slice(0, 40)));
      expect(own.map((c) => c.taskType)).toEqual(['spec', 'impl', 'test', 'review']);
      for (const c of own) expect(c.direction).toContain(`: ${text}.`);
    }
  });

  test('when the status is asked for, then items show their excerpts, not megabytes', () => {
    if (!status) return; // the workflow may have been closed and its query not answered
    for (const item of status.items) expect(item.text.length).toBeLessThanOrEqual(2000);
  });
});

/**
 * Issue 19 asks for 10,000 items too: the backlog read, the pipeline's state (carried across continue-as-new),
 * its status query and the API's status stay under Temporal's payload limits and start the next item.
 */
describe('a backlog of 10,000 items, on the real dev server', () => {
  test('when the backlog has 10,000 items, then the pipeline starts and finishes items across continue-as-new, and its status stays bounded', async () => {
    const items = Array.from(
      { length: 10_000 },
      (_, n) => `Backlog item number ${n + 1}: add the ${n + 1}th endpoint with its validation and tests`,
    );
    const project = makeProject(items, { review: [{ output: 'Looks right.\nVERDICT: pass' }] });
    // a short history limit: the state of 10,000 items is carried into the next run at least once
    const config = testConfig({
      PIPELINE_AGENT_COMMAND: project.agentCommand,
      PIPELINE_META_RATIO: '0',
      NIGHTSHIFT_CONTINUE_AS_NEW_EVENTS: '40',
    });
    const t = testClient(config);
    const worker = await startTestWorker(config);
    try {
      const started = await startPipeline(t, config, projectPaths(config, project.root), { maxItems: 3 });
      const handle = t.client.workflow.getHandle(started.workflowId);
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error('pipeline did not finish 3 items of a 10,000-item backlog')),
          150_000,
        ).unref(),
      );
      const result = await Promise.race([handle.result() as Promise<PipelineResult>, timeout]);
      expect(result).toMatchObject({ reason: 'max_items', itemsFailed: 0 });
      // each of the first three items passed, once (the result counts only its last run's items)
      const outcomes = readJsonl<{ key: string; outcome: string }>(
        path.join(projectPaths(config, project.root).stateDir, 'items.jsonl'),
      );
      expect(outcomes.map((o) => o.outcome)).toEqual(['passed', 'passed', 'passed']);
      expect(new Set(outcomes.map((o) => o.key)).size).toBe(3);
      const runs = await t.client.workflow.list({ query: `WorkflowId = '${started.workflowId}'` });
      let count = 0;
      for await (const _ of runs) count += 1;
      expect(count).toBeGreaterThan(1); // it continued as new with the 9,997 pending items in its state
      // the status lists a bounded window of the backlog and counts every item
      const status = await handle.query(pipelineStatusQuery);
      expect(status.items.length).toBeLessThanOrEqual(MAX_LISTED_ITEMS);
      expect(status.itemsByState).toEqual({ pending: 9_997, running: 0, passed: 3, failed: 0 });
      expect(Buffer.byteLength(JSON.stringify(status))).toBeLessThan(512 * 1024);
      // and every read stayed far below the payload limit
      const history = await handle.fetchHistory();
      for (const e of history.events ?? []) {
        const payloads = e.activityTaskCompletedEventAttributes?.result?.payloads ?? [];
        for (const p of payloads) expect(p.data?.length ?? 0).toBeLessThan(512 * 1024);
      }
    } finally {
      await worker.stop();
      await t.close();
    }
  }, 200_000);
});
