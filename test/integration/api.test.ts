import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/api/app';
import { loadEnvConfig, projectPaths, type EnvConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { MetricsStore } from '../../src/metrics/store';
import { TaskIndex } from '../../src/tasks/store';
import { createTemporalClient } from '../../src/temporal/connection';
import { makeProject } from '../helpers/project';
import { testAddress } from '../helpers/temporal';

async function serve(config: EnvConfig, root: string, host = '127.0.0.1') {
  const paths = projectPaths(config, root);
  const temporal = createTemporalClient(config);
  const app = createApp({
    config,
    paths,
    temporal,
    metrics: new MetricsStore(paths.metricsFile),
    tasks: new TaskIndex(paths.stateDir),
    logger: createLogger('test', 'error'),
    host,
  });
  const server = createServer(app.listener).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    call: async (method: string, p: string, init: RequestInit = {}) => {
      const started = Date.now();
      const res = await fetch(base + p, { method, ...init });
      const text = await res.text();
      return {
        status: res.status,
        body: text ? JSON.parse(text) : null,
        ms: Date.now() - started,
        type: res.headers.get('content-type'),
      };
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await temporal.close();
    },
  };
}

describe('REST API when Temporal is down', () => {
  const project = makeProject(['x']);
  const config = loadEnvConfig({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
  let api: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => (api = await serve(config, project.root)));
  afterAll(async () => api.close());

  test('when health is asked, then it answers ok with temporal unreachable', async () => {
    const r = await api.call('GET', '/api/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', version: '0.1.0', temporal: 'unreachable' });
    expect(r.body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test('when pipeline-status is asked, then it answers 503 with detail within 2 seconds', async () => {
    const r = await api.call('GET', '/api/agent/pipeline-status');
    expect(r.status).toBe(503);
    expect(r.body.detail).toBe('Temporal not reachable at 127.0.0.1:1');
    expect(r.ms).toBeLessThan(2000);
  });

  test('when metrics are asked with no data, then 200 with the zeroed structure', async () => {
    const r = await api.call('GET', '/api/agent/metrics');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      success_rate: { completed: 0, failed: 0, total: 0, rate: 0 },
      execution_time: { p50_seconds: 0, p95_seconds: 0 },
      by_task_type: {},
      by_model: {},
      skipped_lines: 0,
      window_days: 7,
    });
  });

  test('when the metrics store holds garbage, then metrics answer 200 from the valid records and count the rest', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const paths = projectPaths(config, project.root);
    mkdirSync(require('node:path').dirname(paths.metricsFile), { recursive: true });
    const good = (status: string) =>
      JSON.stringify({
        task_id: 'task_00000000000000a1',
        task_type: 'impl',
        model: 'm',
        duration_seconds: 12,
        status,
        created_at: new Date().toISOString(),
      });
    writeFileSync(
      paths.metricsFile,
      [
        good('completed'),
        'garbage{',
        '[1,2]',
        'null',
        '{"created_at": 12}',
        '{"created_at": null}',
        '{"created_at": "2026-11-22T10:00:00"}',
        JSON.stringify({
          created_at: new Date().toISOString(),
          duration_seconds: 1e308,
          status: 'failed',
          task_type: 'impl',
          model: 'm',
        }),
        good('failed'),
        '',
      ].join('\n'),
    );
    const r = await api.call('GET', '/api/agent/metrics');
    expect(r.status).toBe(200);
    expect(r.body.skipped_lines).toBe(6);
    expect(r.body.success_rate).toEqual({ completed: 1, failed: 2, total: 3, rate: 0.33 });
  });

  test('when a control endpoint is called, then it answers 503 with detail instead of hanging', async () => {
    const r = await api.call('POST', '/api/agent/pipeline/pause');
    expect(r.status).toBe(503);
    expect(r.body.detail).toContain('Temporal not reachable');
  });
});

