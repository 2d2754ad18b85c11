import { projectPaths, type EnvConfig } from '../../src/config';
import type { TemporalClient } from '../../src/temporal/connection';
import { startPipeline } from '../../src/cli/commands/start';
import { pipelineStatusQuery } from '../../src/shared/messages';
import type { PipelineResult } from '../../src/shared/types';
import { makeProject, type TempProject } from '../helpers/project';
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
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('pipeline did not finish: is readBacklog over the payload limit?')), 150_000).unref());
    result = await Promise.race([handle.result() as Promise<PipelineResult>, timeout]);
    status = await handle.query(pipelineStatusQuery).catch(() => undefined);
  }, 200_000);

  afterAll(async () => {
    if (workflowId) await t.client.workflow.getHandle(workflowId).terminate('test over').catch(() => undefined);
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
