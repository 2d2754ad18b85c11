import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectPaths } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { spawnCli } from '../helpers/cli';
import { isAlive } from '../helpers/processes';
import { git, makeProject, readJsonl, waitFor } from '../helpers/project';
import { testAddress, testClient, testConfig } from '../helpers/temporal';

describe('durability: a worker killed mid-task', () => {
  test('when the worker is killed -9 while an agent runs and a new one starts, then the run finishes with one metrics line per task and the old agent is gone', async () => {
    const project = makeProject(['Survive a worker crash', 'Keep going afterwards'], {
      impl: [
        { sleepMs: 30_000, output: 'first attempt (never finishes)' },
        { output: 'impl done on the second worker' },
      ],
      review: [{ output: 'VERDICT: pass' }],
    });
    const env = {
      TEMPORAL_ADDRESS: testAddress(),
      PIPELINE_AGENT_COMMAND: project.agentCommand,
      PIPELINE_META_RATIO: '0',
      NIGHTSHIFT_HEARTBEAT_TIMEOUT_SECONDS: '3',
      NIGHTSHIFT_LOG_LEVEL: 'warn',
      PIPELINE_AUTO_COMMIT: '1',
    };
    const config = testConfig(env);
    const workerEnv = { ...env, TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE };
    const t = testClient(config);
    const first = spawnCli(['worker', '--project', project.root], workerEnv);
    let second: ReturnType<typeof spawnCli> | null = null;
    try {
      const started = await startPipeline(t, config, projectPaths(config, project.root), { once: true });
      const impl = await waitFor(
        () => project.calls().find((c) => c.taskType === 'impl'),
        60_000,
        'the first impl agent',
      );
      const agentPid = (impl as unknown as { pid: number }).pid;
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      // the worker's guardian saw it go and killed the agent's group: nothing edits the tree unsupervised
      await waitFor(() => !isAlive(agentPid), 20_000, 'the agent to die with its worker');

      second = spawnCli(['worker', '--project', project.root], workerEnv);
      const result = await t.client.workflow.getHandle(started.workflowId).result();
      expect(result).toMatchObject({ reason: 'once', itemsPassed: 2, itemsFailed: 0 });
      expect(isAlive(agentPid)).toBe(false);

      const metrics = readJsonl<{ task_id: string; task_type: string; status: string }>(
        projectPaths(config, project.root).metricsFile,
      );
      expect(metrics).toHaveLength(8);
      expect(new Set(metrics.map((m) => m.task_id)).size).toBe(8);
      expect(metrics.every((m) => m.status === 'completed')).toBe(true);
      const implCalls = project.calls().filter((c) => c.taskType === 'impl');
      expect(implCalls).toHaveLength(3); // 2 attempts of the interrupted task + the second item's impl
      expect(implCalls[0].taskId).toBe(implCalls[1].taskId);
      const log = readFileSync(`${projectPaths(config, project.root).taskLogsDir}/${implCalls[0].taskId}.log`, 'utf8');
      expect(log).toContain('attempt=2');
      // with auto-commit on: exactly one commit per completed task
      const trailers = git(project.root, 'log', '--format=%(trailers:key=Pipeline-Task,valueonly)')
        .split('\n')
        .filter(Boolean);
      expect(trailers.sort()).toEqual(metrics.map((m) => m.task_id).sort());
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
      if (second) await new Promise((r) => second!.once('exit', r));
      await t.close();
    }
  });
});

describe('durability: a worker killed between a commit and its completion', () => {
  test('when the worker dies right after the auto-commit, then the retried step finds the commit and makes no second one', async () => {
    const project = makeProject(['Commit exactly once'], { review: [{ output: 'VERDICT: pass' }] });
    const env = {
      TEMPORAL_ADDRESS: testAddress(),
      PIPELINE_AGENT_COMMAND: project.agentCommand,
      PIPELINE_META_RATIO: '0',
      PIPELINE_AUTO_COMMIT: '1',
      NIGHTSHIFT_HEARTBEAT_TIMEOUT_SECONDS: '3',
      NIGHTSHIFT_LOG_LEVEL: 'warn',
    };
    const config = testConfig(env);
    const workerEnv = { ...env, TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE };
    const t = testClient(config);
    const first = spawnCli(['worker', '--project', project.root], workerEnv);
    // A post-commit hook kills the first worker once, right after git made the first task's commit.
    const marker = `${project.planFile}.killed`;
    writeFileSync(
      path.join(project.root, '.git', 'hooks', 'post-commit'),
      `#!/bin/sh\n[ -e "${marker}" ] && exit 0\ntouch "${marker}"\nkill -9 ${first.pid}\n`,
      { mode: 0o755 },
    );
    let second: ReturnType<typeof spawnCli> | null = null;
    try {
      const started = await startPipeline(t, config, projectPaths(config, project.root), { once: true });
      await new Promise((r) => first.once('exit', r));
      expect(existsSync(marker)).toBe(true);
      second = spawnCli(['worker', '--project', project.root], workerEnv);
      const result = await t.client.workflow.getHandle(started.workflowId).result();
      expect(result).toMatchObject({ itemsPassed: 1, tasksRun: 4 });
      const trailers = git(project.root, 'log', '--format=%(trailers:key=Pipeline-Task,valueonly)')
        .split('\n')
        .filter(Boolean);
      expect(trailers).toHaveLength(4);
      expect(new Set(trailers).size).toBe(4);
      const metrics = readJsonl<{ task_id: string }>(projectPaths(config, project.root).metricsFile);
      expect(metrics.map((m) => m.task_id).sort()).toEqual([...trailers].sort());
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
      if (second) await new Promise((r) => second!.once('exit', r));
      await t.close();
    }
  });
});
