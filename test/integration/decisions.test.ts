import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/api/app';
import { projectPaths, type EnvConfig } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { createLogger } from '../../src/logger';
import { MetricsStore } from '../../src/metrics/store';
import { TaskIndex } from '../../src/tasks/store';
import type { TemporalClient } from '../../src/temporal/connection';
import { runCli } from '../helpers/cli';
import { makeProject, readJsonl, waitFor, type TempProject } from '../helpers/project';
import { startTestWorker, testAddress, testClient, testConfig, type TestWorker } from '../helpers/temporal';
import { webhookReceiver } from '../helpers/webhook';

async function api(config: EnvConfig, t: TemporalClient, root: string) {
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
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    call: async (method: string, p: string, body?: unknown) => {
      const res = await fetch(base + p, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await res.json() };
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

describe('needs_decision: an item waits for a human, others go on', () => {
  let project: TempProject;
  let config: EnvConfig;
  let t: TemporalClient;
  let worker: TestWorker;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;

  beforeAll(async () => {
    hook = await webhookReceiver();
    project = makeProject(['Pick a database', 'Write the changelog'], {
      impl: [
        { output: 'I need a choice first.\nNEEDS_DECISION: Use Postgres or SQLite?' },
        { output: 'implemented with the chosen database' },
      ],
      review: [{ output: 'VERDICT: pass' }],
    });
    config = testConfig({
      PIPELINE_AGENT_COMMAND: project.agentCommand,
      PIPELINE_META_RATIO: '0',
      PIPELINE_NOTIFY_WEBHOOK_URL: hook.url,
      PIPELINE_MONITOR_INTERVAL_SECONDS: '1',
    });
    t = testClient(config);
    worker = await startTestWorker(config);
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
    await hook?.close();
  });

  test('when the agent prints NEEDS_DECISION, then only that item waits, the decision unblocks it and reaches its next direction', async () => {
    const paths = projectPaths(config, project.root);
    const started = await startPipeline(t, config, paths, { once: true });
    const tasks = new TaskIndex(paths.stateDir);
    const waiting = await waitFor(
      async () => (await tasks.all()).find((x) => x.status === 'needs_decision'),
      30_000,
      'a task in needs_decision',
    );
    expect(waiting.decision_prompt).toBe('Use Postgres or SQLite?');

    // the other item runs to the end while the first waits
    await waitFor(
      async () => readJsonl<{ outcome: string }>(`${paths.stateDir}/items.jsonl`).some((o) => o.outcome === 'passed'),
      30_000,
      'the second item to pass',
    );
    const http = await api(config, t, project.root);
    try {
      const attention = await http.call('GET', '/api/agent/tasks/attention');
      expect(attention.body.tasks.map((x: { id: string }) => x.id)).toContain(waiting.id);
      const other = (await tasks.all()).find((x) => x.status === 'completed')!;
      expect((await http.call('POST', `/api/agent/tasks/${other.id}/decision`, { decision: 'x' })).status).toBe(409);
      expect((await http.call('POST', `/api/agent/tasks/${waiting.id}/decision`, {})).status).toBe(422);

      const decided = await runCli(['decide', waiting.id, 'SQLite, keep it simple', '--project', project.root], {
        TEMPORAL_ADDRESS: testAddress(),
      });
      expect(decided.stderr).toBe('');
      expect(decided.code).toBe(0);
    } finally {
      await http.close();
    }
    const result = await t.client.workflow.getHandle(started.workflowId).result();
    expect(result).toMatchObject({ itemsPassed: 2, itemsFailed: 0 });
    const impls = project.calls().filter((c) => c.taskType === 'impl');
    const after = impls.find((c) =>
      c.direction.includes('Decision on "Use Postgres or SQLite?": SQLite, keep it simple'),
    );
    expect(after?.direction).toMatch(/^Implement per spec: Pick a database\./);
    expect(await tasks.get(waiting.id)).toMatchObject({ status: 'completed', decision: 'SQLite, keep it simple' });
    // one metrics line per task, the answered task counted once as completed
    const metrics = readJsonl<{ task_id: string; status: string }>(paths.metricsFile);
    expect(metrics.filter((m) => m.task_id === waiting.id)).toEqual([expect.objectContaining({ status: 'completed' })]);
    // the webhook heard about it
    expect(hook.events).toContainEqual(
      expect.objectContaining({ event: 'needs_decision', task_id: waiting.id, prompt: 'Use Postgres or SQLite?' }),
    );
  });
});

describe('needs_decision timeout', () => {
  test('when nobody decides within PIPELINE_NEEDS_DECISION_TIMEOUT_HOURS, then the item fails and the task is failed with the reason', async () => {
    const project = makeProject(['Wait in vain'], { spec: [{ output: 'NEEDS_DECISION: Is this item still wanted?' }] });
    const config = testConfig({
      PIPELINE_AGENT_COMMAND: project.agentCommand,
      PIPELINE_META_RATIO: '0',
      PIPELINE_NEEDS_DECISION_TIMEOUT_HOURS: '0.0005',
    });
    const t = testClient(config);
    const worker = await startTestWorker(config);
    try {
      const paths = projectPaths(config, project.root);
      const started = await startPipeline(t, config, paths, { once: true });
      const result = await t.client.workflow.getHandle(started.workflowId).result();
      expect(result).toMatchObject({ itemsPassed: 0, itemsFailed: 1 });
      const [task] = await new TaskIndex(paths.stateDir).all();
      expect(task.status).toBe('failed');
      expect(task.output).toContain('No decision within 0.0005 h');
      const outcome = readJsonl<{ outcome: string; reason: string }>(`${paths.stateDir}/items.jsonl`)[0];
      expect(outcome.reason).toMatch(/^no decision for task task_[0-9a-f]{16}/);
    } finally {
      await worker.stop();
      await t.close();
    }
  });
});
