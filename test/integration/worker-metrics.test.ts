import { createServer } from 'node:net';
import { spawnCli } from '../helpers/cli';
import { freePort } from '../helpers/global-setup';
import { makeProject, waitFor } from '../helpers/project';
import { testAddress, testConfig } from '../helpers/temporal';

async function stop(child: ReturnType<typeof spawnCli>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

describe('the worker serves the Temporal SDK metrics on NIGHTSHIFT_WORKER_METRICS_PORT', () => {
  const project = makeProject(['Metrics item']);
  const config = testConfig();
  const env = {
    TEMPORAL_ADDRESS: testAddress(),
    TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
    NIGHTSHIFT_LOG_LEVEL: 'info',
  };

  test('when the port is free, then GET /metrics answers with temporal_ worker metrics tagged nightshift-worker', async () => {
    const port = await freePort();
    const worker = spawnCli(['worker', '--project', project.root], {
      ...env,
      NIGHTSHIFT_WORKER_METRICS_PORT: String(port),
    });
    try {
      const body = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => null);
          const text = res?.ok ? await res.text() : '';
          return /temporal_\w+/.test(text) ? text : null;
        },
        30_000,
        'the worker metrics endpoint',
      );
      expect(body).toMatch(/service="nightshift-worker"/);
      expect(body).toMatch(/temporal_worker_task_slots_available|temporal_num_pollers|temporal_request/);
    } finally {
      await stop(worker);
    }
  });

  test('when the port is taken, then the worker warns and still works', async () => {
    const busy = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => busy.once('listening', r));
    const port = (busy.address() as { port: number }).port;
    const worker = spawnCli(['worker', '--project', project.root], {
      ...env,
      NIGHTSHIFT_WORKER_METRICS_PORT: String(port),
    });
    try {
      await waitFor(() => worker.output().includes('worker started'), 30_000, 'the worker to start');
      expect(worker.output()).toContain('worker metrics port is busy');
      expect(worker.exitCode).toBeNull();
    } finally {
      await stop(worker);
      busy.close();
    }
  });
});
