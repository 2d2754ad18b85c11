import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/api/app';
import { openApiDocument } from '../../src/api/openapi';
import { projectPaths, type EnvConfig, type ProjectPaths } from '../../src/config';
import { createLogger } from '../../src/logger';
import { MetricsStore } from '../../src/metrics/store';
import { TaskIndex } from '../../src/tasks/store';
import type { TemporalClient } from '../../src/temporal/connection';
import { makeProject, type TempProject } from '../helpers/project';
import { endProjectWorkflows, startTestWorker, testClient, testConfig, type TestWorker } from '../helpers/temporal';

/**
 * Schemathesis (PyPI; scripts/setup.js installs the pinned version into .tools/schemathesis when tests run)
 * against the real API in its default mode (loopback, no token), with a real worker running the ad-hoc tasks
 * it creates: every check, a fixed seed and a fixed number of examples per operation, so a run is repeatable and
 * any finding fails the suite.
 */
const ST = path.resolve(__dirname, '../../.tools/schemathesis/bin/st');
const SEED = '20261207';
const MAX_EXAMPLES = '50';

const haveSchemathesis = existsSync(ST);
if (!haveSchemathesis && process.env.npm_lifecycle_event === 'test') {
  throw new Error(`${ST} missing: scripts/setup.js installs it when the tests run (python3 with venv needed)`);
}
if (!haveSchemathesis)
  console.warn(
    `Skipping the schemathesis run: ${ST} not found (run \`npm test\`, or \`npm run setup\` with npm_lifecycle_event=test, to install it).`,
  );
const describeWithSchemathesis = haveSchemathesis ? describe : describe.skip;

/**
 * Runs `st` in a fresh directory of its own: schemathesis keeps a cache of earlier failures (`.schemathesis/`) in its
 * working directory and replays them first, so each run starts from nothing and leaves nothing in the repository.
 */
function runSchemathesis(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'nightshift-schemathesis-run-'));
  return new Promise((resolve, reject) => {
    const child = spawn(ST, args, {
      cwd,
      env: {
        ...process.env,
        NO_COLOR: '1',
        SCHEMATHESIS_TELEMETRY: 'false',
        HYPOTHESIS_STORAGE_DIRECTORY: path.join(cwd, '.hypothesis'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`schemathesis did not finish in ${timeoutMs} ms\n${output}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describeWithSchemathesis('the API as its OpenAPI document says (schemathesis, --checks all)', () => {
  let project: TempProject;
  let config: EnvConfig;
  let paths: ProjectPaths;
  let t: TemporalClient;
  let worker: TestWorker;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    project = makeProject(['Keep the API honest'], { default: [{ output: 'ok: done' }] });
    config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand, PIPELINE_META_RATIO: '0' });
    paths = projectPaths(config, project.root);
    t = testClient(config);
    worker = await startTestWorker(config);
    const app = createApp({
      config,
      paths,
      temporal: t,
      metrics: new MetricsStore(paths.metricsFile),
      tasks: new TaskIndex(paths.stateDir),
      logger: createLogger('test', 'error'),
      host: '127.0.0.1',
    });
    server = createServer(app.listener).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(null)));
    if (t && paths) await endProjectWorkflows(t, paths.projectId);
    await worker?.stop();
    await t?.close();
  });

  test('when schemathesis runs every check against every operation, then it finds nothing', async () => {
    const reportDir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-schemathesis-'));
    const junit = path.join(reportDir, 'junit.xml');
    const r = await runSchemathesis(
      [
        'run',
        `${base}/api/openapi.json`,
        '--checks',
        'all',
        '--seed',
        SEED,
        '--max-examples',
        MAX_EXAMPLES,
        '--workers',
        '1',
        '--request-timeout',
        '10',
        '--report',
        'junit',
        '--report-junit-path',
        junit,
      ],
      240_000,
    );
    if (r.code !== 0) throw new Error(`schemathesis exited ${r.code}:\n${r.output.slice(-20_000)}`);
    // A run that tested nothing would pass too: it must have exercised every documented operation.
    // (Schemathesis leaves out the operation that serves the schema itself.)
    const documented = Object.entries(openApiDocument.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const tested = [...readFileSync(junit, 'utf8').matchAll(/<testcase\b[^>]*\bname="([^"]+)"/g)].map((m) => m[1]);
    expect(documented.filter((op) => !tested.includes(op))).toEqual(['GET /api/openapi.json']);
    expect(tested).toContain('Stateful tests');
  }, 300_000);
});
