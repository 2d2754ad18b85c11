import { projectPaths } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { pipelineStatusQuery } from '../../src/shared/messages';
import { TaskIndex } from '../../src/tasks/store';
import { makeProject, readJsonl, waitFor } from '../helpers/project';
import { startTestWorker, testClient, testConfig } from '../helpers/temporal';

describe('usage limits', () => {
  test('when the agent reports a usage limit, then the task is not failed, dispatch pauses until the reset, and the same task runs again', async () => {
    const project = makeProject(['Hit the limit', 'Wait behind it'], {
      impl: [
        { output: "Claude AI usage limit reached. You've hit your usage limit; try again in 3 seconds." },
        { output: 'implemented after the reset' },
      ],
      review: [{ output: 'VERDICT: pass' }],
    });
    const config = testConfig({
      PIPELINE_AGENT_COMMAND: project.agentCommand,
      PIPELINE_META_RATIO: '0',
      PIPELINE_BACKLOG_POLL_SECONDS: '0.5',
    });
    const t = testClient(config);
    const worker = await startTestWorker(config);
    try {
      const paths = projectPaths(config, project.root);
      const started = await startPipeline(t, config, paths, { once: true });
      const handle = t.client.workflow.getHandle(started.workflowId);
      const paused = await waitFor(
        async () => (await handle.query(pipelineStatusQuery)).rateLimitedUntil,
        30_000,
        'the pause to show',
      );
      expect(Date.parse(paused)).toBeGreaterThan(Date.now() - 1000);
      const limited = (await new TaskIndex(paths.stateDir).all()).find((x) => x.task_type === 'impl')!;
      expect(limited.status).toBe('pending');
      expect(limited.output).toContain('[Pipeline] Usage limit reached: paused until');
      const result = await handle.result();
      expect(result).toMatchObject({ itemsPassed: 2, itemsFailed: 0, tasksRun: 8 });
      const impls = project.calls().filter((c) => c.taskType === 'impl');
      expect(impls).toHaveLength(3);
      expect(impls[0].taskId).toBe(impls[1].taskId); // the same task, run again after the reset
      const metrics = readJsonl<{ task_id: string; status: string }>(paths.metricsFile);
      expect(metrics.filter((m) => m.status === 'failed')).toHaveLength(0);
      expect(metrics.filter((m) => m.task_id === impls[0].taskId)).toEqual([
        expect.objectContaining({ status: 'completed' }),
      ]);
    } finally {
      await worker.stop();
      await t.close();
    }
  });
});
