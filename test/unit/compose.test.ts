import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import YAML from 'yaml';
import { envSchema } from '../../src/config';

/**
 * No Docker engine runs in CI, so docker-compose.yml, the Dockerfile and .dockerignore are checked
 * structurally: parsed, with compose's `${VAR:-default}` substitution applied as if no variable
 * were set (the defaults a first `docker compose up` gets).
 */

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** Variables the agent CLIs read themselves; the only environment names outside envSchema (docs/DEPLOY.md). */
const AGENT_CREDENTIAL_VARS = ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'OPENAI_API_KEY', 'CURSOR_API_KEY'];

const SERVICES = [
  'postgresql',
  'temporal-admin-tools',
  'temporal',
  'temporal-create-namespace',
  'temporal-ui',
  'nightshift-worker',
  'nightshift-api',
];
const ONE_SHOT_JOBS = ['temporal-admin-tools', 'temporal-create-namespace'];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Dict = Record<string, any>;

/** Compose interpolation: `$$` is a literal `$`; `${V}`, `${V:-d}`, `${V-d}`, `${V:?e}`, `${V?e}`, `$V`. */
function interpolate(text: string, env: Record<string, string | undefined> = {}): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (m, braced, op, arg, bare) => {
      if (m === '$$') return '$';
      const name = braced ?? bare;
      const value = env[name];
      const empty = value === undefined || (op?.startsWith(':') && value === '');
      if (op === ':-' || op === '-') return empty ? arg : value!;
      if (op === ':?' || op === '?') {
        if (empty) throw new Error(`required variable ${name} is not set: ${arg}`);
        return value!;
      }
      return value ?? '';
    },
  );
}

function resolveAll(node: Json): Json {
  if (typeof node === 'string') return interpolate(node);
  if (Array.isArray(node)) return node.map(resolveAll);
  if (node && typeof node === 'object')
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveAll(v)]));
  return node;
}

const composeText = read('docker-compose.yml');
/** As written (anchors and merge keys resolved, `${…}` left alone). */
const raw: Dict = YAML.parse(composeText, { merge: true });
/** With the defaults substituted. */
const compose: Dict = resolveAll(raw) as Dict;
const services: Dict = compose.services ?? {};

function environmentOf(service: string): Record<string, string> {
  const env = services[service]?.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e: string) => [e.split('=')[0], e.includes('=') ? e.slice(e.indexOf('=') + 1) : '']),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function dependsOn(service: string): Record<string, string> {
  const deps = services[service]?.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d: string) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, (v as Dict)?.condition]));
}

interface PortMapping {
  service: string;
  hostIp: string | null;
  published: number;
  target: number;
}

function portsOf(service: string): PortMapping[] {
  return (services[service]?.ports ?? []).map((p: string | number | Dict) => {
    if (typeof p === 'object')
      return { service, hostIp: p.host_ip ?? null, published: Number(p.published), target: Number(p.target) };
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const target = Number(parts[parts.length - 1]);
    const published = parts.length >= 2 ? Number(parts[parts.length - 2]) : NaN;
    const hostIp = parts.length === 3 ? parts[0] : null;
    return { service, hostIp, published, target };
  });
}

/** Compose durations: 1h2m3s, 30s, 1m30s, 500ms. */
function seconds(duration: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  let total = 0;
  let rest = String(duration);
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|us|h|m|s)/.exec(rest);
    if (!m) throw new Error(`not a duration: ${duration}`);
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

function healthcheckTest(service: string): string[] {
  const t = services[service]?.healthcheck?.test;
  if (t === undefined) return [];
  return Array.isArray(t) ? t.map(String) : ['CMD-SHELL', String(t)];
}

