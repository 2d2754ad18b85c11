import { createServer } from 'node:http';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp } from '../../src/api/app';
import { projectPaths, type EnvConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { MetricsStore } from '../../src/metrics/store';
import { TaskIndex } from '../../src/tasks/store';
import type { TemporalClient } from '../../src/temporal/connection';
import { startPipeline } from '../../src/cli/commands/start';
import type { PipelineResult } from '../../src/shared/contracts/pipeline';
import type { TaskRecord } from '../../src/shared/contracts/task';
import { makeProject, readJsonl, waitFor, type TempProject } from '../helpers/project';
import { startTestWorker, testClient, testConfig, type TestWorker } from '../helpers/temporal';

async function serve(config: EnvConfig, t: TemporalClient, root: string) {
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
    base,
    close: () => new Promise((r) => server.close(r)),
    get: async (p: string) => {
      const res = await fetch(base + p);
      return { status: res.status, body: await res.json() };
    },
  };
}

describe('a pipeline on the real dev server with a scripted agent', () => {
  let project: TempProject;
  let config: EnvConfig;
  let t: TemporalClient;
  let worker: TestWorker;
  let result: PipelineResult;

  beforeAll(async () => {
    project = makeProject(['Add a login page', 'Add `rate limiting` to the API', 'Write the **changelog**'], {
      impl: [{ exit: 1, output: 'compile error in login.ts' }, { output: 'implemented the change' }],
      review: [{ output: 'Looks right.\nVERDICT: pass' }],
    });
    config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand, PIPELINE_META_RATIO: '0' });
    t = testClient(config);
    worker = await startTestWorker(config);
    const paths = projectPaths(config, project.root);
    const started = await startPipeline(t, config, paths, { once: true });
    result = await t.client.workflow.getHandle(started.workflowId).result();
  });

  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  test('when the backlog has three items, then all pass and the failed impl looped into one fix', () => {
    expect(result).toMatchObject({ reason: 'once', itemsPassed: 3, itemsFailed: 0 });
    // 3 items × 4 phases, plus the failed first impl and its fix → 2 extra tasks (fix impl + nothing else: impl failed
    // → fix impl → test → review)
    expect(result.tasksRun).toBe(13);
    const calls = project.calls();
    expect(calls).toHaveLength(13);
    const fix = calls.find((c) => c.direction.startsWith('Fix the issues (iteration 2): Add a login page.'));
    expect(fix?.direction).toContain('compile error in login.ts');
  });

  test('when it ends, then there is exactly one metrics line per task run, in the contract key order', () => {
    const paths = projectPaths(config, project.root);
    const lines = readFileSync(paths.metricsFile, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(13);
    const ids = lines.map((l) => JSON.parse(l).task_id);
    expect(new Set(ids).size).toBe(13);
    expect(Object.keys(JSON.parse(lines[0])).slice(0, 6)).toEqual([
      'task_id',
      'task_type',
      'model',
      'duration_seconds',
      'status',
      'created_at',
    ]);
    const failed = lines.map((l) => JSON.parse(l)).filter((r) => r.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ task_type: 'impl', model: 'command/default' });
  });

  test('when tasks ran, then each has a log file and a final record in the task store', async () => {
    const paths = projectPaths(config, project.root);
    const tasks = await new TaskIndex(paths.stateDir).all();
    expect(tasks).toHaveLength(13);
    for (const task of tasks) {
      expect(['completed', 'failed']).toContain(task.status);
      const log = readFileSync(path.join(paths.taskLogsDir, `${task.id}.log`), 'utf8');
      expect(log).toContain(`# task_id=${task.id}`);
      expect(log).toMatch(/# duration_seconds=/);
    }
    // the agent really edited the project: one file per task
    for (const task of tasks) expect(existsSync(path.join(project.root, 'work', `${task.id}.txt`))).toBe(true);
    // markdown in the item reaches the direction verbatim
    expect(tasks.some((x) => x.direction.includes('Add `rate limiting` to the API'))).toBe(true);
  });

  test('when looked at in the Temporal Web UI, then the pipeline and each item workflow say which project and item they are', async () => {
    const paths = projectPaths(config, project.root);
    const pipeline = await t.client.workflow.getHandle(`nightshift-${paths.projectId}`).describe();
    expect(await pipeline.staticSummary()).toBe(`nightshift pipeline: ${project.root}`);
    const items = [];
    for await (const w of t.client.workflow.list({
      query: `WorkflowType = 'itemWorkflow' AND WorkflowId STARTS_WITH 'nightshift-${paths.projectId}-item-'`,
    }))
      items.push(w);
    expect(items).toHaveLength(3);
    const summaries = await Promise.all(
      items.map(async (w) => (await t.client.workflow.getHandle(w.workflowId).describe()).staticSummary()),
    );
    expect(summaries.sort()).toEqual(
      [
        `${paths.projectId}: Add \`rate limiting\` to the API`,
        `${paths.projectId}: Add a login page`,
        `${paths.projectId}: Write the **changelog**`,
      ].sort(),
    );
    expect(items.map((w) => w.workflowId).sort()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^nightshift-${paths.projectId}-item-add-a-login-page-[0-9a-f]{10}$`)),
      ]),
    );
  });

  test('when asked over HTTP, then pipeline-status, metrics and the task endpoints answer from the real run', async () => {
    const api = await serve(config, t, project.root);
    try {
      const status = await api.get('/api/agent/pipeline-status');
      expect(status.status).toBe(200);
      expect(Object.keys(status.body.running_by_phase)).toEqual(['spec', 'impl', 'test', 'review']);
      expect(status.body.pipeline).toMatchObject({
        state: 'completed',
        items_by_state: { passed: 3, failed: 0, pending: 0, running: 0 },
      });
      expect(status.body.recent_completed).toHaveLength(10);
      expect(status.body.latest_response.task_id).toBe(status.body.recent_completed[0].id);

      const metrics = await api.get('/api/agent/metrics');
      expect(metrics.body.success_rate).toEqual({ completed: 12, failed: 1, total: 13, rate: 0.92 });
      expect(metrics.body.by_model['command/default'].count).toBe(13);

      const page = await api.get('/api/agent/tasks?limit=5&offset=5');
      expect(page.body.total).toBe(13);
      expect(page.body.tasks).toHaveLength(5);
      expect(page.body.tasks[0].output).toBeUndefined();
      const failed = await api.get('/api/agent/tasks?status=failed');
      expect(failed.body.total).toBe(1);
      const id = failed.body.tasks[0].id;
      expect((await api.get(`/api/agent/tasks/${id}`)).body.output).toContain('compile error');
      const log = await api.get(`/api/agent/tasks/${id}/log`);
      expect(log.body.log).toContain('compile error in login.ts');
      expect((await api.get('/api/agent/tasks/count')).body).toEqual({
        total: 13,
        by_status: { completed: 12, failed: 1 },
      });
      expect((await api.get('/api/agent/tasks/task_0000000000000000')).status).toBe(404);
      expect((await api.get('/api/agent/tasks?limit=0')).status).toBe(422);
      expect((await api.get('/api/agent/tasks?status=bogus')).status).toBe(422);
    } finally {
      await api.close();
    }
  });
});

describe('a running pipeline re-reads its backlog', () => {
  test('when an item is appended to the file while the first runs, then it is picked up and run too', async () => {
    const project = makeProject(['First item'], {
      spec: [{ sleepMs: 1500, output: 'spec written slowly' }, { output: 'spec written' }],
      review: [{ output: 'VERDICT: pass' }],
    });
    const config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand, PIPELINE_META_RATIO: '0' });
    const t = testClient(config);
    const worker = await startTestWorker(config);
    try {
      const started = await startPipeline(t, config, projectPaths(config, project.root), { once: true });
      await waitFor(() => project.calls().length >= 1, 20_000, 'the first agent call');
      appendFileSync(project.backlogPath, '2. Second item appended while running\n');
      const result = await t.client.workflow.getHandle(started.workflowId).result();
      expect(result).toMatchObject({ reason: 'once', itemsPassed: 2 });
      const items = readJsonl<{ key: string; outcome: string }>(
        path.join(projectPaths(config, project.root).stateDir, 'items.jsonl'),
      );
      expect(items.map((i) => i.outcome)).toEqual(['passed', 'passed']);
    } finally {
      await worker.stop();
      await t.close();
    }
  });

  test('when the pipeline is started again on the same project, then finished items are not run twice', async () => {
    const project = makeProject(['Only item'], { review: [{ output: 'VERDICT: pass' }] });
    const config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand, PIPELINE_META_RATIO: '0' });
    const t = testClient(config);
    const worker = await startTestWorker(config);
    try {
      const paths = projectPaths(config, project.root);
      const first = await startPipeline(t, config, paths, { once: true });
      await t.client.workflow.getHandle(first.workflowId).result();
      const second = await startPipeline(t, config, paths, { once: true });
      expect(second.attached).toBe(false);
      const result = await t.client.workflow.getHandle(second.workflowId).result();
      expect(result.tasksRun).toBe(0);
      expect(project.calls()).toHaveLength(4);
      const tasks: TaskRecord[] = await new TaskIndex(paths.stateDir).all();
      expect(tasks).toHaveLength(4);
    } finally {
      await worker.stop();
      await t.close();
    }
  });
});
