import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/global-setup';
import { NIGHTSHIFT_BIN } from '../helpers/cli';
import { groupMembers, processesWithEnv } from '../helpers/processes';
import { git, waitFor } from '../helpers/project';

const ROOT = path.resolve(__dirname, '../..');

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('npm start (the demo pipeline on the embedded server)', () => {
  test('when started, then it prints the URLs and the demo path, an item passes, the API answers, and Ctrl-C stops every process', async () => {
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    const demoDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'nightshift-npm-start-')), 'demo');
    const tracked = git(ROOT, 'status', '--porcelain', '--untracked-files=no');
    const child = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      detached: true, // its own process group, like a terminal job: Ctrl-C goes to the whole group
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: String(apiPort),
        NIGHTSHIFT_TEMPORAL_PORT: String(temporalPort),
        NIGHTSHIFT_TEMPORAL_UI_PORT: String(uiPort),
        NIGHTSHIFT_DEMO_DIR: demoDir,
        DEMO_AGENT_DELAY_MS: '50',
        TEMPORAL_ADDRESS: '',
        PIPELINE_AGENT: '',
        PIPELINE_AGENT_COMMAND: '',
      },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.once('exit', (code, signal) => r({ code, signal })),
    );
    try {
      await waitFor(() => out.includes('Item passed:'), 120_000, `an item to pass; output so far:\n${out}`);
      expect(out).toContain(`API:          http://127.0.0.1:${apiPort}/api/agent/pipeline-status`);
      expect(out).toMatch(
        new RegExp(`Temporal UI: +http://127\\.0\\.0\\.1:${uiPort}/namespaces/default/workflows/nightshift-demo-`),
      );
      expect(out).toContain(`Project:      ${demoDir}`);
      expect(out).toMatch(/✓ review\s+completed task_[0-9a-f]{16}/);

      const status = await (await fetch(`http://127.0.0.1:${apiPort}/api/agent/pipeline-status`)).json();
      expect(status.pipeline.items_by_state.passed).toBeGreaterThanOrEqual(1);
      expect(status.pipeline.items.length).toBeGreaterThanOrEqual(6); // 5 product + 1 meta demo items
      expect(await portOpen(uiPort)).toBe(true); // the Web UI is served

      process.kill(-child.pid!, 'SIGINT');
      const { code, signal } = await exited;
      expect(out).toContain('Stopped.');
      // nightshift exits 0; npm, like in a terminal, then re-raises the SIGINT it got on itself
      expect(code === 0 || signal === 'SIGINT').toBe(true);
      await waitFor(() => groupMembers(child.pid!).length === 0, 20_000, 'every process of the group to exit');
      expect(await portOpen(temporalPort)).toBe(false);
      expect(await portOpen(apiPort)).toBe(false);
      expect(git(ROOT, 'status', '--porcelain', '--untracked-files=no')).toBe(tracked); // npm start modified no tracked file
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});

/** Free ports and a marker every process started under it inherits (found in /proc even as an orphan). */
async function stage() {
  const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
  const mark = randomUUID();
  const env = {
    ...process.env,
    NIGHTSHIFT_TEST_PROCESS_MARK: mark,
    PORT: String(ports.api),
    NIGHTSHIFT_TEMPORAL_PORT: String(ports.temporal),
    NIGHTSHIFT_TEMPORAL_UI_PORT: String(ports.ui),
    NIGHTSHIFT_DEMO_DIR: path.join(mkdtempSync(path.join(os.tmpdir(), 'nightshift-npm-signal-')), 'demo'),
    NIGHTSHIFT_SKIP_BROWSER_INSTALL: '1',
    TEMPORAL_ADDRESS: '',
    PIPELINE_AGENT: '',
    PIPELINE_AGENT_COMMAND: '',
  };
  const left = () => processesWithEnv('NIGHTSHIFT_TEST_PROCESS_MARK', mark);
  return { ports, env, left };
}

/**
 * Signals only the top process (not its group: an IDE's stop button, a supervisor, `timeout`) and waits until nothing
 * it started is left.
 */
async function signalTopAndExpectAllGone(command: string, args: string[], signal: NodeJS.Signals): Promise<void> {
  const { ports, env, left } = await stage();
  const top = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  top.stdout!.on('data', (d) => (out += d));
  top.stderr!.on('data', (d) => (out += d));
  try {
    await waitFor(
      () => out.includes('Press Ctrl-C to stop.'),
      120_000,
      `${command} ${args.join(' ')} to come up; output so far:\n${out}`,
    );
    // The server, the worker, the API and the top process itself, at least.
    expect(left().length).toBeGreaterThanOrEqual(4);
    process.kill(top.pid!, signal);
    await waitFor(
      () => left().length === 0,
      10_000,
      `every process to stop after ${signal}; left: ${JSON.stringify(left(), null, 1)}\noutput:\n${out.slice(-1500)}`,
    );
    for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
    expect(out).toContain('Stopped.');
  } finally {
    for (const p of left()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

describe('npm start and nightshift up stop when only their top process is signalled', () => {
  // npm forwards SIGTERM and SIGINT to its child; SIGHUP it does not (up notices npm is gone).
  test.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as NodeJS.Signals[])(
    'when only the npm process gets %s, then everything npm start started stops and the ports are free',
    async (signal) => {
      await signalTopAndExpectAllGone('npm', ['start', '--silent'], signal);
    },
  );

  test('when nightshift up cannot start the pipeline (no agent configured), then it exits 1 and leaves nothing running', async () => {
    const { ports, env, left } = await stage();
    const project = mkdtempSync(path.join(os.tmpdir(), 'nightshift-up-noagent-'));
    git(project, 'init', '-q');
    const up = spawn(process.execPath, [NIGHTSHIFT_BIN, 'up', '--project', project], {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    up.stdout!.on('data', (d) => (out += d));
    up.stderr!.on('data', (d) => (out += d));
    try {
      const code = await new Promise((resolve) => up.once('exit', (c) => resolve(c)));
      expect(out).toContain('nightshift: no agent configured: set PIPELINE_AGENT or PIPELINE_AGENT_COMMAND');
      expect(code).toBe(1);
      await waitFor(
        () => left().length === 0,
        10_000,
        `nothing left after the failed start; left: ${JSON.stringify(left(), null, 1)}`,
      );
      for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
    } finally {
      for (const p of left()) process.kill(p.pid, 'SIGKILL');
    }
  });

  test('when nightshift up gets SIGHUP (its terminal closed), then it stops everything it started', async () => {
    await signalTopAndExpectAllGone(process.execPath, [NIGHTSHIFT_BIN, 'up', '--demo'], 'SIGHUP');
  });
});
