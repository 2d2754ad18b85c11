import { projectPaths } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { MetricsStore } from '../../src/metrics/store';
import { getPipelineStatus, statusDeps } from '../../src/read-model/pipeline-status';
import { TaskIndex } from '../../src/tasks/store';
import type { TemporalClient } from '../../src/temporal/connection';
import { makeProject, waitFor } from '../helpers/project';
import { endProjectWorkflows, startTestWorker, testClient, testConfig, type TestWorker } from '../helpers/temporal';

/** temporal.api.enums.v1.QueryRejectCondition (@temporalio/proto is no direct dependency). */
const QUERY_REJECT_CONDITION_NOT_OPEN = 2;

/**
 * The workflow ids of the queries the client sends that a worker may have to answer (the real call still runs).
 * A query sent with the NOT_OPEN reject condition is not counted for an ended workflow: the server refuses it from
 * the workflow's state, no worker replays anything.
 */
function countQueries(t: TemporalClient): { ids: string[]; restore(): void } {
  const service = t.connection.workflowService;
  const real = service.queryWorkflow.bind(service);
  const ids: string[] = [];
  const spy = jest.spyOn(service, 'queryWorkflow').mockImplementation((async (req: {
    execution?: { workflowId?: string | null } | null;
    queryRejectCondition?: number | null;
  }) => {
    const res = await real(req as never);
    const rejected = req.queryRejectCondition === QUERY_REJECT_CONDITION_NOT_OPEN && !!res.queryRejected;
    if (!rejected) ids.push(req.execution?.workflowId ?? '');
    return res;
  }) as never);
  return { ids, restore: () => spy.mockRestore() };
}

describe('pipeline-status: what it asks the workflows', () => {
  // Two items at once, each in a spec task that runs until the test ends.
  const project = makeProject(['Slow item one', 'Slow item two'], { spec: [{ sleepMs: 120_000 }] });
  const config = testConfig({
    PIPELINE_AGENT_COMMAND: project.agentCommand,
    PIPELINE_PARALLEL_ITEMS: '2',
    PIPELINE_META_RATIO: '0',
    PIPELINE_AUTO_COMMIT: '0',
  });
  const paths = projectPaths(config, project.root);
  let t: TemporalClient;
  let worker: TestWorker | null = null;
  let tasks: TaskIndex;
  const deps = () => statusDeps(config, paths, t, tasks, new MetricsStore(paths.metricsFile));

  beforeAll(async () => {
    t = testClient(config);
    worker = await startTestWorker(config);
    tasks = new TaskIndex(paths.stateDir);
    await startPipeline(t, config, paths, {});
    await waitFor(
      async () => (await tasks.all()).filter((x) => x.status === 'running').length === 2,
      60_000,
      'both spec tasks to run',
    );
  }, 90_000);
  afterAll(async () => {
    await endProjectWorkflows(t, paths.projectId);
    await worker?.stop();
    await t.close();
  });

  test('when every running item runs a recorded task, then the status gives their phase from the task index and queries only the pipeline', async () => {
    const queries = countQueries(t);
    try {
      const status = await getPipelineStatus(deps());
      expect(status.pipeline.worker).toBe('ok');
      expect(status.pipeline.items.map((i) => [i.text, i.state, i.phase, i.iteration])).toEqual([
        ['Slow item one', 'running', 'spec', 1],
        ['Slow item two', 'running', 'spec', 1],
      ]);
      expect(status.running.map((r) => r.task_type)).toEqual(['spec', 'spec']);
      expect(status.pending).toEqual([]);
      expect(status.running_by_phase).toEqual({ spec: 2, impl: 0, test: 0, review: 0 });
      expect(queries.ids).toEqual([`nightshift-${paths.projectId}`]);
    } finally {
      queries.restore();
    }
  });

  test('when the pipeline has ended, then its first status asks it once and later ones answer without a query, also with no worker', async () => {
    const handle = t.client.workflow.getHandle(`nightshift-${paths.projectId}`);
    await handle.terminate('the test ends it');
    const queries = countQueries(t);
    try {
      const first = await getPipelineStatus(deps());
      expect(first.pipeline).toMatchObject({ state: 'terminated', worker: 'ok' });
      expect(first.pipeline.items.map((i) => i.text)).toEqual(['Slow item one', 'Slow item two']);
      const asked = queries.ids.filter((id) => id === `nightshift-${paths.projectId}`).length;
      expect(asked).toBeGreaterThan(0);

      // the kept answer is the first one, except that no worker was asked for it (worker: null)
      const second = await getPipelineStatus(deps());
      expect(second.pipeline).toEqual({ ...first.pipeline, worker: null });
      expect(queries.ids.filter((id) => id === `nightshift-${paths.projectId}`)).toHaveLength(asked);

      // With no worker a query of the ended run could not be answered: the kept answer is all there is.
      await worker!.stop();
      worker = null;
      const third = await getPipelineStatus(deps());
      expect(third.pipeline).toEqual({ ...first.pipeline, worker: null });
      expect(queries.ids.filter((id) => id === `nightshift-${paths.projectId}`)).toHaveLength(asked);
    } finally {
      queries.restore();
    }
  }, 60_000);
});
