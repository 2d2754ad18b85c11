import { createServer } from 'node:http';
import Ajv from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp } from '../../src/api/app';
import { openApiDocument } from '../../src/api/openapi';
import { webDir } from '../../src/api/routes/dashboard';
import { loadEnvConfig, projectPaths, type EnvConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { MetricsStore } from '../../src/metrics/store';
import { TaskIndex } from '../../src/tasks/store';
import { createTemporalClient } from '../../src/temporal/connection';
import { makeProject } from '../helpers/project';

/** The API app on an ephemeral loopback port; no Temporal needed (the page and its config never call it). */
async function serve(config: EnvConfig, root: string) {
  const paths = projectPaths(config, root);
  const temporal = createTemporalClient(config);
  const app = createApp({
    config,
    paths,
    temporal,
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
    paths,
    get: async (p: string, headers: Record<string, string> = {}) => {
      const res = await fetch(base + p, { headers, redirect: 'manual' });
      return { status: res.status, headers: res.headers, text: await res.text() };
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await temporal.close();
    },
  };
}

const WEB = webDir();
const webFiles = (): string[] =>
  readdirSync(WEB, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(WEB, path.join(e.parentPath, e.name)));
const SVG_NAMESPACE = 'http://www.w3.org/2000/svg';

/** Every URL the page can load: src/href in the HTML, then each module's static imports, transitively. */
function referencedAssets(html: string, get: (p: string) => string): string[] {
  const found = new Set<string>();
  for (const m of html.matchAll(/\b(?:src|href)="([^"#][^"]*)"/g)) found.add(m[1]);
  const queue = [...found].filter((u) => u.endsWith('.js'));
  while (queue.length) {
    const url = queue.shift()!;
    for (const m of get(url).matchAll(/^\s*import\b[^'"]*['"]([^'"]+)['"]/gm)) {
      const resolved = new URL(m[1], `http://x${url}`).pathname;
      if (!found.has(resolved)) {
        found.add(resolved);
        queue.push(resolved);
      }
    }
  }
  return [...found];
}

describe('dashboard: the page and its assets over HTTP', () => {
  const project = makeProject(['x']);
  const token = 'dashboard-test-token';
  const config = loadEnvConfig({
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    PIPELINE_API_TOKEN: token,
    PIPELINE_API_READ_TOKEN_REQUIRED: '1',
  });
  let app: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => (app = await serve(config, project.root)));
  afterAll(async () => app.close());

  test('when GET / is asked without a token, then it answers the HTML page with a strict Content-Security-Policy', async () => {
    const r = await app.get('/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = r.headers.get('content-security-policy') ?? '';
    const directives = Object.fromEntries(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([k, ...v]) => [k, v]),
    );
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['style-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(csp).not.toMatch(/unsafe-|data:|https?:|\*/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    // no inline code the CSP would have to allow
    expect(r.text).toMatch(/<script type="module" src="\/dashboard\/dashboard\.js"><\/script>/);
    expect(r.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(r.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect((await app.get('/?anything=1')).status).toBe(200);
  });

  test('when every asset the page references is fetched without a token, then nightshift itself serves each with 200 and the right type', async () => {
    const html = (await app.get('/')).text;
    const sources = new Map<string, string>();
    const assets = referencedAssets(html, (u) => sources.get(u) ?? '');
    // fetch breadth-first so imports are read from what the server actually served
    const seen = new Set<string>();
    let pending = assets;
    while (pending.length) {
      for (const url of pending) {
        seen.add(url);
        expect(url).toMatch(/^\/dashboard\/[\w.-]+$/); // same origin, under /dashboard
        const r = await app.get(url);
        expect({ url, status: r.status }).toEqual({ url, status: 200 });
        expect(r.headers.get('content-security-policy')).toBeTruthy();
        const type = r.headers.get('content-type') ?? '';
        if (url.endsWith('.js')) expect(type).toMatch(/^(text|application)\/javascript/);
        if (url.endsWith('.css')) expect(type).toMatch(/^text\/css/);
        if (url.endsWith('.svg')) expect(type).toMatch(/^image\/svg\+xml/);
        sources.set(url, r.text);
      }
      pending = referencedAssets(html, (u) => sources.get(u) ?? '').filter((u) => !seen.has(u));
    }
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        '/dashboard/dashboard.js',
        '/dashboard/dashboard.css',
        '/dashboard/favicon.svg',
        '/dashboard/api.js',
        '/dashboard/dom.js',
        '/dashboard/charts.js',
      ]),
    );
    // everything in web/ is reachable from the page (no dead files), and nothing else is referenced
    expect(
      webFiles()
        .map((f) => `/dashboard/${f}`)
        .filter((f) => !f.endsWith('index.html'))
        .sort(),
    ).toEqual([...seen].sort());
  });

  test('when web/ is searched, then it loads nothing from elsewhere and never parses untrusted text as HTML', () => {
    for (const file of webFiles()) {
      const text = readFileSync(path.join(WEB, file), 'utf8');
      const urls = [...text.matchAll(/\b(?:https?|wss?|ftp):\/\/[^\s'"`)<>]*/g)]
        .map((m) => m[0])
        .filter((u) => u !== SVG_NAMESPACE);
      expect({ file, urls }).toEqual({ file, urls: [] });
      expect({ file, protocolRelative: /(?:src|href|url)\s*[=(]\s*["']?\/\//i.test(text) }).toEqual({
        file,
        protocolRelative: false,
      });
      expect({ file, imports: /@import|fonts\.googleapis|cdn\./i.test(text) }).toEqual({ file, imports: false });
      if (file.endsWith('.js')) {
        expect({
          file,
          htmlSinks: text.match(
            /\.(?:innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(|createContextualFragment|DOMParser/g,
          ),
        }).toEqual({ file, htmlSinks: null });
        expect({ file, storage: /localStorage/.test(text) }).toEqual({ file, storage: false });
      }
    }
  });

  test('when an asset does not exist or the path climbs out of web/, then 404 JSON, and no file outside web/ is served', async () => {
    for (const p of [
      '/dashboard/nope.js',
      '/dashboard/../package.json',
      '/dashboard/%2e%2e/package.json',
      '/dashboard/..%2fpackage.json',
      '/dashboard/',
      '/index.html',
    ]) {
      const r = await app.get(p);
      expect({ p, status: r.status }).toEqual({ p, status: expect.any(Number) });
      expect([403, 404]).toContain(r.status);
      expect(r.text).not.toContain('"devDependencies"');
    }
    expect((await app.get('/dashboard/nope.js')).text).toContain('"detail"');
  });

  test('when /api/dashboard/config is asked, then it needs the read token here and then answers what the page needs, as documented', async () => {
    expect((await app.get('/api/dashboard/config')).status).toBe(401);
    const r = await app.get('/api/dashboard/config', { authorization: `Bearer ${token}` });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    // TEMPORAL_ADDRESS set: a cluster nightshift did not start, so no Web UI URL is known
    expect(body).toEqual({
      project_id: app.paths.projectId,
      namespace: 'default',
      web_ui_url: null,
      token_required_for_mutations: true,
    });
    const doc = openApiDocument as unknown as {
      paths: Record<string, { get: { responses: Record<string, unknown> } }>;
    };
    expect(Object.keys(doc.paths['/api/dashboard/config'].get.responses)).toEqual(
      expect.arrayContaining(['200', '401', '403']),
    );
    const ajv = new Ajv({ strict: false });
    ajv.addSchema({ ...openApiDocument, $id: 'openapi' } as object);
    const validate = ajv.compile({ $ref: 'openapi#/components/schemas/DashboardConfig' });
    expect(validate(body) ? [] : validate.errors).toEqual([]);
  });
});

describe('dashboard config with the embedded server', () => {
  test('when nightshift runs the Temporal dev server itself, then the Web UI URL is its UI port on loopback and no token is needed', async () => {
    const project = makeProject(['x']);
    const app = await serve(
      loadEnvConfig({ NIGHTSHIFT_TEMPORAL_UI_PORT: '18233', TEMPORAL_NAMESPACE: 'night' }),
      project.root,
    );
    try {
      const r = await app.get('/api/dashboard/config');
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text)).toEqual({
        project_id: app.paths.projectId,
        namespace: 'night',
        web_ui_url: 'http://127.0.0.1:18233',
        token_required_for_mutations: false,
      });
    } finally {
      await app.close();
    }
  });

  test('when NIGHTSHIFT_TEMPORAL_UI_URL is set, then it is the Web UI URL even for a remote cluster; a non-http value is refused', async () => {
    const project = makeProject(['x']);
    const app = await serve(
      loadEnvConfig({
        TEMPORAL_ADDRESS: 'temporal:7233',
        NIGHTSHIFT_TEMPORAL_UI_URL: 'https://temporal.example.com/ui/',
      }),
      project.root,
    );
    try {
      expect(JSON.parse((await app.get('/api/dashboard/config')).text).web_ui_url).toBe(
        'https://temporal.example.com/ui',
      );
    } finally {
      await app.close();
    }
    expect(() => loadEnvConfig({ NIGHTSHIFT_TEMPORAL_UI_URL: 'javascript:alert(1)' })).toThrow(
      /NIGHTSHIFT_TEMPORAL_UI_URL.*http\(s\) URL/s,
    );
  });
});
