import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runInProcessGroup } from '../../src/util/process-group';
import { groupMembers, isAlive } from '../helpers/processes';
import { waitFor } from '../helpers/project';

const LIB_PROCESS_GROUP = path.resolve(__dirname, '../../lib/util/process-group.js');

/**
 * A stand-in worker: a real process that runs an agent through runInProcessGroup (as the agent
 * activity does) and prints the agent's pid. The agent starts a grandchild and would write
 * `late.txt` 3 s after it started.
 */
function startFakeWorker(dir: string, opts: { detached?: boolean } = {}) {
  const agent = `
    const { spawn } = require('node:child_process');
    const fs = require('node:fs');
    const g = spawn(process.execPath, ['-e', 'setTimeout(() => require("fs").writeFileSync("grandchild-late.txt", "x"), 3000)'], { stdio: 'ignore' });
    fs.writeFileSync('grandchild.pid', String(g.pid));
    setTimeout(() => fs.writeFileSync('late.txt', 'written after the worker died'), 3000);`;
  const worker = `
    const { runInProcessGroup } = require(${JSON.stringify(LIB_PROCESS_GROUP)});
    runInProcessGroup({ argv: [process.execPath, '-e', ${JSON.stringify(agent)}], cwd: ${JSON.stringify(dir)}, env: process.env, timeoutMs: 60000, onSpawn: (pid) => console.log('agent ' + pid) });
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', worker], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: opts.detached,
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return { child, agentPid: () => Number(/agent (\d+)/.exec(out)?.[1] ?? 0) };
}

function exited(child: ReturnType<typeof spawn>): Promise<unknown> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
}

describe('fault: the worker dies while an agent runs', () => {
  test.each([
    ['the worker process', false],
    ["the worker's whole process group", true],
  ])(
    'when %s is killed -9 one second into the agent, then the agent and its grandchild die with it and the write due at 3 s never happens',
    async (_what, wholeGroup) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-guardian-'));
      const { child, agentPid } = startFakeWorker(dir, { detached: wholeGroup });
      const pid = await waitFor(
        () => agentPid() && existsSync(path.join(dir, 'grandchild.pid')) && agentPid(),
        20_000,
        'the agent to start',
      );
      const grandchild = Number(readFileSync(path.join(dir, 'grandchild.pid'), 'utf8'));
      await new Promise((r) => setTimeout(r, 1000));
      if (wholeGroup) process.kill(-child.pid!, 'SIGKILL');
      else child.kill('SIGKILL');
      await exited(child);
      await waitFor(() => groupMembers(pid).length === 0, 20_000, "the agent's group to die");
      expect(isAlive(pid)).toBe(false);
      expect(isAlive(grandchild)).toBe(false);
      await new Promise((r) => setTimeout(r, 3000)); // past the moment the agent would have written
      expect(existsSync(path.join(dir, 'late.txt'))).toBe(false);
      expect(existsSync(path.join(dir, 'grandchild-late.txt'))).toBe(false);
    },
  );

  test('when the agent exits with a code after writing to stdout and stderr, then the code and both streams come through unchanged', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-guardian-'));
    let output = '';
    const outcome = await runInProcessGroup({
      argv: [
        process.execPath,
        '-e',
        'process.stdout.write("to stdout ünïcödé\\n"); process.stderr.write("to stderr\\n"); process.exit(7)',
        'literal $(not a shell) arg',
      ],
      cwd: dir,
      env: process.env,
      timeoutMs: 30_000,
      onOutput: (c) => (output += c),
    });
    expect(outcome).toMatchObject({ exitCode: 7, signal: null, spawnError: null, timedOut: false });
    expect(output).toContain('to stdout ünïcödé\n');
    expect(output).toContain('to stderr\n');
  });

  test('when the agent kills its own process group, then its signal is reported (the guardian, in a session of its own, is not hit)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-guardian-'));
    const outcome = await runInProcessGroup({
      argv: [process.execPath, '-e', 'console.log("bye"); process.kill(-process.pid, "SIGKILL")'],
      cwd: dir,
      env: process.env,
      timeoutMs: 30_000,
    });
    expect(outcome).toMatchObject({ exitCode: null, signal: 'SIGKILL', spawnError: null });
    // and the guardian still guards the next command
    const { child, agentPid } = startFakeWorker(dir);
    const pid = await waitFor(() => agentPid(), 20_000, 'the agent to start');
    child.kill('SIGKILL');
    await exited(child);
    await waitFor(() => groupMembers(pid).length === 0, 20_000, "the agent's group to die");
    await new Promise((r) => setTimeout(r, 3000));
    expect(existsSync(path.join(dir, 'late.txt'))).toBe(false);
  });

  test('when an agent moves its child into a process group of its own, then that child still dies with the worker (found by its environment)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-guardian-'));
    const agent = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', 'setTimeout(() => require("fs").writeFileSync("escaped-late.txt", "x"), 3000)'], { stdio: 'ignore', detached: true });
      require('fs').writeFileSync('escaped.pid', String(g.pid));
      setTimeout(() => {}, 60000);`;
    const worker = `
      const { runInProcessGroup } = require(${JSON.stringify(LIB_PROCESS_GROUP)});
      runInProcessGroup({ argv: [process.execPath, '-e', ${JSON.stringify(agent)}], cwd: ${JSON.stringify(dir)}, env: process.env, timeoutMs: 60000 });
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', worker], { stdio: 'ignore' });
    const escaped = await waitFor(
      () => existsSync(path.join(dir, 'escaped.pid')) && Number(readFileSync(path.join(dir, 'escaped.pid'), 'utf8')),
      20_000,
      'the escaped child',
    );
    child.kill('SIGKILL');
    await exited(child);
    await waitFor(() => !isAlive(escaped), 20_000, 'the escaped child to die');
    await new Promise((r) => setTimeout(r, 3000));
    expect(existsSync(path.join(dir, 'escaped-late.txt'))).toBe(false);
  });

  test('when the command does not exist, then the spawn error comes back with its code', async () => {
    const outcome = await runInProcessGroup({
      argv: ['/nonexistent/agent-cli'],
      cwd: os.tmpdir(),
      env: process.env,
      timeoutMs: 30_000,
    });
    expect(outcome.spawnError?.code).toBe('ENOENT');
  });
});
