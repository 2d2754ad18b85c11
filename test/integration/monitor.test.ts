import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp } from '../../src/api/app';
import { projectPaths, type EnvConfig } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { createLogger } from '../../src/logger';
import { MetricsStore } from '../../src/metrics/store';
import type { MonitorIssue } from '../../src/shared/contracts/monitor';
import { TaskIndex } from '../../src/tasks/store';
import type { TemporalClient } from '../../src/temporal/connection';
import { runCli, spawnCli } from '../helpers/cli';
import { makeProject, waitFor, type TempProject } from '../helpers/project';
import { endProjectWorkflows, startTestWorker, testAddress, testClient, testConfig } from '../helpers/temporal';
import { webhookReceiver } from '../helpers/webhook';

async function statusOf(config: EnvConfig, t: TemporalClient, root: string) {
  const paths = projectPaths(config, root);
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
    const status = await (await fetch(`${base}/api/agent/pipeline-status`)).json();
    const issues = await (await fetch(`${base}/api/agent/monitor-issues`)).json();
    return { status, issues };
  } finally {
    await new Promise((r) => server.close(r));
  }
}

const FAST_MONITOR = { PIPELINE_MONITOR_INTERVAL_SECONDS: '0.5', PIPELINE_META_RATIO: '0' };
const issuesFile = (config: EnvConfig, root: string) =>
  path.join(projectPaths(config, root).stateDir, 'monitor_issues.json');
const readIssues = (config: EnvConfig, root: string): MonitorIssue[] => {
  try {
    return JSON.parse(readFileSync(issuesFile(config, root), 'utf8')).issues;
  } catch {
    return [];
  }
};

/** Runs a project whose impl always fails (3 iterations → 3 failed impl tasks in a row). */
async function failingRun(extra: Record<string, string>, iterations: string) {
  const project = makeProject(['Always broken'], {
    impl: [{ exit: 1, output: 'compile error: always broken' }],
    heal: [{ output: 'diagnosed: the compiler flags are wrong' }],
  });
  const config = testConfig({
    PIPELINE_AGENT_COMMAND: project.agentCommand,
    PIPELINE_MAX_ITERATIONS: iterations,
    ...FAST_MONITOR,
    ...extra,
  });
  const t = testClient(config);
  const worker = await startTestWorker(config);
  const started = await startPipeline(t, config, projectPaths(config, project.root), {});
  return { project, config, t, worker, started };
}