describe('REST API input handling', () => {
  const project = makeProject(['x']);
  const config = loadEnvConfig({ TEMPORAL_ADDRESS: testAddress() });
  let api: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => (api = await serve(config, project.root)));
  afterAll(async () => api.close());

  test('when a route does not exist, then 404 JSON with detail', async () => {
    const r = await api.call('GET', '/api/nope');
    expect(r.status).toBe(404);
    expect(r.type).toContain('application/json');
    expect(r.body.detail).toContain('/api/nope');
  });

  test('when query parameters are out of range or of the wrong type, then 422 with a detail list', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'offset=-1', 'task_type=build', 'status=done']) {
      const r = await api.call('GET', `/api/agent/tasks?${q}`);
      expect(r.status).toBe(422);
      expect(Array.isArray(r.body.detail)).toBe(true);
      expect(r.body.detail[0]).toHaveProperty('loc');
    }
    expect((await api.call('GET', '/api/agent/metrics?window_days=0')).status).toBe(422);
  });

  test('when there are no tasks, then list, count and attention answer with empty results', async () => {
    expect((await api.call('GET', '/api/agent/tasks')).body).toEqual({ tasks: [], total: 0 });
    expect((await api.call('GET', '/api/agent/tasks/count')).body).toEqual({ total: 0, by_status: {} });
    expect((await api.call('GET', '/api/agent/tasks/attention')).body).toEqual({ tasks: [], total: 0 });
  });

  test('when a task id is not task_ + 16 hex, then 404 and no file is touched', async () => {
    for (const id of ['..%2F..%2Fetc%2Fpasswd', 'task_../../x', 'TASK_0123456789ABCDEF']) {
      const r = await api.call('GET', `/api/agent/tasks/${id}/log`);
      expect(r.status).toBe(404);
    }
  });

  test('when no pipeline was started, then pipeline-status answers 200 with not_started', async () => {
    const r = await api.call('GET', '/api/agent/pipeline-status');
    expect(r.status).toBe(200);
    expect(r.body.pipeline.state).toBe('not_started');
    expect(r.body).toMatchObject({
      running: [],
      pending: [],
      recent_completed: [],
      running_by_phase: { spec: 0, impl: 0, test: 0, review: 0 },
      latest_request: null,
      latest_response: null,
    });
  });

  test('when pipeline-status is asked again, then the cached answer carries Age and an ETag that a conditional request turns into 304', async () => {
    const base = await api.call('GET', '/api/agent/pipeline-status');
    const first = await fetch(api.base + '/api/agent/pipeline-status');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(first.headers.get('age'))).toBeGreaterThanOrEqual(0);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/"[0-9a-f]+-[\w-]+"$/);
    expect(await first.json()).toEqual(base.body);
    // fetch would add `Cache-Control: no-cache` to a conditional request, which always asks for the full answer.
    const again = await fetch(api.base + '/api/agent/pipeline-status', {
      headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' },
    });
    expect(again.status).toBe(304);
  });

  test('when the same read goes the hot path and through Express, then the answers are the same', async () => {
    // No pipeline runs here, so a refresh of the cached status between the two requests gives the same answer.
    await api.call('GET', '/api/agent/pipeline-status'); // cached from here on: the plain request takes the hot path
    // A query the hot path does not take sends the request through Express's route; the answer must not differ.
    for (const [hot, viaExpress] of [
      ['/api/agent/pipeline-status', '/api/agent/pipeline-status?via=express'],
      ['/api/agent/metrics', '/api/agent/metrics?window_days=7&via=express'],
    ]) {
      const [a, b] = await Promise.all([fetch(api.base + hot), fetch(api.base + viaExpress)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      for (const h of ['content-type', 'etag']) expect([hot, h, a.headers.get(h)]).toEqual([hot, h, b.headers.get(h)]);
      expect(a.headers.get('etag')).toBeTruthy();
      expect(await a.text()).toBe(await b.text());
    }
  });

  test('when the body is not JSON, then 400 with detail, not 500', async () => {
    const r = await api.call('POST', '/api/agent/pipeline/pause', {
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain('not valid JSON');
  });

  test('when no pipeline runs, then pause answers 409', async () => {
    const r = await api.call('POST', '/api/agent/pipeline/pause');
    expect(r.status).toBe(409);
  });
});

describe('REST API: who may act', () => {
  const project = makeProject(['x']);

  test('when bound to a non-loopback address without a token, then mutating endpoints answer 403 with the reason', async () => {
    const api = await serve(loadEnvConfig({ TEMPORAL_ADDRESS: testAddress() }), project.root, '0.0.0.0');
    try {
      const r = await api.call('POST', '/api/agent/pipeline/stop');
      expect(r.status).toBe(403);
      expect(r.body.detail).toContain('PIPELINE_API_TOKEN');
    } finally {
      await api.close();
    }
  });

  test('when a token is set, then a missing or wrong bearer token is refused with 401 and the right one passes', async () => {
    const api = await serve(
      loadEnvConfig({ TEMPORAL_ADDRESS: testAddress(), PIPELINE_API_TOKEN: 's3cret-token' }),
      project.root,
      '0.0.0.0',
    );
    try {
      expect((await api.call('POST', '/api/agent/pipeline/stop')).status).toBe(401);
      expect(
        (await api.call('POST', '/api/agent/pipeline/stop', { headers: { authorization: 'Bearer wrong' } })).status,
      ).toBe(401);
      // authorised: no pipeline runs for this project, so the request gets as far as Temporal (409)
      expect(
        (await api.call('POST', '/api/agent/pipeline/stop', { headers: { authorization: 'Bearer s3cret-token' } }))
          .status,
      ).toBe(409);
    } finally {
      await api.close();
    }
  });
});

describe('REST API: who may read', () => {
  const project = makeProject(['x']);

  test('when bound off loopback with a token, then reads need the bearer token, and health and the OpenAPI document stay open', async () => {
    const api = await serve(
      loadEnvConfig({ TEMPORAL_ADDRESS: testAddress(), PIPELINE_API_TOKEN: 'read-token-1' }),
      project.root,
      '0.0.0.0',
    );
    try {
      expect((await api.call('GET', '/api/agent/tasks')).status).toBe(401);
      expect((await api.call('GET', '/api/agent/metrics', { headers: { authorization: 'Bearer nope' } })).status).toBe(
        401,
      );
      expect(
        (await api.call('GET', '/api/agent/tasks', { headers: { authorization: 'Bearer read-token-1' } })).status,
      ).toBe(200);
      expect((await api.call('GET', '/api/health')).status).toBe(200);
      expect((await api.call('GET', '/api/openapi.json')).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  test('when bound off loopback without a token, then reads are refused with 403 and the reason', async () => {
    const api = await serve(loadEnvConfig({ TEMPORAL_ADDRESS: testAddress() }), project.root, '0.0.0.0');
    try {
      const r = await api.call('GET', '/api/agent/metrics');
      expect(r.status).toBe(403);
      expect(r.body.detail).toContain('PIPELINE_API_TOKEN');
    } finally {
      await api.close();
    }
  });

  test('when PIPELINE_API_READ_TOKEN_REQUIRED=1, then reads need the token even on loopback', async () => {
    const api = await serve(
      loadEnvConfig({
        TEMPORAL_ADDRESS: testAddress(),
        PIPELINE_API_TOKEN: 'read-token-2',
        PIPELINE_API_READ_TOKEN_REQUIRED: '1',
      }),
      project.root,
    );
    try {
      expect((await api.call('GET', '/api/agent/tasks/count')).status).toBe(401);
      expect(
        (await api.call('GET', '/api/agent/tasks/count', { headers: { authorization: 'Bearer read-token-2' } })).status,
      ).toBe(200);
    } finally {
      await api.close();
    }
  });

  test('when bound to loopback without a token, then reads and mutations are open', async () => {
    const api = await serve(loadEnvConfig({ TEMPORAL_ADDRESS: testAddress() }), project.root);
    try {
      expect((await api.call('GET', '/api/agent/tasks')).status).toBe(200);
      expect((await api.call('POST', '/api/agent/pipeline/pause')).status).toBe(409); // allowed; there is simply no pipeline
    } finally {
      await api.close();
    }
  });
});
