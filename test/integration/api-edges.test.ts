import Ajv from 'ajv';
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createApp } from '../../src/api/app';
import { openApiDocument } from '../../src/api/openapi';
import { itemKey } from '../../src/backlog/parse';
import { startPipeline } from '../../src/cli/commands/start';
import { loadEnvConfig, projectPaths, type EnvConfig, type ProjectPaths } from '../../src/config';
import { createLogger } from '../../src/logger';
import { MetricsStore } from '../../src/metrics/store';
import { ensureStateDir } from '../../src/settings/state-dir';
import type { TaskRecord } from '../../src/shared/contracts/task';
import { ITEM_TEXT_EXCERPT_CHARS } from '../../src/read-model/pipeline-status';
import { TaskIndex } from '../../src/tasks/store';
import { taskLogPath } from '../../src/tasks/paths';
import { createTemporalClient, type TemporalClient } from '../../src/temporal/connection';
import { makeProject, waitFor } from '../helpers/project';
import {
  endProjectWorkflows,
  startTestWorker,
  testAddress,
  testClient,
  testConfig,
  type TestWorker,
} from '../helpers/temporal';

/**
 * The API's edges over real HTTP (node's http client, so Host, Origin and encodings are exactly what is sent):
 * who may reach it from a browser (issue 21), auth and methods before bodies (issue 19), and response sizes.
 */
interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body decoded (gunzipped when it came gzipped), as text. */
  text: string;
  json: () => any;
}