describe('monitor: repeated_failures and auto-fix', () => {
  test('when three impl tasks fail in a row with auto-fix off, then the flag and the issue appear, and nothing else is created', async () => {
    const { project, config, t, worker } = await failingRun({}, '3');
    try {
      const issue = await waitFor(
        () => readIssues(config, project.root).find((i) => i.condition === 'repeated_failures'),
        30_000,
        'the repeated_failures issue',
      );
      expect(issue).toMatchObject({ severity: 'high', resolved_at: null, heal_task_id: null });
      expect(issue.message).toMatch(/The last 3 impl tasks failed/);
      expect(issue.actions[0].action).toBe('raised (auto-fix off: logged only)');
      const { status, issues } = await statusOf(config, t, project.root);
      expect(status.attention).toMatchObject({ repeated_failures: true });
      expect(status.attention.flags).toContain('repeated_failures');
      expect(status.issues.map((i: MonitorIssue) => i.condition)).toContain('repeated_failures');
      expect(issues.last_check).toEqual(expect.any(String));
      await new Promise((r) => setTimeout(r, 2000)); // several more checks
      const tasks = await new TaskIndex(projectPaths(config, project.root).stateDir).all();
      expect(tasks.filter((x) => x.task_type === 'heal')).toHaveLength(0);
      const cli = await runCli(['status', '--attention', '--project', project.root], {
        TEMPORAL_ADDRESS: testAddress(),
      });
      expect(cli.stdout.split('\n')[0]).toMatch(/^Attention: (stuck, )?repeated_failures/);
    } finally {
      await endProjectWorkflows(t, projectPaths(config, project.root).projectId);
      await worker.stop();
      await t.close();
    }
  });

  test('when only two impl tasks failed, then repeated_failures is not raised', async () => {
    const { project, config, t, worker, started } = await failingRun({}, '2');
    try {
      await t.client.workflow.getHandle(started.workflowId).signal('stop');
      await t.client.workflow.getHandle(started.workflowId).result();
      const { status } = await statusOf(config, t, project.root);
      expect(status.attention.repeated_failures).toBe(false);
    } finally {
      await endProjectWorkflows(t, projectPaths(config, project.root).projectId);
      await worker.stop();
      await t.close();
    }
  });

  test('when auto-fix is on, then exactly one heal task is created for the condition over many checks, with the contract sentence, recorded as heal and never committed', async () => {
    const hook = await webhookReceiver();
    const { project, config, t, worker } = await failingRun(
      { PIPELINE_AUTO_FIX_ENABLED: '1', PIPELINE_AUTO_COMMIT: '1', PIPELINE_NOTIFY_WEBHOOK_URL: hook.url },
      '3',
    );
    const paths = projectPaths(config, project.root);
    try {
      const issue = await waitFor(
        () => readIssues(config, project.root).find((i) => i.condition === 'repeated_failures' && i.heal_task_id),
        30_000,
        'a heal task for repeated_failures',
      );
      await waitFor(
        async () => (await new TaskIndex(paths.stateDir).get(issue.heal_task_id!))?.status === 'completed',
        30_000,
        'the heal task to complete',
      );
      await new Promise((r) => setTimeout(r, 3000)); // ~6 more checks while the condition persists
      const heals = (await new TaskIndex(paths.stateDir).all()).filter((x) => x.task_type === 'heal');
      expect(heals).toHaveLength(1);
      expect(heals[0].direction).toContain(
        'Suggest meta-pipeline item to specs/007-meta-pipeline-backlog.md if root cause identified.',
      );
      expect(heals[0].direction).toContain('impl');
      const metrics = readFileSync(paths.metricsFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(metrics.filter((m) => m.task_type === 'heal')).toEqual([
        expect.objectContaining({ task_id: heals[0].id, status: 'completed' }),
      ]);
      expect(heals[0].commit_sha ?? null).toBeNull();
      const recorded = readIssues(config, project.root).find((i) => i.id === issue.id)!;
      expect(recorded.actions.map((a) => a.action)).toEqual(
        expect.arrayContaining(['heal task created', 'heal task ended']),
      );
      expect(hook.events).toContainEqual(
        expect.objectContaining({ event: 'condition_raised', condition: 'repeated_failures' }),
      );
    } finally {
      await endProjectWorkflows(t, paths.projectId);
      await worker.stop();
      await t.close();
      await hook.close();
    }
  });
});

describe('monitor: low_success_rate', () => {
  test('when the 7-day metrics hold 10 tasks at 30 % success, then low_success_rate is raised and auto-fix asks for the analysis, and it resolves when the rate recovers', async () => {
    const hook = await webhookReceiver();
    const project: TempProject = makeProject([], { heal: [{ output: 'analysed the metrics: prompts too vague' }] });
    const config = testConfig({
      PIPELINE_AGENT_COMMAND: project.agentCommand,
      PIPELINE_AUTO_FIX_ENABLED: '1',
      PIPELINE_NOTIFY_WEBHOOK_URL: hook.url,
      ...FAST_MONITOR,
    });
    const paths = projectPaths(config, project.root);
    const { mkdirSync, writeFileSync, appendFileSync } = await import('node:fs');
    mkdirSync(path.dirname(paths.metricsFile), { recursive: true });
    const line = (i: number, status: string) =>
      JSON.stringify({
        task_id: `task_${i.toString(16).padStart(16, '0')}`,
        task_type: 'impl',
        model: 'demo/demo-1',
        duration_seconds: 5,
        status,
        created_at: new Date().toISOString(),
      });
    writeFileSync(
      paths.metricsFile,
      Array.from({ length: 10 }, (_, i) => line(i + 1, i < 3 ? 'completed' : 'failed')).join('\n') + '\n',
    );
    const t = testClient(config);
    const worker = await startTestWorker(config);
    try {
      await startPipeline(t, config, paths, {});
      const issue = await waitFor(
        () => readIssues(config, project.root).find((i) => i.condition === 'low_success_rate' && i.heal_task_id),
        30_000,
        'the low_success_rate heal',
      );
      const heal = await waitFor(
        async () => await new TaskIndex(paths.stateDir).get(issue.heal_task_id!),
        10_000,
        'the heal record',
      );
      expect(heal.direction).toContain('Analyze 7d success rate; suggest prompt/model/meta improvements.');
      // recovery: 40 successes lift the rate above 0.8
      appendFileSync(
        paths.metricsFile,
        Array.from({ length: 40 }, (_, i) => line(100 + i, 'completed')).join('\n') + '\n',
      );
      const resolved = await waitFor(
        () => readIssues(config, project.root).find((i) => i.id === issue.id && i.resolved_at),
        30_000,
        'the issue to resolve',
      );
      expect(resolved.actions.at(-1)?.outcome).toBe(`condition cleared after heal task ${issue.heal_task_id}`);
      await waitFor(
        () => hook.events.some((e) => e.event === 'condition_resolved' && e.condition === 'low_success_rate'),
        10_000,
        'the resolved webhook',
      );
    } finally {
      await endProjectWorkflows(t, paths.projectId);
      await worker.stop();
      await t.close();
      await hook.close();
    }
  });
});

describe('monitor: stuck', () => {
  test('when tasks make progress the flag stays down; when the worker is gone for longer than PIPELINE_STUCK_MINUTES, stuck is raised', async () => {
    const project = makeProject(['A slow item'], { spec: [{ sleepMs: 60_000, output: 'a very slow spec' }] });
    const env = {
      TEMPORAL_ADDRESS: testAddress(),
      PIPELINE_AGENT_COMMAND: project.agentCommand,
      PIPELINE_STUCK_MINUTES: '0.1',
      NIGHTSHIFT_HEARTBEAT_TIMEOUT_SECONDS: '2',
      NIGHTSHIFT_LOG_LEVEL: 'warn',
      ...FAST_MONITOR,
    };
    const config = testConfig(env);
    const paths = projectPaths(config, project.root);
    const t = testClient(config);
    const worker = spawnCli(['worker', '--project', project.root], {
      ...env,
      TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
    });
    try {
      await startPipeline(t, config, paths, {});
      await waitFor(() => project.calls().length > 0, 60_000, 'the agent to start');
      // 6 s threshold (heartbeats every 2 s leave room for a busy machine); the agent
      // runs for 60 s but heartbeats, so 10 s after its start it is not stuck
      await new Promise((r) => setTimeout(r, 10_000));
      expect((await statusOf(config, t, project.root)).status.attention.stuck).toBe(false);
      worker.kill('SIGKILL');
      const stuck = await waitFor(
        async () => (await statusOf(config, t, project.root)).status.attention.stuck,
        60_000,
        'stuck',
      );
      expect(stuck).toBe(true);
    } finally {
      worker.kill('SIGKILL');
      await endProjectWorkflows(t, paths.projectId);
      await t.close();
    }
  });
});

describe('monitor: auto-fix asks first', () => {
  test('when PIPELINE_AUTO_FIX_ACTION=needs_decision, then the heal task waits for a decision and runs with the answer', async () => {
    const { project, config, t, worker } = await failingRun(
      { PIPELINE_AUTO_FIX_ENABLED: '1', PIPELINE_AUTO_FIX_ACTION: 'needs_decision' },
      '3',
    );
    const paths = projectPaths(config, project.root);
    try {
      const issue = await waitFor(
        () => readIssues(config, project.root).find((i) => i.condition === 'repeated_failures' && i.heal_task_id),
        30_000,
        'the needs_decision entry',
      );
      expect(issue.actions.map((a) => a.action)).toContain('needs_decision entry created');
      const asking = await waitFor(
        async () => {
          const x = await new TaskIndex(paths.stateDir).get(issue.heal_task_id!);
          return x?.status === 'needs_decision' ? x : null;
        },
        10_000,
        'the heal task in needs_decision',
      );
      expect(asking.task_type).toBe('heal');
      expect(asking.decision_prompt).toMatch(/^Monitor: The last 3 impl tasks failed/);
      expect(project.calls().filter((c) => c.taskType === 'heal')).toHaveLength(0); // nothing ran yet
      const r = await runCli(
        ['decide', asking.id, 'Go ahead, but only look at the compiler flags', '--project', project.root],
        { TEMPORAL_ADDRESS: testAddress() },
      );
      expect(r.code).toBe(0);
      await waitFor(
        async () => (await new TaskIndex(paths.stateDir).get(asking.id))?.status === 'completed',
        30_000,
        'the heal task to run',
      );
      const heal = project.calls().find((c) => c.taskType === 'heal')!;
      expect(heal.direction).toContain('Decision on "Monitor: The last 3 impl tasks failed');
      expect(heal.direction).toContain('Go ahead, but only look at the compiler flags');
    } finally {
      await endProjectWorkflows(t, paths.projectId);
      await worker.stop();
      await t.close();
    }
  });
});