/** The JavaScript of a `["CMD", "node", "-e", code]` healthcheck. */
function nodeHealthcheckCode(service: string): string {
  const t = healthcheckTest(service);
  expect(t.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
  return t[3];
}

/** A one-shot job's shell script: `entrypoint: [/bin/sh, -c]` and the script as the command. */
function jobScript(service: string, text: Dict = services): string {
  const s = text[service];
  expect(s.entrypoint).toEqual(['/bin/sh', '-c']);
  return Array.isArray(s.command) ? s.command.join(' ') : String(s.command);
}

describe('docker-compose.yml', () => {
  test('when the file is read, then it starts with a comment that points to docs/DEPLOY.md', () => {
    const header = composeText.split('\n').filter((l) => l.startsWith('#'));
    expect(composeText.startsWith('#')).toBe(true);
    expect(header.join('\n')).toContain('docs/DEPLOY.md');
    expect(existsSync(path.join(root, 'docs', 'DEPLOY.md'))).toBe(true);
  });

  test('when the services are listed, then the Temporal cluster, its jobs, the UI, the worker and the API are all there', () => {
    expect(Object.keys(services).sort()).toEqual([...SERVICES].sort());
  });

  test('when the defaults are substituted, then the images are pinned to the documented versions', () => {
    expect(services.postgresql.image).toBe('postgres:16');
    expect(services['temporal-admin-tools'].image).toBe('temporalio/admin-tools:1.32.0');
    expect(services['temporal-create-namespace'].image).toBe('temporalio/admin-tools:1.32.0');
    expect(services.temporal.image).toBe('temporalio/server:1.32.0');
    expect(services['temporal-ui'].image).toBe('temporalio/ui:2.54.1');
    for (const name of SERVICES.filter((s) => !services[s].build)) {
      expect(String(services[name].image)).toMatch(/^[^:]+:[0-9][^:]*$/); // a version tag, never `latest` or none
    }
  });

  test('when the embedded dev server reports its versions, then compose runs the same Temporal server and UI (same minor version)', () => {
    // The Temporal CLI the suite runs on (the global setup resolved it); it embeds a server and a UI.
    const cli = process.env.NIGHTSHIFT_TEST_TEMPORAL_CLI!;
    const reported = spawnSync(cli, ['--version'], { encoding: 'utf8' }).stdout; // temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)
    const m = /Server (\d+\.\d+)\.\d+, UI (\d+\.\d+)\.\d+/.exec(reported);
    expect(m).not.toBeNull();
    const minor = (image: string) => /:(\d+\.\d+)\./.exec(image)?.[1];
    const why = `docker-compose.yml and docs/DEPLOY.md pin the versions of the embedded dev server (${reported.trim()}): update them together`;
    expect({
      server: minor(services.temporal.image),
      tools: minor(services['temporal-admin-tools'].image),
      ui: minor(services['temporal-ui'].image),
      why,
    }).toEqual({ server: m![1], tools: m![1], ui: m![2], why });
  });

  test('when ports are published, then 7233 is Temporal, 8233 the Web UI, 8000 the API and 9464 the worker metrics, bound to 127.0.0.1 by default', () => {
    const ports = SERVICES.flatMap(portsOf);
    const byPublished = Object.fromEntries(ports.map((p) => [p.published, p]));
    expect(byPublished[7233]).toMatchObject({ service: 'temporal', target: 7233 });
    expect(byPublished[8233]).toMatchObject({ service: 'temporal-ui', target: 8080 });
    expect(byPublished[8000]).toMatchObject({ service: 'nightshift-api', target: 8000 });
    expect(byPublished[9464]).toMatchObject({ service: 'nightshift-worker', target: 9464 });
    expect(ports.map((p) => p.published).sort()).toEqual([7233, 8000, 8233, 9464]);
    for (const p of ports) expect(p.hostIp).toBe('127.0.0.1');
  });

  test('when a service is not a one-shot job, then it has a healthcheck and a restart policy', () => {
    for (const name of SERVICES.filter((s) => !ONE_SHOT_JOBS.includes(s))) {
      const t = healthcheckTest(name);
      expect({ name, test: t[0] }).toEqual({ name, test: expect.stringMatching(/^CMD(-SHELL)?$/) });
      expect(t.length).toBeGreaterThan(1);
      expect(services[name].healthcheck.disable).not.toBe(true);
      expect({ name, restart: services[name].restart }).toEqual({
        name,
        restart: expect.stringMatching(/^(always|unless-stopped|on-failure(:\d+)?)$/),
      });
    }
  });

  test('when a service is a one-shot job, then it restarts only on failure, so that it can complete', () => {
    for (const name of ONE_SHOT_JOBS) {
      expect({ name, restart: services[name].restart }).toEqual({
        name,
        restart: expect.stringMatching(/^(no|on-failure(:\d+)?)$/),
      });
    }
  });

  test('when a service depends on another, then that service exists and the condition can be met', () => {
    const completedJobs = new Set<string>();
    for (const name of SERVICES) {
      for (const [dep, condition] of Object.entries(dependsOn(name))) {
        expect({ name, dep, exists: dep in services }).toEqual({ name, dep, exists: true });
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        if (condition === 'service_healthy')
          expect({ dep, healthcheck: healthcheckTest(dep).length > 1 }).toEqual({ dep, healthcheck: true });
        if (condition === 'service_completed_successfully') completedJobs.add(dep);
      }
    }
    expect([...completedJobs].sort()).toEqual([...ONE_SHOT_JOBS].sort());
  });

  test('when the cluster starts, then the schema job, the server, the namespace job, the worker and the API come up in order', () => {
    expect(dependsOn('temporal-admin-tools')).toEqual({ postgresql: 'service_healthy' });
    expect(dependsOn('temporal')).toEqual({ 'temporal-admin-tools': 'service_completed_successfully' });
    expect(dependsOn('temporal-create-namespace')).toEqual({ temporal: 'service_healthy' });
    expect(dependsOn('temporal-ui')).toEqual({ temporal: 'service_healthy' });
    expect(dependsOn('nightshift-worker')).toEqual({ 'temporal-create-namespace': 'service_completed_successfully' });
    expect(dependsOn('nightshift-api')).toEqual({ 'temporal-create-namespace': 'service_completed_successfully' });
  });

  test('when the Temporal server starts, then it uses PostgreSQL with the same credentials the schema job used', () => {
    const env = environmentOf('temporal');
    expect(env).toMatchObject({
      DB: 'postgres12',
      DB_PORT: '5432',
      POSTGRES_SEEDS: 'postgresql',
      BIND_ON_IP: '0.0.0.0',
    });
    expect(env.POSTGRES_USER).toBe(environmentOf('postgresql').POSTGRES_USER);
    expect(env.POSTGRES_PWD).toBe(environmentOf('postgresql').POSTGRES_PASSWORD);
    expect(environmentOf('temporal-admin-tools').SQL_PASSWORD).toBe(environmentOf('postgresql').POSTGRES_PASSWORD);
    expect(jobScript('temporal-admin-tools')).toMatch(/temporal-sql-tool --plugin postgres12 --ep postgresql/);
    expect(environmentOf('temporal-ui').TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  test('when the namespace job runs, then it creates the namespace the worker uses, with 30-day retention and the three Keyword search attributes', () => {
    const script = jobScript('temporal-create-namespace');
    expect(script).toContain('temporal operator namespace create');
    expect(script).toMatch(/namespace update [^\n]*--retention 30d/);
    expect(script).toMatch(/for attr in NightshiftProject NightshiftItem NightshiftPhase; do/);
    expect(script).toMatch(/search-attribute create [^\n]*--name "\$attr" --type Keyword/);
    for (const attr of ['NightshiftProject', 'NightshiftItem', 'NightshiftPhase']) expect(script).toContain(attr);
    expect(environmentOf('temporal-create-namespace').NAMESPACE).toBe(
      environmentOf('nightshift-worker').TEMPORAL_NAMESPACE,
    );
    expect(environmentOf('nightshift-worker').TEMPORAL_NAMESPACE).toBe('default');
  });

  test('when a job script uses a shell variable, then it is escaped as $$, so compose does not substitute it from the host', () => {
    for (const name of ONE_SHOT_JOBS) {
      const written = jobScript(name, raw.services);
      const unescaped = written.replace(/\$\$/g, '');
      expect({ name, stray: unescaped.match(/\$[{A-Za-z_(]/g) }).toEqual({ name, stray: null });
    }
  });

  test('when a job script is parsed by sh, then it has no syntax error', () => {
    for (const name of ONE_SHOT_JOBS) {
      const r = spawnSync('sh', ['-n', '-c', jobScript(name)], { encoding: 'utf8' });
      expect({ name, status: r.status, stderr: r.stderr }).toEqual({ name, status: 0, stderr: '' });
    }
  });

  test('when the worker and the API are built, then both build the project Dockerfile from . with an init process', () => {
    for (const name of ['nightshift-worker', 'nightshift-api']) {
      const build = services[name].build;
      expect({ name, context: typeof build === 'string' ? build : build?.context }).toEqual({ name, context: '.' });
      expect({ name, init: services[name].init }).toEqual({ name, init: true });
    }
  });

  test('when the worker is stopped, then compose waits longer than the worker shutdownGraceTime before killing it', () => {
    const grace = /shutdownGraceTime:\s*'(\d+)s'/.exec(read('src/worker/run.ts'));
    expect(grace).not.toBeNull();
    expect(seconds(services['nightshift-worker'].stop_grace_period)).toBeGreaterThan(Number(grace![1]));
  });

  test('when the worker and the API get their environment, then every name is a config schema key or an allowed agent credential', () => {
    const known = new Set([...Object.keys(envSchema.shape), ...AGENT_CREDENTIAL_VARS]);
    for (const name of ['nightshift-worker', 'nightshift-api']) {
      const unknown = Object.keys(environmentOf(name)).filter((k) => !known.has(k));
      expect({ name, unknown }).toEqual({ name, unknown: [] });
    }
  });

  test('when the defaults are substituted, then the worker and API environments pass the config schema', () => {
    for (const name of ['nightshift-worker', 'nightshift-api']) {
      const env = Object.fromEntries(
        Object.entries(environmentOf(name)).filter(([k]) => !AGENT_CREDENTIAL_VARS.includes(k)),
      );
      const parsed = envSchema.safeParse(env);
      expect({
        name,
        issues: parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      }).toEqual({ name, issues: [] });
    }
  });

  test('when the worker and the API connect, then they use the temporal service on 7233 and the same namespace and task queue', () => {
    const worker = environmentOf('nightshift-worker');
    const api = environmentOf('nightshift-api');
    expect(worker.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(api.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(api.TEMPORAL_NAMESPACE).toBe(worker.TEMPORAL_NAMESPACE);
    expect(api.TEMPORAL_TASK_QUEUE).toBe(worker.TEMPORAL_TASK_QUEUE);
    expect(worker.TEMPORAL_TASK_QUEUE).toBe('nightshift');
  });

  test('when the API listens, then it binds 0.0.0.0 on port 8000, and the token is given to it and not to the worker', () => {
    const api = environmentOf('nightshift-api');
    expect(api.NIGHTSHIFT_API_HOST).toBe('0.0.0.0');
    expect(api.PORT).toBe('8000');
    expect(services['nightshift-api'].command).toEqual(expect.arrayContaining(['api', '--host', '0.0.0.0']));
    expect(api).toHaveProperty('PIPELINE_API_TOKEN');
    expect(environmentOf('nightshift-worker')).not.toHaveProperty('PIPELINE_API_TOKEN');
  });

  test('when agent credentials are passed, then only the worker (which runs the agents) gets them', () => {
    const worker = environmentOf('nightshift-worker');
    const api = environmentOf('nightshift-api');
    for (const v of AGENT_CREDENTIAL_VARS) {
      expect(worker).toHaveProperty(v);
      expect(api).not.toHaveProperty(v);
    }
  });

  test('when the worker and the API start, then both run bin/nightshift.js for the same project under the shared /repos mount', () => {
    const worker: string[] = services['nightshift-worker'].command;
    const api: string[] = services['nightshift-api'].command;
    expect(worker.slice(0, 3)).toEqual(['node', 'bin/nightshift.js', 'worker']);
    expect(api.slice(0, 3)).toEqual(['node', 'bin/nightshift.js', 'api']);
    const project = (cmd: string[]) => cmd[cmd.indexOf('--project') + 1];
    expect(project(worker)).toBe('/repos/project');
    expect(project(api)).toBe(project(worker));
    const reposMount = (name: string) => (services[name].volumes as string[]).find((v) => v.split(':')[1] === '/repos');
    expect(reposMount('nightshift-worker')).toBe('./repos:/repos');
    expect(reposMount('nightshift-api')).toBe(reposMount('nightshift-worker'));
  });

  test('when a service mounts a named volume, then the volume is declared', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const named: string[] = [];
    for (const name of SERVICES) {
      for (const v of services[name].volumes ?? []) {
        const source =
          typeof v === 'string'
            ? v.split(':').length > 1
              ? v.split(':')[0]
              : null
            : v.type === 'volume'
              ? v.source
              : null;
        if (source && !/^[./~]/.test(source)) named.push(source);
      }
    }
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((n) => !declared.includes(n))).toEqual([]);
    expect(named).toEqual(expect.arrayContaining(['postgres-data', 'agent-home']));
  });

  test('when the API healthcheck runs, then it GETs /api/health on the API port with node fetch', () => {
    const code = nodeHealthcheckCode('nightshift-api');
    expect(() => new vm.Script(code)).not.toThrow();
    expect(code).toContain(`http://127.0.0.1:${environmentOf('nightshift-api').PORT}/api/health`);
    expect(code).toMatch(/fetch\(/);
  });

  (existsSync('/proc/self/cmdline') ? test : test.skip)(
    'when the worker healthcheck runs beside a worker process, then it reports healthy',
    async () => {
      const code = nodeHealthcheckCode('nightshift-worker');
      expect(() => new vm.Script(code)).not.toThrow();
      // A stand-in whose argv looks like the worker's: node … bin/nightshift.js worker --project …
      const fake = spawn(
        process.execPath,
        ['-e', 'setTimeout(() => {}, 60000)', 'bin/nightshift.js', 'worker', '--project', '/repos/project'],
        { stdio: 'ignore' },
      );
      try {
        await new Promise((r) => setTimeout(r, 200));
        const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 10_000 });
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      } finally {
        fake.kill('SIGKILL');
      }
    },
  );
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  /** Instructions with line continuations joined and comments dropped. */
  const instructions = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const globalArgs = Object.fromEntries(
    instructions
      .slice(
        0,
        instructions.findIndex((l) => /^FROM\s/i.test(l)),
      )
      .map((l) => /^ARG\s+(\w+)=(\S+)/i.exec(l))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => [m[1], m[2]]),
  );
  const stages: { from: string; name: string | null; lines: string[] }[] = [];
  for (const l of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(l);
    if (from) stages.push({ from: interpolate(from[1], globalArgs), name: from[2] ?? null, lines: [] });
    else stages[stages.length - 1]?.lines.push(l);
  }
  const final = stages[stages.length - 1];

  test('when it is built, then it has a build stage and a runtime stage, both on node:20-bookworm-slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.from).toBe('node:20-bookworm-slim');
    expect(stages[0].name).toBe('build');
  });

  test('when the build stage runs, then it installs all dependencies and compiles with tsc', () => {
    const build = stages[0].lines.join('\n');
    expect(build).toMatch(/^COPY package\.json package-lock\.json/m);
    expect(build).toMatch(/^RUN npm ci\b(?!.*--omit=dev)/m); // exactly the lock file
    expect(build).toMatch(/^RUN npx tsc -p tsconfig\.json/m);
  });

  test('when the runtime stage is assembled, then it has production dependencies only, lib/ from the build stage, and bin/', () => {
    const runtime = final.lines.join('\n');
    expect(runtime).toMatch(/^RUN npm ci --omit=dev/m);
    expect(runtime).toMatch(/^COPY --from=build \/app\/lib \.\/lib$/m);
    expect(runtime).toMatch(/^COPY bin \.\/bin$/m);
    expect(runtime).toMatch(/^WORKDIR \/app$/m);
  });

  test('when the image runs, then git is installed and the process is not root', () => {
    expect(final.lines.join('\n')).toMatch(/apt-get install[^\n]*\bgit\b/);
    const users = final.lines.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0', '0:0']).not.toContain(users[users.length - 1]);
  });

  test('when no command is given, then the image starts a worker', () => {
    const cmd = final.lines.filter((l) => /^CMD\s/i.test(l)).pop();
    expect(JSON.parse(cmd!.replace(/^CMD\s+/i, ''))).toEqual(['node', 'bin/nightshift.js', 'worker']);
  });

  test('when the build context is sent, then dependencies, build output, state, git data and secrets are left out', () => {
    const ignored = read('.dockerignore')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(
      expect.arrayContaining(['node_modules', 'lib', '.nightshift', '.tools', '.git', '.test-output', 'repos', '.env']),
    );
  });
});

describe('docs/DEPLOY.md', () => {
  test('when it describes the deployment, then it names every service and every allowed agent credential variable', () => {
    const doc = read('docs/DEPLOY.md');
    for (const s of SERVICES) expect({ s, named: doc.includes(`\`${s}\``) }).toEqual({ s, named: true });
    for (const v of AGENT_CREDENTIAL_VARS) expect({ v, named: doc.includes(`\`${v}\``) }).toEqual({ v, named: true });
  });
});
