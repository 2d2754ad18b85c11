import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { projectPaths } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { itemWorkflowId } from '../../src/shared/names';
import { makeProject, readJsonl, waitFor } from '../helpers/project';
import { startTestWorker, testClient, testConfig } from '../helpers/temporal';

describe('fault: the metrics store cannot be written', () => {
  test('when appending fails, then the error is clear, nothing is lost, and the pipeline goes on once the store is writable again', async () => {
    const project = makeProject(['Survive a broken disk'], { review: [{ output: 'VERDICT: pass' }] });
    const config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand, PIPELINE_META_RATIO: '0' });
    const paths = projectPaths(config, project.root);
    // A directory where the metrics file should be: every append fails (EISDIR), like a full or read-only disk.
    mkdirSync(paths.metricsFile, { recursive: true });
    const t = testClient(config);
    const worker = await startTestWorker(config);
    try {
      const started = await startPipeline(t, config, paths, { once: true });
      const itemKey = await waitFor(
        () =>
          project.calls()[0]?.taskId && readJsonl<{ item_key: string }>(`${paths.stateDir}/tasks.jsonl`)[0]?.item_key,
        30_000,
        'the first task',
      );
      const failure = await waitFor(
        async () => {
          const d = await t.client.workflow.getHandle(itemWorkflowId(paths.projectId, itemKey)).describe();
          return d.raw.pendingActivities?.find((a) => a.lastFailure?.message)?.lastFailure?.message;
        },
        30_000,
        'the failing append to be reported',
      );
      expect(failure).toMatch(/EISDIR|illegal operation on a directory/);
      // The tasks run on beside the pending records (a record never holds up the next agent), but the item does not
      // end without them, and so the pipeline does not move on without them.
      await waitFor(() => project.calls().length === 4, 60_000, 'the item’s four tasks');
      await new Promise((r) => setTimeout(r, 2000));
      const item = await t.client.workflow.getHandle(itemWorkflowId(paths.projectId, itemKey)).describe();
      expect(item.status.name).toBe('RUNNING');
      expect(existsSync(`${paths.stateDir}/items.jsonl`) ? readJsonl(`${paths.stateDir}/items.jsonl`) : []).toEqual([]);
      rmSync(paths.metricsFile, { recursive: true, force: true }); // space is back
      const result = await t.client.workflow.getHandle(started.workflowId).result();
      expect(result).toMatchObject({ itemsPassed: 1, tasksRun: 4 });
      const metrics = readJsonl<{ task_id: string; task_type: string }>(paths.metricsFile);
      expect(metrics.map((m) => m.task_type)).toEqual(['spec', 'impl', 'test', 'review']);
      expect(new Set(metrics.map((m) => m.task_id)).size).toBe(4);
    } finally {
      await worker.stop();
      await t.close();
    }
  });
});
