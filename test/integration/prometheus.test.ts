import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp } from '../../src/api/app';
import { projectPaths, type EnvConfig, type ProjectPaths } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { createLogger } from '../../src/logger';
import { MetricsStore } from '../../src/metrics/store';
import { writeMonitorIssuesFile } from '../../src/monitor/issues-file';
import { TaskIndex } from '../../src/tasks/store';
import type { TemporalClient } from '../../src/temporal/connection';
import { makeProject, readJsonl } from '../helpers/project';
import { endProjectWorkflows, startTestWorker, testClient, testConfig, type TestWorker } from '../helpers/temporal';

async function serve(config: EnvConfig, paths: ProjectPaths, t: TemporalClient, host = '127.0.0.1') {
  const app = createApp({
    config,
    paths,
    temporal: t,
    metrics: new MetricsStore(paths.metricsFile),
    tasks: new TaskIndex(paths.stateDir),
    logger: createLogger('test', 'error'),
    host,
  });
  const server = createServer(app.listener).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise((r) => server.close(r)) };
}

/** `name{labels} value` lines of the text format, as [name, labels, value]. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(l)!;
      const labels = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
      );
      return { name: m[1], labels, value: Number(m[3]) };
    });
}

describe('GET /metrics for Prometheus', () => {
  let config: EnvConfig;
  let paths: ProjectPaths;
  let t: TemporalClient;
  let worker: TestWorker;

  beforeAll(async () => {
    const project = makeProject(['Export metrics'], {
      impl: [{ exit: 1, output: 'compile error in export.ts' }, { output: 'implemented the change' }],
      review: [{ output: 'VERDICT: pass' }],
    });
    config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand, PIPELINE_META_RATIO: '0' });
    t = testClient(config);
    worker = await startTestWorker(config);
    paths = projectPaths(config, project.root);
    const started = await startPipeline(t, config, paths, { once: true });
    await t.client.workflow.getHandle(started.workflowId).result();
    await writeMonitorIssuesFile(paths.stateDir, {
      last_check: new Date().toISOString(),
      issues: [
        {
          id: 'i1',
          condition: 'repeated_failures',
          severity: 'high',
          message: 'm',
          suggested_action: 's',
          created_at: '',
          resolved_at: null,
          heal_task_id: 'task_00000000000000b1',
          actions: [
            { at: '', action: 'heal task created', task_id: 'task_00000000000000b1' },
            { at: '', action: 'heal task ended', task_id: 'task_00000000000000b1', outcome: 'completed' },
            { at: '', action: 'needs_decision entry created', task_id: 'task_00000000000000b2' },
          ],
        },
      ],
    });
  });

  afterAll(async () => {
    await endProjectWorkflows(t, paths.projectId);
    await worker?.stop();
    await t?.close();
  });

  test('when a pipeline ran, then task counts, the duration histogram, items, flags, heal tasks and process metrics are exported', async () => {
    const api = await serve(config, paths, t);
    try {
      const res = await fetch(`${api.base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const all = samples(await res.text());
      const of = (name: string, labels: Record<string, string> = {}) =>
        all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      const lines = readJsonl<{ task_type: string; status: string; model: string }>(paths.metricsFile);
      expect(lines).toHaveLength(5);
      const tasks = of('nightshift_tasks_total');
      expect(tasks.reduce((n, s) => n + s.value, 0)).toBe(5);
      const failed = lines.find((l) => l.status === 'failed')!;
      expect(of('nightshift_tasks_total', { task_type: 'impl', status: 'failed', model: failed.model })[0].value).toBe(
        1,
      );
      expect(of('nightshift_tasks_total', { task_type: 'impl', status: 'completed' })[0].value).toBe(1);

      const impl = { task_type: 'impl', model: failed.model };
      expect(of('nightshift_task_duration_seconds_count', impl)[0].value).toBe(2);
      expect(of('nightshift_task_duration_seconds_bucket', { ...impl, le: '+Inf' })[0].value).toBe(2);
      const buckets = of('nightshift_task_duration_seconds_bucket', impl).map((s) => s.value);
      expect(buckets).toEqual([...buckets].sort((a, b) => a - b)); // cumulative
      expect(of('nightshift_task_duration_seconds_bucket', { ...impl, le: '60' })[0].value).toBe(2); // scripted tasks take well under a minute

      expect(of('nightshift_items', { state: 'passed' })[0].value).toBe(1);
      expect(of('nightshift_items', { state: 'failed' })[0].value).toBe(0);
      expect(of('nightshift_attention', { flag: 'stuck' })[0].value).toBe(0);
      expect(
        of('nightshift_attention')
          .map((s) => s.labels.flag)
          .sort(),
      ).toEqual(['blocked_step', 'executor_fail', 'low_success_rate', 'output_empty', 'repeated_failures', 'stuck']);
      expect(of('nightshift_heal_tasks_total', { condition: 'repeated_failures' })[0].value).toBe(2);
      expect(of('nightshift_heal_tasks_total', { condition: 'stuck' })[0].value).toBe(0);
      expect(of('nightshift_temporal_up')[0].value).toBe(1);
      expect(of('nightshift_api_process_resident_memory_bytes')[0].value).toBeGreaterThan(0);

      // Every nightshift_* series the shipped Grafana dashboard queries exists.
      const dashboard = readFileSync(path.resolve(__dirname, '../../docs/grafana-dashboard.json'), 'utf8');
      const used = new Set([...dashboard.matchAll(/\b(nightshift_\w+)/g)].map((m) => m[1]));
      const exported = new Set(all.map((s) => s.name));
      expect([...used].filter((n) => !exported.has(n))).toEqual([]);
    } finally {
      await api.close();
    }
  });

  test('when the API is bound off loopback with a token, then /metrics needs the bearer token like every read', async () => {
    const secured = { ...config, PIPELINE_API_TOKEN: 'prom-scrape-token' };
    const api = await serve(secured, paths, t, '0.0.0.0');
    try {
      expect((await fetch(`${api.base}/metrics`)).status).toBe(401);
      expect(
        (await fetch(`${api.base}/metrics`, { headers: { authorization: 'Bearer prom-scrape-token' } })).status,
      ).toBe(200);
    } finally {
      await api.close();
    }
  });
});
