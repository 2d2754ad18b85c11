import { projectPaths } from '../../src/config';
import { pipelineWorkflowId, scheduleId } from '../../src/shared/names';
import { pipelineStatusQuery } from '../../src/shared/messages';
import { runCli } from '../helpers/cli';
import { makeProject, waitFor } from '../helpers/project';
import { startTestWorker, testAddress, testClient, testConfig } from '../helpers/temporal';

describe('nightshift schedule (pipeline windows)', () => {
  test('when a schedule is created, listed, updated, fired twice and deleted, then it opens one pipeline window for the project', async () => {
    const project = makeProject(['A scheduled item'], {
      default: [{ sleepMs: 200, output: 'did the scheduled work' }],
      review: [{ output: 'VERDICT: pass' }],
    });
    const config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand });
    const env = {
      TEMPORAL_ADDRESS: testAddress(),
      TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
      PIPELINE_AGENT_COMMAND: project.agentCommand,
    };
    const cli = (...args: string[]) => runCli([...args, '--project', project.root], env);
    const t = testClient(config);
    const worker = await startTestWorker(config);
    const paths = projectPaths(config, project.root);
    const id = scheduleId(paths.projectId);
    try {
      const created = await cli('schedule', '--cron', '0 22 * * *', '--hours', '8');
      expect(created.stderr).toBe('');
      expect(created.stdout).toMatch(new RegExp(`^Created ${id}: cron 0 22 \\* \\* \\*, 8 h: `));
      expect(created.stdout).toMatch(/next window \d{4}-\d\d-\d\dT22:00:00\.000Z/);
      const listed = await cli('schedule', '--list', '--json');
      expect(JSON.parse(listed.stdout).schedules.map((s: { id: string }) => s.id)).toContain(id);
      const updated = await cli('schedule', '--cron', '30 6 * * 1-5', '--hours', '2');
      expect(updated.stdout).toMatch(new RegExp(`^Updated ${id}: cron 30 6 \\* \\* 1-5, 2 h`));
      expect((await cli('schedule', '--list')).stdout.split('\n').filter((l) => l.startsWith(id))).toHaveLength(1);

      // fire it now (twice): one pipeline for the project, with the window's deadline
      const schedule = t.client.schedule.getHandle(id);
      await schedule.trigger();
      const pipeline = t.client.workflow.getHandle(pipelineWorkflowId(paths.projectId));
      const first = await waitFor(
        async () =>
          pipeline
            .describe()
            .then((d) => (d.status.name === 'RUNNING' ? d.runId : null))
            .catch(() => null),
        30_000,
        'the window to start the pipeline',
      );
      const status = await waitFor(
        () => pipeline.query(pipelineStatusQuery).catch(() => null),
        20_000,
        'the pipeline status',
      );
      expect(Date.parse(status.deadline!) - Date.parse(status.startedAt)).toBe(2 * 3_600_000); // the window's hours
      await schedule.trigger();
      await waitFor(
        async () => (await schedule.describe()).info.recentActions.length >= 2,
        30_000,
        'the second firing',
      );
      await new Promise((r) => setTimeout(r, 1000));
      expect((await pipeline.describe()).runId).toBe(first);
      const runs = [];
      for await (const w of t.client.workflow.list({ query: `WorkflowId = '${pipelineWorkflowId(paths.projectId)}'` }))
        runs.push(w.runId);
      expect(runs).toEqual([first]);

      expect((await cli('schedule', '--delete')).stdout).toBe(`Deleted ${id}\n`);
      expect((await cli('schedule', '--delete')).code).toBe(1);
      expect((await cli('schedule')).code).toBe(2);
    } finally {
      await t.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
      await t.client.workflow
        .getHandle(pipelineWorkflowId(paths.projectId))
        .terminate()
        .catch(() => undefined);
      await t.client.workflow
        .getHandle(`nightshift-${paths.projectId}-monitor`)
        .terminate()
        .catch(() => undefined);
      await worker.stop();
      await t.close();
    }
  });
});
