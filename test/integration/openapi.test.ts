import { createServer } from 'node:http';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/api/app';
import { openApiDocument } from '../../src/api/openapi';
import { projectPaths, type EnvConfig, type ProjectPaths } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { createLogger } from '../../src/logger';
import { MetricsStore } from '../../src/metrics/store';
import { TaskIndex } from '../../src/tasks/store';
import type { TemporalClient } from '../../src/temporal/connection';
import { makeProject, type TempProject } from '../helpers/project';
import { startTestWorker, testClient, testConfig, type TestWorker } from '../helpers/temporal';

type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
};
const doc = openApiDocument as unknown as Doc;

/** `METHOD /path` of every route, with the prefix of the router it is mounted in (`/api`, or none at the root). */
function routesOf(app: ReturnType<typeof createApp>): string[] {
  const out: string[] = [];
  type Layer = {
    slash?: boolean;
    route?: { path: string; methods: Record<string, boolean> };
    handle?: { stack?: unknown[] };
  };
  const walk = (stack: Layer[], prefix: string) => {
    for (const l of stack) {
      if (l.route)
        for (const m of Object.keys(l.route.methods))
          out.push(`${m.toUpperCase()} ${prefix}${l.route.path.replace(/:(\w+)/g, '{$1}')}`);
      else if (l.handle?.stack) walk(l.handle.stack as Layer[], prefix);
    }
  };
  // At the top, a router mounted at the root has `slash`; the only other mount is /api.
  for (const l of (app.express as unknown as { router: { stack: Layer[] } }).router.stack)
    walk([l], l.slash === false ? '/api' : '');
  return out.sort();
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...openApiDocument, $id: 'openapi' } as object);

/** Validates a response against the documented schema for that path, method and status. */
function checkResponse(pathKey: string, method: string, status: number, body: unknown): string[] {
  const op = doc.paths[pathKey]?.[method.toLowerCase()];
  if (!op) return [`${method} ${pathKey} is not documented`];
  const documented = op.responses[String(status)];
  if (!documented) return [`${method} ${pathKey} answered ${status}, which is not documented`];
  const schema = documented.content?.['application/json']?.schema;
  if (!schema) return [];
  const validate = ajv.compile({
    $ref: `openapi#/paths/${pathKey.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`,
  });
  return validate(body) ? [] : [`${method} ${pathKey} ${status}: ${ajv.errorsText(validate.errors)}`];
}

