import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/api/app';
import { projectPaths, type EnvConfig, type ProjectPaths } from '../../src/config';
import { createLogger } from '../../src/logger';
import { MetricsStore } from '../../src/metrics/store';
import { taskWorkflowId } from '../../src/shared/names';
import { TaskIndex } from '../../src/tasks/store';
import type { TemporalClient } from '../../src/temporal/connection';
import { runCli } from '../helpers/cli';
import { makeProject, waitFor } from '../helpers/project';
import { endProjectWorkflows, startTestWorker, testAddress, testClient, testConfig } from '../helpers/temporal';

/**
 * Ad-hoc tasks (spec 030, D1): `POST /api/agent/tasks` and `nightshift enqueue`
 * start a task workflow of their own, which runs the agent and records the task.
 */
type Project = ReturnType<typeof makeProject>;
interface Ctx {
  project: Project;
  config: EnvConfig;
  paths: ProjectPaths;
  t: TemporalClient;
}

/** A project with a scripted agent and a worker on the suite's server, ended and stopped afterwards. */
async function withWorker(plan: Record<string, unknown>, body: (ctx: Ctx) => Promise<void>): Promise<void> {
  const project = makeProject([], plan);
  const config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand });
  const paths = projectPaths(config, project.root);
  const t = testClient(config);
  const worker = await startTestWorker(config);
  try {
    await body({ project, config, paths, t });
  } finally {
    await endProjectWorkflows(t, paths.projectId);
    await worker.stop();
    await t.close();
  }
}

/** The task's record once it is completed. */
const completed = (stateDir: string, id: string) =>
  waitFor(
    async () => {
      const r = await new TaskIndex(stateDir).get(id);
      return r?.status === 'completed' ? r : null;
    },
    60_000,
    'the enqueued task to complete',
  );

describe('enqueue an ad-hoc task', () => {
  test('when a task is posted to the API, then 201 with the pending task, and the worker runs it to a completed record', () =>
    withWorker({ heal: [{ output: 'diagnosed: the worker was down' }] }, async ({ project, config, paths, t }) => {
      const app = createApp({
        config,
        paths,
        temporal: t,
        metrics: new MetricsStore(paths.metricsFile),
        tasks: new TaskIndex(paths.stateDir),
        logger: createLogger('test', 'error'),
        host: '127.0.0.1',
      });
      const server = createServer(app.listener).listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      try {
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const res = await fetch(`${base}/api/agent/tasks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ task_type: 'heal', direction: '  Find out why the pipeline stalled.  ' }),
        });
        expect(res.status).toBe(201);
        const task = await res.json();
        expect(task).toMatchObject({
          task_type: 'heal',
          direction: 'Find out why the pipeline stalled.',
          status: 'pending',
          item_key: null,
          workflow_id: taskWorkflowId(paths.projectId, task.id),
        });
        expect(task.id).toMatch(/^task_[0-9a-f]{16}$/);
        expect(res.headers.get('location')).toBe(`/api/agent/tasks/${task.id}`);

        const done = await completed(paths.stateDir, task.id);
        expect(done.output).toContain('diagnosed: the worker was down');
        expect(project.calls().map((c) => [c.taskType, c.taskId])).toEqual([['heal', task.id]]);
        expect(project.calls()[0].direction).toContain('Find out why the pipeline stalled.');
        // the record is written before the workflow's last step: wait for the workflow itself to end
        const handle = t.client.workflow.getHandle(task.workflow_id);
        await handle.result();
        const described = await handle.describe();
        expect(described.status.name).toBe('COMPLETED');
        // the API serves it like any task
        const got = await (await fetch(`${base}/api/agent/tasks/${task.id}`)).json();
        expect(got).toMatchObject({ id: task.id, status: 'completed' });
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    }));

  test('when `nightshift enqueue` is run, then it prints the task id and the task runs; a blank direction is refused with a clear message', () =>
    withWorker({ test: [{ output: 'all 12 tests pass' }] }, async ({ project, config, paths }) => {
      const env = {
        TEMPORAL_ADDRESS: testAddress(),
        TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
        PIPELINE_AGENT_COMMAND: project.agentCommand,
      };
      const run = await runCli(
        ['enqueue', '--type', 'test', '--direction', 'Run the test suite once more.', '--project', project.root],
        env,
      );
      expect(run.code).toBe(0);
      const id = /^Enqueued (task_[0-9a-f]{16}) \(test\); follow it with: nightshift logs \1$/m.exec(run.stdout)?.[1];
      expect(id).toBeDefined();
      expect((await completed(paths.stateDir, id!)).output).toContain('all 12 tests pass');

      const blank = await runCli(['enqueue', '--type', 'test', '--direction', '   ', '--project', project.root], env);
      expect(blank.code).not.toBe(0);
      expect(blank.stderr).toContain('the direction must be 1..5000 characters after trimming');
      expect(project.calls()).toHaveLength(1);
    }));
});