function raw(
  base: string,
  method: string,
  p: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Raw> {
  const url = new URL(base + p);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          const text = (res.headers['content-encoding'] === 'gzip' && b.length > 0 ? gunzipSync(b) : b).toString(
            'utf8',
          );
          resolve({ status: res.statusCode!, headers: res.headers, body: b, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function serve(config: EnvConfig, paths: ProjectPaths, temporal: TemporalClient, host = '127.0.0.1') {
  const app = createApp({
    config,
    paths,
    temporal,
    metrics: new MetricsStore(paths.metricsFile),
    tasks: new TaskIndex(paths.stateDir),
    logger: createLogger('test', 'error'),
    host,
  });
  const server = http.createServer(app.listener).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    port,
    call: (method: string, p: string, headers: Record<string, string> = {}, body?: string | Buffer) =>
      raw(base, method, p, headers, body),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

type Api = Awaited<ReturnType<typeof serve>>;

/** A finished (or given) task record in the project's task store, and optionally its log file. */
async function seedTask(
  paths: ProjectPaths,
  id: string,
  over: Partial<TaskRecord> = {},
  log?: string | Buffer,
): Promise<TaskRecord> {
  await ensureStateDir(paths.projectRoot, paths.stateDir);
  const now = new Date().toISOString();
  const record: TaskRecord = {
    id,
    task_type: 'impl',
    status: 'completed',
    direction: 'Seeded task',
    model: 'demo',
    item_key: null,
    iteration: 1,
    created_at: now,
    started_at: now,
    finished_at: now,
    output: 'done',
    exit_code: 0,
    decision_prompt: null,
    decision: null,
    workflow_id: null,
    output_chars: 4,
    ...over,
  };
  const { appendFileSync } = await import('node:fs');
  appendFileSync(path.join(paths.stateDir, 'tasks.jsonl'), JSON.stringify(record) + '\n');
  if (log !== undefined) {
    mkdirSync(path.dirname(taskLogPath(paths.stateDir, id)), { recursive: true });
    writeFileSync(taskLogPath(paths.stateDir, id), log);
  }
  return record;
}

describe('the loopback API and the web pages its user visits (no token, the default)', () => {
  const project = makeProject(['x']);
  const config = loadEnvConfig({ TEMPORAL_ADDRESS: testAddress() });
  const paths = projectPaths(config, project.root);
  const temporal = createTemporalClient(config);
  let api: Api;
  beforeAll(async () => (api = await serve(config, paths, temporal)));
  afterAll(async () => {
    await api.close();
    await temporal.close();
  });

  // No pipeline runs for this project: a control request that passes every rule gets as far as Temporal, which answers
  // 409.
  const NO_PIPELINE = 409;

  test('when a page of another origin POSTs pause (fetch or form, no preflight), then 403 and nothing is signalled', async () => {
    for (const headers of [
      { origin: 'http://evil.example' },
      { origin: 'http://evil.example', 'content-type': 'application/json' },
      { origin: `http://127.0.0.1:${api.port + 1}` },
      { origin: `https://127.0.0.1:${api.port}.evil.example` },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: `http://127.0.0.1:${api.port}`, 'sec-fetch-site': 'cross-site' },
    ]) {
      const r = await api.call('POST', '/api/agent/pipeline/pause', headers);
      expect({ headers, status: r.status }).toEqual({ headers, status: 403 });
      expect(r.json().detail).toMatch(/^Cross-(origin|site) request refused/);
    }
    const form = await api.call(
      'POST',
      '/api/agent/tasks',
      { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      'task_type=heal&direction=x',
    );
    expect(form.status).toBe(403);
  });

  test('when a DNS-rebinding page names its own host, then reads (hot path included), POSTs and the page itself answer 421', async () => {
    // The status is cached from here on, so its plain GET takes the hot path (hot-reads.ts), which must apply the rule
    // too.
    expect((await api.call('GET', '/api/agent/pipeline-status')).status).toBe(200);
    for (const [method, p] of [
      ['GET', '/api/agent/pipeline-status'],
      ['GET', '/api/agent/metrics'],
      ['GET', '/api/agent/tasks'],
      ['GET', '/'],
      ['GET', '/metrics'],
      ['POST', '/api/agent/pipeline/resume'],
    ]) {
      const r = await api.call(method, p, { host: `evil.example:${api.port}` });
      expect({ method, p, status: r.status }).toEqual({ method, p, status: 421 });
      expect(r.json().detail).toContain('evil.example');
    }
    expect((await api.call('GET', '/api/agent/tasks', { host: `127.0.0.1.evil.example:${api.port}` })).status).toBe(
      421,
    );
    expect((await api.call('GET', '/api/agent/tasks', { host: 'localhost.evil.example' })).status).toBe(421);
  });

  test('when a POST carries text/plain, a form, or a body without a JSON type, then 415', async () => {
    const cases: [Record<string, string>, string | undefined][] = [
      [{ 'content-type': 'text/plain' }, '{"task_type":"heal","direction":"x"}'],
      [{ 'content-type': 'text/plain;charset=UTF-8' }, undefined],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'a=b'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, undefined],
      [{ 'content-type': 'multipart/form-data; boundary=x' }, '--x--'],
      [{}, '{"task_type":"heal","direction":"x"}'],
    ];
    for (const [headers, body] of cases) {
      for (const p of ['/api/agent/pipeline/stop', '/api/agent/tasks']) {
        const r = await api.call('POST', p, headers, body);
        expect({ p, headers, body, status: r.status }).toEqual({ p, headers, body, status: 415 });
        expect(r.json().detail).toBe('Request body must be application/json');
      }
    }
  });

  test('when the request is curl without Origin, same-origin from the page, or via localhost, then it passes', async () => {
    const same = { origin: `http://127.0.0.1:${api.port}`, 'sec-fetch-site': 'same-origin' };
    for (const headers of [
      {},
      same,
      { ...same, 'content-type': 'application/json' },
      { host: `localhost:${api.port}`, origin: `http://localhost:${api.port}` },
      { host: `[::1]:${api.port}` },
    ]) {
      const r = await api.call('POST', '/api/agent/pipeline/pause', headers);
      expect({ headers, status: r.status }).toEqual({ headers, status: NO_PIPELINE });
    }
    expect(
      (await api.call('POST', '/api/agent/pipeline/pause', { 'content-type': 'application/json; charset=utf-8' }, '{}'))
        .status,
    ).toBe(NO_PIPELINE);
    expect((await api.call('GET', '/api/agent/tasks', { host: `localhost:${api.port}` })).status).toBe(200);
    expect((await api.call('GET', '/', { host: `127.0.0.1:${api.port}` })).status).toBe(200);
  });

  test('when PIPELINE_API_ALLOWED_HOSTS names a proxy, then requests under that name (and its origin) pass, others still do not', async () => {
    const proxied = await serve(
      loadEnvConfig({
        TEMPORAL_ADDRESS: testAddress(),
        PIPELINE_API_ALLOWED_HOSTS: ' Nightshift.Example , other.example:9000',
      }),
      paths,
      temporal,
    );
    try {
      expect((await proxied.call('GET', '/api/agent/tasks', { host: 'nightshift.example' })).status).toBe(200);
      expect(
        (
          await proxied.call('POST', '/api/agent/pipeline/pause', {
            host: 'nightshift.example',
            origin: 'https://nightshift.example',
          })
        ).status,
      ).toBe(NO_PIPELINE);
      expect((await proxied.call('GET', '/api/agent/tasks', { host: 'other.example:9000' })).status).toBe(200);
      expect((await proxied.call('GET', '/api/agent/tasks', { host: 'other.example:9001' })).status).toBe(421);
      expect(
        (
          await proxied.call('POST', '/api/agent/pipeline/pause', {
            host: 'nightshift.example',
            origin: 'https://evil.example',
          })
        ).status,
      ).toBe(403);
      expect((await proxied.call('GET', '/api/agent/tasks', { host: 'evil.example' })).status).toBe(421);
    } finally {
      await proxied.close();
    }
  });
});

describe('auth and methods before bodies; the API as its schema says', () => {
  const project = makeProject(['x']);
  const token = 'edges-token-1';
  const config = loadEnvConfig({ TEMPORAL_ADDRESS: testAddress(), PIPELINE_API_TOKEN: token });
  const paths = projectPaths(config, project.root);
  const temporal = createTemporalClient(config);
  let api: Api;
  beforeAll(async () => (api = await serve(config, paths, temporal)));
  afterAll(async () => {
    await api.close();
    await temporal.close();
  });

  test('when an unauthenticated POST has a malformed or non-JSON body, then 401: the token is checked before the body is read', async () => {
    for (const [p, headers, body] of [
      ['/api/agent/tasks', { 'content-type': 'application/json' }, '{not json'],
      ['/api/agent/tasks/task_0000000000000000/decision', { 'content-type': 'application/json' }, '{bad'],
      ['/api/agent/pipeline/pause', { 'content-type': 'text/plain' }, 'x'],
      [
        '/api/agent/tasks',
        { 'content-type': 'application/json' },
        JSON.stringify({ direction: 'y'.repeat(200_000), task_type: 'impl' }),
      ],
    ] as const) {
      const r = await api.call('POST', p, headers, body);
      expect({ p, status: r.status }).toEqual({ p, status: 401 });
      expect(r.json().detail).toBe('Missing or invalid bearer token');
    }
    const authed = await api.call(
      'POST',
      '/api/agent/tasks',
      { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      '{not json',
    );
    expect(authed.status).toBe(400);
    // and a cross-origin request is refused before the token is even looked at
    expect(
      (
        await api.call('POST', '/api/agent/pipeline/pause', {
          origin: 'http://evil.example',
          authorization: `Bearer ${token}`,
        })
      ).status,
    ).toBe(403);
    // whatever the token: a rebinding Host is refused with it too
    expect(
      (await api.call('GET', '/api/agent/tasks', { host: 'evil.example', authorization: `Bearer ${token}` })).status,
    ).toBe(421);
    expect(
      (await api.call('POST', '/api/agent/pipeline/pause', { host: 'evil.example', authorization: `Bearer ${token}` }))
        .status,
    ).toBe(421);
  });

  test('when a documented path is asked with a method it does not serve, then 405 with Allow, before auth; OPTIONS answers 204 with Allow', async () => {
    for (const [method, p, allow] of [
      ['DELETE', '/api/agent/tasks', 'GET, HEAD, POST'],
      ['PUT', '/api/agent/pipeline/stop', 'POST'],
      ['GET', '/api/agent/pipeline/pause', 'POST'],
      ['PATCH', '/api/agent/tasks/task_0000000000000000', 'GET, HEAD'],
      ['POST', '/api/agent/tasks/count', 'GET, HEAD'],
      ['DELETE', '/api/agent/tasks/task_0000000000000000/decision', 'POST'],
      ['TRACE', '/api/health', 'GET, HEAD'],
      ['DELETE', '/api/agent/tasks/', 'GET, HEAD, POST'],
      ['DELETE', '/API/Agent/Tasks', 'GET, HEAD, POST'],
    ]) {
      const r = await api.call(method, p);
      expect({ method, p, status: r.status, allow: r.headers.allow }).toEqual({ method, p, status: 405, allow });
      if (method !== 'TRACE') expect(r.json().detail).toContain(`Method ${method} not allowed`);
    }
    const options = await api.call('OPTIONS', '/api/agent/tasks');
    expect([options.status, options.headers.allow]).toEqual([204, 'GET, HEAD, POST']);
    expect((await api.call('DELETE', '/api/nope')).status).toBe(404);
  });

  test('when validation meets the edges of what the schema states, then it decides as the schema does', async () => {
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const decide = (decision: string) =>
      api.call('POST', '/api/agent/tasks/task_0000000000000000/decision', auth, JSON.stringify({ decision }));
    // white space only (trim() would leave nothing) is refused, also the characters JSON Schema's \s may not know
    for (const blank of ['\u000b', ' \t\n', '\ufeff', '\u3000\u2028'])
      expect([JSON.stringify(blank), (await decide(blank)).status]).toEqual([JSON.stringify(blank), 422]);
    // characters are counted as JSON Schema counts them (code points): 5000 emoji pass validation (then: no such task)
    expect((await decide('\u{1F600}'.repeat(5000))).status).toBe(404);
    expect((await decide('\u{1F600}'.repeat(5001))).status).toBe(422);
    expect((await decide('\u001c')).status).toBe(404);
    // and the document says the same of each: valid by its schema exactly when the API does not answer 422
    const ajv = new Ajv({ strict: false });
    const decisionSchema = ajv.compile(
      openApiDocument.paths['/api/agent/tasks/{id}/decision'].post.requestBody.content['application/json'].schema,
    );
    for (const sample of [
      '\u000b',
      ' \t\n',
      '\ufeff',
      '\u3000\u2028',
      '',
      'x',
      ' x ',
      '\u001c',
      '\u0085',
      '\u200b',
      '\u{1F600}'.repeat(5000),
      '\u{1F600}'.repeat(5001),
      'y'.repeat(5001),
    ]) {
      const status = (await decide(sample)).status;
      const label = JSON.stringify(sample.slice(0, 8));
      expect([label, decisionSchema({ decision: sample })]).toEqual([label, status !== 422]);
    }
    // a direction is the same kind of text, checked by the same rule
    expect(
      openApiDocument.paths['/api/agent/tasks'].post.requestBody.content['application/json'].schema.properties
        .direction,
    ).toEqual(
      openApiDocument.paths['/api/agent/tasks/{id}/decision'].post.requestBody.content['application/json'].schema
        .properties.decision,
    );
    expect(
      (
        await api.call('GET', `/api/agent/tasks?offset=${Number.MAX_SAFE_INTEGER}`, {
          authorization: `Bearer ${token}`,
        })
      ).status,
    ).toBe(200);
    expect((await api.call('GET', `/api/agent/tasks?offset=${Number.MAX_SAFE_INTEGER + 1}`)).status).toBe(422);
  });

  test('when the log of a task that has not started is asked, then 200 with an empty log; a finished task without one is 404', async () => {
    await seedTask(paths, 'task_00000000000000a1', {
      status: 'pending',
      started_at: null,
      finished_at: null,
      output: null,
      exit_code: null,
    });
    const r = await api.call('GET', '/api/agent/tasks/task_00000000000000a1/log');
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ task_id: 'task_00000000000000a1', log: '', log_bytes: 0, log_offset: 0 });
    await seedTask(paths, 'task_00000000000000f1');
    expect((await api.call('GET', '/api/agent/tasks/task_00000000000000f1/log')).status).toBe(404);
  });
});

describe('responses stay small', () => {
  const project = makeProject(['x']);
  const config = loadEnvConfig({ TEMPORAL_ADDRESS: testAddress() });
  const paths = projectPaths(config, project.root);
  const temporal = createTemporalClient(config);
  let api: Api;
  // 300 kB of log, with multi-byte characters so a cut can fall inside one
  const line = (i: number) => `[agent] step ${i}: héllo wörld — ✓ ${'x'.repeat(40)}\n`;
  const log = Buffer.from(Array.from({ length: 4000 }, (_, i) => line(i)).join(''));
  const id = 'task_0000000000000b16';
  beforeAll(async () => {
    api = await serve(config, paths, temporal);
    await seedTask(paths, id, {}, log);
  });
  afterAll(async () => {
    await api.close();
    await temporal.close();
  });

  test('when a running task has printed a megabyte, then the status carries the last 20 lines of its log', async () => {
    const running = 'task_0000000000000c01';
    const big = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'y'.repeat(40)}`).join('\n') + '\n';
    await seedTask(paths, running, { status: 'running', finished_at: null, output: null, exit_code: null }, big);
    const status = (await api.call('GET', '/api/agent/pipeline-status')).json();
    expect(status.running.map((t: { id: string }) => t.id)).toEqual([running]);
    expect(status.running[0].live_tail).toEqual(
      Array.from({ length: 20 }, (_, i) => `line ${19_980 + i} ${'y'.repeat(40)}`),
    );
  });

  test('when a log is asked with tail_bytes, then only its end comes back, from a character boundary, with the total size', async () => {
    const whole = await api.call('GET', `/api/agent/tasks/${id}/log`);
    expect(whole.json()).toMatchObject({ log: log.toString('utf8'), log_bytes: log.length, log_offset: 0 });
    for (const n of [1, 2, 3, 1000, 4097]) {
      const r = await api.call('GET', `/api/agent/tasks/${id}/log?tail_bytes=${n}`);
      expect(r.status).toBe(200);
      const body = r.json();
      const bytes = Buffer.from(body.log, 'utf8');
      expect(bytes.length).toBeLessThanOrEqual(n);
      expect(bytes.length).toBeGreaterThan(n - 4);
      expect(body.log).not.toContain('\ufffd');
      expect(Buffer.compare(bytes, log.subarray(log.length - bytes.length))).toBe(0);
      expect([body.log_bytes, body.log_offset]).toEqual([log.length, log.length - bytes.length]);
    }
    expect((await api.call('GET', `/api/agent/tasks/${id}/log?tail_bytes=${log.length * 2}`)).json().log_offset).toBe(
      0,
    );
    for (const bad of ['0', '-1', 'abc', '1.5'])
      expect((await api.call('GET', `/api/agent/tasks/${id}/log?tail_bytes=${bad}`)).status).toBe(422);
  });

  test('when a log is asked with a Range, then 206 with exactly those bytes and Content-Range; past the end 416; a Range it cannot serve is ignored', async () => {
    const size = log.length;
    for (const [range, start, end] of [
      ['bytes=0-99', 0, 99],
      ['bytes=100-', 100, size - 1],
      ['bytes=-50', size - 50, size - 1],
      [`bytes=${size - 10}-${size + 1000}`, size - 10, size - 1],
    ] as const) {
      const r = await api.call('GET', `/api/agent/tasks/${id}/log`, { range });
      expect({ range, status: r.status, contentRange: r.headers['content-range'] }).toEqual({
        range,
        status: 206,
        contentRange: `bytes ${start}-${end}/${size}`,
      });
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(Buffer.compare(r.body, log.subarray(start, end + 1))).toBe(0);
    }
    for (const range of [`bytes=${size}-`, 'bytes=-0']) {
      const r = await api.call('GET', `/api/agent/tasks/${id}/log`, { range });
      expect({ range, status: r.status, contentRange: r.headers['content-range'] }).toEqual({
        range,
        status: 416,
        contentRange: `bytes */${size}`,
      });
    }
    for (const range of ['items=0-1', 'bytes=0-1,5-6', 'bytes=9-3']) {
      const r = await api.call('GET', `/api/agent/tasks/${id}/log`, { range });
      expect({ range, status: r.status }).toEqual({ range, status: 200 });
      expect(r.json().log_bytes).toBe(size);
    }
    expect((await api.call('GET', `/api/agent/tasks/${id}/log`)).headers['accept-ranges']).toBe('bytes');
  });

  test('when the client accepts gzip, then JSON comes gzipped (and plain when it does not), small bodies as they are', async () => {
    const zipped = await api.call('GET', `/api/agent/tasks/${id}/log`, { 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/Accept-Encoding/i);
    expect(zipped.body.length).toBeLessThan(log.length / 10);
    expect(zipped.json().log).toBe(log.toString('utf8'));
    for (const enc of [undefined, 'identity', 'gzip;q=0', 'br']) {
      const r = await api.call('GET', `/api/agent/tasks/${id}/log`, enc ? { 'accept-encoding': enc } : {});
      expect({ enc, encoding: r.headers['content-encoding'] }).toEqual({ enc, encoding: undefined });
      expect(r.json().log_bytes).toBe(log.length);
    }
    expect(
      (await api.call('GET', `/api/agent/tasks/${id}/log`, { 'accept-encoding': 'deflate, *;q=0.5' })).headers[
        'content-encoding'
      ],
    ).toBe('gzip');
    // the ETag of the gzipped answer turns a conditional request into 304
    const again = await api.call('GET', `/api/agent/tasks/${id}/log`, {
      'accept-encoding': 'gzip',
      'if-none-match': zipped.headers.etag!,
    });
    expect(again.status).toBe(304);
    const health = await api.call('GET', '/api/health', { 'accept-encoding': 'gzip' });
    expect([health.status, health.headers['content-encoding']]).toEqual([200, undefined]);
  });
});

describe('pipeline-status with long backlog items', () => {
  const long = (n: number) =>
    `Item ${n}: ${'a long and careful description of what to build, '.repeat(200)}the end ${n}.`;
  const ITEMS = [long(1), long(2), long(3), 'A short one'];
  let config: EnvConfig;
  let paths: ProjectPaths;
  let t: TemporalClient;
  let worker: TestWorker;
  let api: Api;
  beforeAll(async () => {
    const project = makeProject(ITEMS, {
      spec: [{ sleepMs: 4000, output: 'spec written' }],
      default: [{ output: 'VERDICT: pass' }],
    });
    config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand, PIPELINE_META_RATIO: '0' });
    paths = projectPaths(config, project.root);
    t = testClient(config);
    worker = await startTestWorker(config);
    api = await serve(config, paths, t);
    await startPipeline(t, config, paths, { once: true });
  });
  afterAll(async () => {
    await api?.close();
    if (t && paths) await endProjectWorkflows(t, paths.projectId);
    await worker?.stop();
    await t?.close();
  });

  test('when the pipeline holds items of 10 kB each, then the status carries excerpts with text_truncated, and the item endpoint the whole text', async () => {
    const status = await waitFor(
      async () => {
        const r = await api.call('GET', '/api/agent/pipeline-status');
        const body = r.json();
        return body.pipeline?.worker === 'ok' && body.pipeline.items.length === ITEMS.length && body.latest_request
          ? body
          : null;
      },
      60_000,
      'the running pipeline with its items and a task',
    );
    const byText = new Map(ITEMS.map((text) => [itemKey(text), text]));
    for (const item of status.pipeline.items as { key: string; text: string; text_truncated: boolean }[]) {
      const whole = byText.get(item.key)!;
      expect(item.text).toBe(whole.slice(0, ITEM_TEXT_EXCERPT_CHARS));
      expect(item.text_truncated).toBe(whole.length > ITEM_TEXT_EXCERPT_CHARS);
      const one = await api.call('GET', `/api/agent/pipeline/items/${item.key}`);
      expect(one.status).toBe(200);
      expect(one.json()).toMatchObject({ key: item.key, text: whole });
      // from the pipeline's query (its state), or from the backlog when the busy worker does not answer in time (null)
      expect(['string', 'null']).toContain(one.json().state === null ? 'null' : typeof one.json().state);
    }
    // the whole texts are 30 kB; the status holds their excerpts, and no text in it is longer than a preview
    expect(JSON.stringify(status).length).toBeLessThan(ITEMS.join('').length / 4);
    const strings = (v: unknown): string[] =>
      typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];
    expect(Math.max(...strings(status).map((x) => x.length))).toBeLessThanOrEqual(2000);
    // the first item's spec task: its direction holds the item's 10 kB
    expect(status.latest_request.direction).toHaveLength(500);
    expect((await api.call('GET', '/api/agent/pipeline/items/nope-0123456789')).status).toBe(404);
    expect((await api.call('GET', '/api/agent/pipeline/items/..%2F..%2Fetc')).status).toBe(404);
  });

  test('when the status is asked with gzip, then both the hot path and Express send the cached gzip', async () => {
    await api.call('GET', '/api/agent/pipeline-status');
    const [hot, viaExpress, plain] = await Promise.all([
      api.call('GET', '/api/agent/pipeline-status', { 'accept-encoding': 'gzip' }),
      api.call('GET', '/api/agent/pipeline-status?via=express', { 'accept-encoding': 'gzip' }),
      api.call('GET', '/api/agent/pipeline-status'),
    ]);
    expect(plain.body.length).toBeGreaterThan(1024);
    for (const r of [hot, viaExpress]) {
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding']).toBe('gzip');
      expect(r.headers.vary).toMatch(/Accept-Encoding/i);
      expect(r.body.length).toBeLessThan(plain.body.length);
    }
    expect(plain.headers['content-encoding']).toBeUndefined();
    // One cached value answered all three (it refreshes at most once a second, so compare the ones with the same ETag).
    if (hot.headers.etag === plain.headers.etag) expect(hot.text).toBe(plain.text);
  });
});