describe('GET /api/openapi.json and the responses it documents', () => {
  let project: TempProject;
  let config: EnvConfig;
  let t: TemporalClient;
  let worker: TestWorker;
  let base: string;
  let paths: ProjectPaths;
  let close: () => Promise<unknown>;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    project = makeProject(['Document the API'], {
      impl: [{ exit: 1, output: 'first impl failed' }, { output: 'impl done now' }],
      review: [{ output: 'VERDICT: pass' }],
    });
    config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand, PIPELINE_META_RATIO: '0' });
    t = testClient(config);
    worker = await startTestWorker(config);
    paths = projectPaths(config, project.root);
    const started = await startPipeline(t, config, paths, { once: true });
    await t.client.workflow.getHandle(started.workflowId).result();
    app = createApp({
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
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((r) => server.close(r));
  });
  afterAll(async () => {
    await close?.();
    await worker?.stop();
    await t?.close();
  });

  const call = async (method: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(base + path, { method, ...init });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : null };
  };

  test('when the document is fetched, then it lists every route of the app and nothing else', async () => {
    const r = await call('GET', '/api/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    const documented = Object.entries(r.body.paths as Doc['paths'])
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(documented).toEqual(routesOf(app).filter((r) => r.includes(' /api/')));
    // Outside /api there is only the Prometheus endpoint (text format, not JSON); the dashboard's page and assets are
    // static middleware.
    expect(routesOf(app).filter((r) => !r.includes(' /api/'))).toEqual(['GET /metrics']);
  });

  test('when every endpoint answers from a real run, then each response matches its documented schema', async () => {
    const tasks = (await call('GET', '/api/agent/tasks?limit=100')).body.tasks as { id: string }[];
    const id = tasks[0].id;
    const cases: [string, string, string, RequestInit?][] = [
      ['GET', '/api/health', '/api/health'],
      ['GET', '/api/openapi.json', '/api/openapi.json'],
      ['GET', '/api/agent/metrics', '/api/agent/metrics'],
      ['GET', '/api/agent/metrics?window_days=0', '/api/agent/metrics'],
      ['GET', '/api/agent/metrics/breakdown?window_days=3', '/api/agent/metrics/breakdown'],
      ['GET', '/api/agent/metrics/breakdown?window_days=abc', '/api/agent/metrics/breakdown'],
      ['GET', '/api/agent/pipeline-status', '/api/agent/pipeline-status'],
      ['GET', '/api/agent/tasks?status=failed&limit=5', '/api/agent/tasks'],
      ['GET', '/api/agent/tasks?limit=500', '/api/agent/tasks'],
      ['GET', '/api/agent/tasks/count', '/api/agent/tasks/count'],
      ['GET', '/api/agent/tasks/attention', '/api/agent/tasks/attention'],
      ['GET', `/api/agent/tasks/${id}`, '/api/agent/tasks/{id}'],
      ['GET', '/api/agent/tasks/task_ffffffffffffffff', '/api/agent/tasks/{id}'],
      ['GET', `/api/agent/tasks/${id}/log`, '/api/agent/tasks/{id}/log'],
      ['GET', '/api/agent/monitor-issues', '/api/agent/monitor-issues'],
      [
        'POST',
        `/api/agent/tasks/${id}/decision`,
        '/api/agent/tasks/{id}/decision',
        { headers: { 'content-type': 'application/json' }, body: '{"decision":"yes"}' },
      ],
      [
        'POST',
        '/api/agent/tasks',
        '/api/agent/tasks',
        { headers: { 'content-type': 'application/json' }, body: '{"task_type":"nope","direction":""}' },
      ],
      ['POST', '/api/agent/pipeline/pause', '/api/agent/pipeline/pause'],
    ];
    // the checker itself rejects what does not match
    expect(checkResponse('/api/health', 'GET', 200, { status: 'ok' })).toHaveLength(1);
    expect(checkResponse('/api/agent/tasks', 'GET', 418, {})).toEqual([
      'GET /api/agent/tasks answered 418, which is not documented',
    ]);
    const problems: string[] = [];
    for (const [method, url, key, init] of cases) {
      const r = await call(method, url, init);
      problems.push(...checkResponse(key, method, r.status, r.body));
    }
    expect(problems).toEqual([]);
  });

  test('when endpoints get wrong types, huge values, invalid JSON, unknown fields or wrong content types, then 4xx JSON with detail, never a 500 or a stack trace', async () => {
    const json = { 'content-type': 'application/json' };
    const requests: [string, string, RequestInit?][] = [
      ['GET', '/api/agent/tasks?limit=1e400'],
      ['GET', '/api/agent/tasks?limit=-5&offset=abc'],
      ['GET', '/api/agent/tasks?offset=99999999999999999999999'],
      ['GET', '/api/agent/tasks?status=running&status=failed'],
      ['GET', '/api/agent/tasks?task_type=%00%01'],
      ['GET', '/api/agent/tasks/attention?limit=0'],
      ['GET', '/api/agent/metrics?window_days=NaN'],
      ['GET', '/api/agent/metrics?window_days=100000000'],
      ['GET', '/api/agent/metrics/breakdown?window_days=-1'],
      ['GET', '/api/agent/tasks/..%2F..%2Fetc%2Fpasswd'],
      ['GET', `/api/agent/tasks/${'x'.repeat(5000)}/log`],
      ['POST', '/api/agent/tasks', { headers: json, body: '{"direction": "x", ' }],
      ['POST', '/api/agent/tasks', { headers: json, body: '[1,2,3]' }],
      ['POST', '/api/agent/tasks', { headers: json, body: '"just a string"' }],
      ['POST', '/api/agent/tasks', { headers: json, body: JSON.stringify({ direction: 42, task_type: ['impl'] }) }],
      [
        'POST',
        '/api/agent/tasks',
        { headers: json, body: JSON.stringify({ direction: 'x'.repeat(5001), task_type: 'impl' }) },
      ],
      ['POST', '/api/agent/tasks', { headers: json, body: JSON.stringify({ direction: '   ', task_type: 'impl' }) }],
      [
        'POST',
        '/api/agent/tasks',
        { headers: json, body: JSON.stringify({ direction: 'ok', task_type: 'impl', command_override: 'rm -rf /' }) },
      ],
      ['POST', '/api/agent/tasks', { headers: { 'content-type': 'text/plain' }, body: 'direction=x' }],
      [
        'POST',
        '/api/agent/tasks',
        { headers: json, body: JSON.stringify({ direction: 'y'.repeat(200_000), task_type: 'impl' }) },
      ],
      [
        'POST',
        '/api/agent/tasks/task_0000000000000000/decision',
        { headers: json, body: JSON.stringify({ decision: null }) },
      ],
      ['POST', '/api/agent/tasks/task_0000000000000000/decision', { headers: json, body: '{bad' }],
      [
        'POST',
        '/api/agent/tasks/task_0000000000000000/decision',
        { headers: json, body: JSON.stringify({ decision: 'x', extra: 1 }) },
      ],
      ['DELETE', '/api/agent/tasks'],
      ['PUT', '/api/agent/pipeline/stop'],
      ['GET', '/nope'],
    ];
    for (const [method, url, init] of requests) {
      const r = await call(method, url, init);
      expect({ url, method, status: r.status }).toEqual({ url, method, status: expect.any(Number) });
      expect(
        r.status >= 400 && r.status < 500 ? 'client error' : `${method} ${url} → ${r.status} ${r.text.slice(0, 200)}`,
      ).toBe('client error');
      expect(r.body).toHaveProperty('detail');
      expect(r.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
    }
  });

  // Last: it stops the worker. A query on an ended pipeline needs a worker to replay it; a busy or absent one must not
  // lose the final counts.
  test("when no worker answers the ended pipeline's query, then pipeline-status still matches its schema and counts the items from the pipeline's result", async () => {
    await worker.stop();
    const fresh = createApp({
      config,
      paths,
      temporal: t,
      metrics: new MetricsStore(paths.metricsFile),
      tasks: new TaskIndex(paths.stateDir),
      logger: createLogger('test', 'error'),
      host: '127.0.0.1',
    });
    const server = createServer(fresh.listener).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/agent/pipeline-status`);
      const body = await res.json();
      expect(checkResponse('/api/agent/pipeline-status', 'GET', res.status, body)).toEqual([]);
      const recorded = (await call('GET', '/api/agent/tasks/count')).body.total as number;
      expect(body.pipeline).toMatchObject({
        state: 'completed',
        worker: null,
        items_by_state: { pending: 0, running: 0, passed: 1, failed: 0 },
        tasks_run: recorded,
      });
      expect(recorded).toBeGreaterThan(0);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
