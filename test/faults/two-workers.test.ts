import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { spawnCli } from '../helpers/cli';
import { makeProject, readJsonl } from '../helpers/project';
import { testAddress, testClient, testConfig, waitForPollers } from '../helpers/temporal';

describe('fault: two workers on one task queue', () => {
  test('when two workers serve 20 items, then no task id runs twice (except a declared retry) and every item passes once', async () => {
    const items = Array.from({ length: 20 }, (_, i) => `Shared queue item ${i + 1}`);
    const project = makeProject(items, { review: [{ output: 'VERDICT: pass' }] });
    const env = {
      TEMPORAL_ADDRESS: testAddress(),
      PIPELINE_AGENT_COMMAND: project.agentCommand,
      PIPELINE_META_RATIO: '0',
      PIPELINE_PARALLEL_ITEMS: '4',
      NIGHTSHIFT_LOG_LEVEL: 'error',
      PIPELINE_MONITOR_INTERVAL_SECONDS: '5',
      // two workers started at once would race for the SDK metrics port
      NIGHTSHIFT_WORKER_METRICS_PORT: '0',
    };
    const config = testConfig(env);
    const workerEnv = { ...env, TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE };
    const t = testClient(config);
    const workers = [
      spawnCli(['worker', '--project', project.root], workerEnv),
      spawnCli(['worker', '--project', project.root], workerEnv),
    ];
    try {
      const paths = projectPaths(config, project.root);
      // A worker still starting gets no task: on a loaded machine the first one up would run the whole pipeline.
      await waitForPollers(
        t,
        config.TEMPORAL_TASK_QUEUE,
        workers.map((w) => `${w.pid}@${os.hostname()}`),
      );
      const started = await startPipeline(t, config, paths, { once: true });
      const result = await t.client.workflow.getHandle(started.workflowId).result();
      expect(result).toMatchObject({ itemsPassed: 20, itemsFailed: 0, tasksRun: 80 });
      const calls = project.calls();
      expect(calls).toHaveLength(80);
      expect(new Set(calls.map((c) => c.taskId)).size).toBe(80);
      const metrics = readJsonl<{ task_id: string }>(paths.metricsFile);
      expect(new Set(metrics.map((m) => m.task_id)).size).toBe(80);
      const logs = readJsonl<{ key: string; outcome: string }>(path.join(paths.stateDir, 'items.jsonl'));
      expect(new Set(logs.filter((o) => o.outcome === 'passed').map((o) => o.key)).size).toBe(20);
      // both workers ran agents (the agent's scripted record names the worker that started it)
      const starters = new Set(calls.map((c) => (c as unknown as { worker: number }).worker));
      expect([...starters].sort()).toEqual(workers.map((w) => w.pid).sort());
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
      await t.close();
    }
  });
});
