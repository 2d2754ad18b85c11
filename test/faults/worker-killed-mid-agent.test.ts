import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectPaths } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { MetricsStore } from '../../src/metrics/store';
import { getPipelineStatus, statusDeps } from '../../src/read-model/pipeline-status';
import { TaskIndex } from '../../src/tasks/store';
import { spawnCli } from '../helpers/cli';
import { git, makeProject, waitFor } from '../helpers/project';
import { startTestWorker, testAddress, testClient, testConfig } from '../helpers/temporal';

type Worker = ReturnType<typeof spawnCli>;

function exited(w: Worker): Promise<unknown> {
  return new Promise((r) => (w.exitCode !== null || w.signalCode !== null ? r(null) : w.once('exit', r)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An impl attempt that edits the tree at once (stale.txt) and would write late.txt 3 s in; it is killed before. */
const LOST_ATTEMPT = {
  sleepMs: 6000,
  write: { path: 'stale.txt', content: 'from the lost attempt' },
  writeLater: { afterMs: 3000, path: 'late.txt', content: 'written after the worker died' },
  output: 'never printed',
};

function commitsOf(root: string, taskId: string): string[] {
  return git(root, 'log', '--all', '--format=%(trailers:key=Pipeline-Task,valueonly)')
    .split('\n')
    .filter((t) => t.trim() === taskId);
}

/**
 * The settings both cases share: the scripted agent, a 2 s heartbeat timeout (a dead worker is noticed fast), worker
 * processes on the test's queue.
 */
function killedWorkerRun(project: ReturnType<typeof makeProject>, extra: Record<string, string>) {
  const env = {
    TEMPORAL_ADDRESS: testAddress(),
    PIPELINE_AGENT_COMMAND: project.agentCommand,
    PIPELINE_META_RATIO: '0',
    NIGHTSHIFT_HEARTBEAT_TIMEOUT_SECONDS: '2',
    NIGHTSHIFT_LOG_LEVEL: 'warn',
    ...extra,
  };
  const config = testConfig(env);
  return {
    config,
    paths: projectPaths(config, project.root),
    workerEnv: { ...env, TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE },
    t: testClient(config),
  };
}

describe('fault: the worker is killed while its agent runs', () => {
  test('when the worker is killed -9 one second into three attempts in a row in the user’s tree, then no lost attempt writes after its worker died, the task still completes on the fourth, blocked_step shows meanwhile, and the task is committed once', async () => {
    const project = makeProject(['Survive workers that keep dying'], {
      impl: [LOST_ATTEMPT, LOST_ATTEMPT, LOST_ATTEMPT, { output: 'impl done by the fourth attempt' }],
      review: [{ output: 'VERDICT: pass' }],
    });
    const { config, paths, workerEnv, t } = killedWorkerRun(project, { PIPELINE_AUTO_COMMIT: '1' });
    const workers: Worker[] = [];
    try {
      const started = await startPipeline(t, config, paths, { once: true });
      for (let attempt = 1; attempt <= 3; attempt++) {
        const w = spawnCli(['worker', '--project', project.root], workerEnv);
        workers.push(w);
        await waitFor(
          () => project.calls().filter((c) => c.taskType === 'impl').length === attempt,
          90_000,
          `impl attempt ${attempt}`,
        );
        await sleep(1000);
        w.kill('SIGKILL');
        await exited(w);
        if (attempt === 2) {
          // the third attempt waits with the second one's failure: the condition is visible with no worker running
          const deps = statusDeps(config, paths, t, new TaskIndex(paths.stateDir), new MetricsStore(paths.metricsFile));
          const status = await waitFor(
            async () => {
              const s = await getPipelineStatus(deps);
              return s.attention.blocked_step ? s : null;
            },
            30_000,
            'blocked_step',
          );
          expect(status.attention.flags).toContain('blocked_step');
        }
      }
      workers.push(spawnCli(['worker', '--project', project.root], workerEnv));
      const result = await t.client.workflow.getHandle(started.workflowId).result();
      expect(result).toMatchObject({ itemsPassed: 1, itemsFailed: 0 });
      await sleep(3500); // past the moment the last lost attempt would have written
      expect(existsSync(path.join(project.root, 'late.txt'))).toBe(false);

      const impl = project.calls().filter((c) => c.taskType === 'impl');
      expect(impl).toHaveLength(4);
      expect(new Set(impl.map((c) => c.taskId)).size).toBe(1);
      const taskId = impl[0].taskId;
      const record = await new TaskIndex(paths.stateDir).get(taskId);
      expect(record?.status).toBe('completed');
      expect(record?.output).toContain('[Pipeline] attempt 4 after the worker was lost');
      const log = readFileSync(path.join(paths.taskLogsDir, `${taskId}.log`), 'utf8');
      expect(log).toContain('?? stale.txt'); // the user's tree is left as it is; what the lost attempt left is recorded
      expect(commitsOf(project.root, taskId)).toHaveLength(1);
    } finally {
      for (const w of workers) w.kill('SIGKILL');
      await Promise.all(workers.map(exited));
      await t.close();
    }
  });

  test('when the worker is killed -9 one second into an agent in an item worktree, then the retry runs once from the branch head and the one commit holds only the retry’s edits', async () => {
    const project = makeProject(['Retry from a clean worktree'], {
      impl: [LOST_ATTEMPT, { output: 'impl done on the second worker' }],
      review: [{ output: 'VERDICT: pass' }],
    });
    const { config, paths, workerEnv, t } = killedWorkerRun(project, { PIPELINE_PARALLEL_ITEMS: '2' });
    const workers: Worker[] = [spawnCli(['worker', '--project', project.root], workerEnv)];
    try {
      const started = await startPipeline(t, config, paths, { once: true });
      const first = await waitFor(
        () => project.calls().find((c) => c.taskType === 'impl'),
        90_000,
        'the first impl attempt',
      );
      await sleep(1000);
      workers[0].kill('SIGKILL');
      await exited(workers[0]);
      workers.push(spawnCli(['worker', '--project', project.root], workerEnv));
      const result = await t.client.workflow.getHandle(started.workflowId).result();
      expect(result).toMatchObject({ itemsPassed: 1, itemsFailed: 0 });
      await sleep(3500);
      expect(existsSync(path.join(first.cwd, 'late.txt'))).toBe(false);
      expect(existsSync(path.join(project.root, 'late.txt'))).toBe(false);

      const impl = project.calls().filter((c) => c.taskType === 'impl');
      expect(impl).toHaveLength(2); // the retry ran once
      expect(impl[1].taskId).toBe(first.taskId);
      const commits = git(
        project.root,
        'log',
        '--all',
        '--format=%H %(trailers:key=Pipeline-Task,valueonly,separator=)',
      )
        .split('\n')
        .filter((l) => l.includes(first.taskId));
      expect(commits).toHaveLength(1);
      const files = git(project.root, 'show', '--name-only', '--format=', commits[0].split(' ')[0])
        .split('\n')
        .filter(Boolean);
      expect(files).toEqual([`work/${first.taskId}.txt`]); // no stale.txt from the lost attempt
      const record = await new TaskIndex(paths.stateDir).get(first.taskId);
      expect(record?.output).toContain(
        "[Pipeline] attempt 2 after the worker was lost; the work tree was reset to the item branch's head",
      );
    } finally {
      for (const w of workers) w.kill('SIGKILL');
      await Promise.all(workers.map(exited));
      await t.close();
    }
  });

  test('when the worker is lost on every attempt up to NIGHTSHIFT_WORKER_LOSS_RETRIES, then the agent step runs exactly that many more times and the task is recorded as failed saying why', async () => {
    const project = makeProject(['Lose every worker'], {});
    const config = testConfig({
      PIPELINE_AGENT_COMMAND: project.agentCommand,
      PIPELINE_META_RATIO: '0',
      NIGHTSHIFT_HEARTBEAT_TIMEOUT_SECONDS: '2',
      NIGHTSHIFT_WORKER_LOSS_RETRIES: '1',
      PIPELINE_MAX_ITERATIONS: '1',
    });
    const paths = projectPaths(config, project.root);
    let attempts = 0;
    // an agent step whose worker never answers again: no heartbeat, no result (as after a kill -9)
    const runAgentTask = async () => {
      attempts++;
      await sleep(4000);
      throw new Error('this attempt was given up on long ago');
    };
    const t = testClient(config);
    const worker = await startTestWorker(config, { runAgentTask });
    try {
      const started = await startPipeline(t, config, paths, { once: true });
      await t.client.workflow.getHandle(started.workflowId).result();
      expect(attempts).toBe(2); // the first attempt and NIGHTSHIFT_WORKER_LOSS_RETRIES=1 retry
      const spec = (await new TaskIndex(paths.stateDir).all()).find((r) => r.task_type === 'spec');
      expect(spec?.status).toBe('failed');
      expect(spec?.output).toMatch(
        /^\[Pipeline\] Task could not run \(the worker was lost on all 2 attempts; NIGHTSHIFT_WORKER_LOSS_RETRIES\): .*[Hh]eartbeat/,
      );
    } finally {
      await worker.stop();
      await t.close();
    }
  });
});
