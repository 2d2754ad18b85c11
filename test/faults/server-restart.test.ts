import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEnvConfig, projectPaths } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { devServerArgs } from '../../src/temporal/dev-server';
import { createTemporalClient, waitForTemporal } from '../../src/temporal/connection';
import { freePort } from '../helpers/global-setup';
import { spawnCli } from '../helpers/cli';
import { makeProject, readJsonl, waitFor } from '../helpers/project';

function startServer(port: number, dbFile: string): ChildProcess {
  const cli = process.env.NIGHTSHIFT_TEST_TEMPORAL_CLI!;
  return spawn(cli, devServerArgs({ cliPath: cli, port, uiPort: null, dbFile, logFile: '' }), { stdio: 'ignore' });
}

describe('fault: the Temporal server is killed -9 mid-run and restarted on the same database', () => {
  test('when the server comes back, then the pipeline resumes and finishes; no item passes twice and none is lost', async () => {
    const port = await freePort();
    const dbFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'nightshift-fault-db-')), 'temporal.db');
    let server = startServer(port, dbFile);
    const project = makeProject(['First durable item', 'Second durable item', 'Third durable item'], {
      default: [{ sleepMs: 700, output: 'did this task properly' }],
      review: [{ sleepMs: 700, output: 'VERDICT: pass' }],
    });
    const env = {
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      PIPELINE_AGENT_COMMAND: project.agentCommand,
      PIPELINE_META_RATIO: '0',
      NIGHTSHIFT_HEARTBEAT_TIMEOUT_SECONDS: '5',
      NIGHTSHIFT_LOG_LEVEL: 'error',
      PIPELINE_MONITOR_INTERVAL_SECONDS: '2',
    };
    const config = loadEnvConfig({ ...env, PATH: process.env.PATH });
    const paths = projectPaths(config, project.root);
    const t = createTemporalClient(config);
    const worker = spawnCli(['worker', '--project', project.root], env);
    try {
      await waitForTemporal(t, 30);
      const started = await startPipeline(t, config, paths, { once: true });
      await waitFor(
        () => readJsonl(path.join(paths.stateDir, 'items.jsonl')).length >= 1,
        60_000,
        'the first item to finish',
      );
      server.kill('SIGKILL');
      await new Promise((r) => server.once('exit', r));
      await new Promise((r) => setTimeout(r, 1500)); // the worker and the agent notice the server is gone
      server = startServer(port, dbFile);
      await waitForTemporal(t, 30);
      const result = await t.client.workflow.getHandle(started.workflowId).result();
      expect(result).toMatchObject({ reason: 'once', itemsFailed: 0 });
      const outcomes = readJsonl<{ key: string; outcome: string }>(path.join(paths.stateDir, 'items.jsonl'));
      const passed = outcomes.filter((o) => o.outcome === 'passed').map((o) => o.key);
      expect(passed).toHaveLength(3); // every item once
      expect(new Set(passed).size).toBe(3);
      const metrics = readJsonl<{ task_id: string }>(paths.metricsFile);
      expect(new Set(metrics.map((m) => m.task_id)).size).toBe(metrics.length); // no task recorded twice
    } finally {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
      await t.close();
      server.kill('SIGKILL');
    }
  });
});
