import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { readRefusal } from '../../src/api/auth';
import { JsonEncodings } from '../../src/api/encoded-json';
import { hotReads, type HotReadDeps } from '../../src/api/hot-reads';
import { hostRefusal } from '../../src/api/request-guard';
import { gunzipSync } from 'node:zlib';
import type { MetricsAggregates } from '../../src/metrics/aggregate';
import { MetricsStore } from '../../src/metrics/store';
import type { PipelineStatusResponse } from '../../src/read-model/pipeline-status';
import { TtlCache } from '../../src/util/ttl-cache';

/**
 * The hot path in front of a stand-in for Express, over real HTTP: whatever the hot path leaves (or hands back) is
 * answered 599 "express", so each case shows which side answered.
 */
async function serve(deps: HotReadDeps) {
  const hot = hotReads(deps);
  const toExpress = (res: http.ServerResponse) => res.writeHead(599).end('express');
  const server = http.createServer((req, res) => {
    if (!hot(req, res, () => toExpress(res))) toExpress(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('hot reads (pipeline-status and metrics before Express)', () => {
  let dir: string;
  let clock: number;
  let store: MetricsStore;
  let cache: TtlCache<PipelineStatusResponse>;
  const status = { pipeline: { state: 'running' }, running: [] } as unknown as PipelineStatusResponse;
  const compute = jest.fn(async () => status);
  const statusBodies = new JsonEncodings<PipelineStatusResponse>();
  const metricsBodies = new JsonEncodings<MetricsAggregates>();
  let server: Awaited<ReturnType<typeof serve>>;
  const deps = (over: Partial<HotReadDeps> = {}): HotReadDeps => ({
    status: { cache, compute, bodies: statusBodies },
    metrics: { store, bodies: metricsBodies },
    readRefusal: readRefusal({ token: undefined, host: '127.0.0.1', required: false }),
    hostRefusal: hostRefusal({ bindHost: '127.0.0.1', allowedHosts: [] }),
    ...over,
  });

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-hot-'));
    const file = path.join(dir, 'metrics.jsonl');
    const at = new Date(Date.now() - 3_600_000).toISOString();
    fs.writeFileSync(
      file,
      ['completed', 'failed', 'completed']
        .map(
          (s, i) =>
            JSON.stringify({
              task_id: `t${i}`,
              task_type: 'impl',
              model: 'm',
              duration_seconds: 10 + i,
              status: s,
              created_at: at,
            }) + '\n',
        )
        .join(''),
    );
    store = new MetricsStore(file);
    clock = 10_000;
    cache = new TtlCache<PipelineStatusResponse>({ ttlMs: 1000, staleMs: 3000, now: () => clock });
    compute.mockClear();
    server = await serve(deps());
  });
  afterEach(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('when a status is cached, then it is answered with its encoded body, ETag, Age and JSON type', async () => {
    await cache.get(compute);
    clock += 2500; // stale but servable: answered at once, one refresh started
    const r = await fetch(`${server.base}/api/agent/pipeline-status`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(r.headers.get('age')).toBe('2');
    expect(r.headers.get('etag')).toBe(statusBodies.encode(status).etag);
    expect(await r.json()).toEqual(status);
    expect(compute).toHaveBeenCalledTimes(2);
  });

  test('when no status can be served without waiting, then Express answers (it waits for the refresh)', async () => {
    expect((await fetch(`${server.base}/api/agent/pipeline-status`)).status).toBe(599);
    await cache.get(compute);
    clock += 3000;
    expect((await fetch(`${server.base}/api/agent/pipeline-status`)).status).toBe(599);
  });

  test('when metrics are asked plainly or with a window in range, then they are answered from the store', async () => {
    for (const [query, days] of [
      ['', 7],
      ['?window_days=30', 30],
      ['?window_days=3650', 3650],
    ] as const) {
      const r = await fetch(`${server.base}/api/agent/metrics${query}`);
      expect(r.status).toBe(200);
      const expected = await store.aggregates(days);
      expect(await r.json()).toEqual(expected);
      expect(r.headers.get('etag')).toBe(metricsBodies.encode(expected).etag);
      expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    }
    expect((await (await fetch(`${server.base}/api/agent/metrics`)).json()).success_rate).toMatchObject({
      completed: 2,
      failed: 1,
    });
  });

  test('when a request is not the plain case, then Express answers it', async () => {
    await cache.get(compute);
    const cases: Array<[string, RequestInit?]> = [
      ['/api/agent/metrics?window_days=0'],
      ['/api/agent/metrics?window_days=3651'],
      ['/api/agent/metrics?window_days=x'],
      ['/api/agent/metrics?window_days=7&extra=1'],
      ['/api/agent/metrics/breakdown'],
      ['/api/agent/pipeline-status?x=1'],
      ['/api/agent/pipeline-status/'],
      ['/api/agent/pipeline-status', { method: 'HEAD' }],
      ['/api/agent/pipeline-status', { method: 'POST' }],
      ['/api/agent/pipeline-status', { headers: { 'if-none-match': statusBodies.encode(status).etag } }],
      ['/api/agent/metrics', { headers: { 'if-modified-since': new Date().toUTCString() } }],
    ];
    for (const [p, init] of cases)
      expect([p, init?.method, (await fetch(server.base + p, init)).status]).toEqual([p, init?.method, 599]);
  });

  test('when reads need a token, then only a request carrying it is answered here', async () => {
    await server.close();
    server = await serve(deps({ readRefusal: readRefusal({ token: 's3cret', host: '0.0.0.0', required: false }) }));
    await cache.get(compute);
    for (const p of ['/api/agent/pipeline-status', '/api/agent/metrics']) {
      expect((await fetch(server.base + p)).status).toBe(599);
      expect((await fetch(server.base + p, { headers: { authorization: 'Bearer wrong' } })).status).toBe(599);
      expect((await fetch(server.base + p, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    }
  });

  test('when the Host names another site (DNS rebinding), then the request is left to Express (which answers 421)', async () => {
    await cache.get(compute);
    const port = new URL(server.base).port;
    for (const p of ['/api/agent/pipeline-status', '/api/agent/metrics']) {
      for (const host of [`evil.example:${port}`, 'localhost.evil.example', `127.0.0.1.nip.io:${port}`]) {
        const status = await new Promise<number>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port, path: p, headers: { host }, agent: false }, (res) =>
              resolve(res.resume().statusCode!),
            )
            .on('error', reject);
        });
        expect({ p, host, status }).toEqual({ p, host, status: 599 });
      }
      expect((await fetch(server.base + p)).status).toBe(200);
    }
  });

  test('when the client accepts gzip and the cached body is large, then the body gzipped once is sent, with the same ETag', async () => {
    const big = {
      ...status,
      running: Array.from({ length: 50 }, (_, i) => ({ id: `task_${i}`, direction: 'a long direction '.repeat(10) })),
    } as unknown as PipelineStatusResponse;
    await cache.get(async () => big);
    const get = (encoding?: string) =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        http
          .get(
            `${server.base}/api/agent/pipeline-status`,
            { headers: encoding ? { 'accept-encoding': encoding } : {}, agent: false },
            (res) => {
              const chunks: Buffer[] = [];
              res
                .on('data', (c: Buffer) => chunks.push(c))
                .on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
            },
          )
          .on('error', reject);
      });
    const [zipped, plain] = [await get('gzip, deflate'), await get()];
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 3);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers.etag).toBe(plain.headers.etag);
    expect(statusBodies.encode(big).gzipped()).toBe(statusBodies.encode(big).gzipped()); // made once
  });

  test('when the metrics store fails, then the request is handed to Express before anything is written', async () => {
    await server.close();
    const failing = { aggregates: () => Promise.reject(new Error('disk gone')) } as unknown as MetricsStore;
    server = await serve(deps({ metrics: { store: failing, bodies: metricsBodies } }));
    const r = await fetch(`${server.base}/api/agent/metrics`);
    expect([r.status, await r.text()]).toEqual([599, 'express']);
  });
});
