import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitCommandError, gitAt, gitFailure } from '../../src/git/repo';
import { runInProcessGroup } from '../../src/util/process-group';
import { SpawnHelperGoneError, Spawner, commandSpawner, spawnHelperScript } from '../../src/util/spawner';
import { packageRoot } from '../../src/util/package-root';
import { waitFor } from '../helpers/project';
import { isAlive } from '../helpers/processes';

/** Commands (git) start from a small helper process, not from the worker (issue 17: a fork of the worker is costly). */

const node = process.execPath;
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'nightshift-spawner-'));
/** A command that writes its pid (and its parent's) to `file`, then does what `then` says. */
const pidsTo = (file: string, then: string) => [
  node,
  '-e',
  `require("fs").writeFileSync(${JSON.stringify(file)}, process.pid + " " + process.ppid); ${then}`,
];
const pathOnly = { PATH: process.env.PATH };
const readPids = (file: string) => readFileSync(file, 'utf8').split(' ').map(Number);

describe('spawn helper', () => {
  beforeAll(() => {
    // npm test builds lib/ first (scripts/setup.js); the helper runs from there.
    expect(existsSync(spawnHelperScript())).toBe(true);
  });

  test('when a command runs through the spawner, then its parent is the helper, not this process, and its output and exit code come back', async () => {
    const spawner = new Spawner();
    const env = { PATH: process.env.PATH, NIGHTSHIFT_SPAWNER_MARK: 'seen' };
    const file = path.join(tmp(), 'pids');
    const r = await spawner.run(
      pidsTo(file, 'console.log(process.env.NIGHTSHIFT_SPAWNER_MARK); console.error("to stderr"); process.exit(3)'),
      os.tmpdir(),
      10_000,
      env,
    );
    expect(r).toEqual({ code: 3, signal: null, stdout: 'seen\n', stderr: 'to stderr\n', stalled: false });
    const [, ppid] = readPids(file);
    expect(spawner.pid()).not.toBeNull();
    expect(ppid).toBe(spawner.pid());
    expect(ppid).not.toBe(process.pid);
  });

  test('when a command prints nothing for the stall limit, then it is killed with its whole process group and reported stalled', async () => {
    const spawner = new Spawner();
    const dir = tmp();
    const file = path.join(dir, 'pids');
    const grandchild = path.join(dir, 'grandchild');
    // the command starts a child of its own that would hold the pipes open, as a hook's background job does
    const script = `const c = require("child_process").spawn(${JSON.stringify(node)}, ["-e", "setInterval(() => {}, 1000)"], { stdio: "inherit" }); require("fs").writeFileSync(${JSON.stringify(grandchild)}, String(c.pid)); setInterval(() => {}, 1000)`;
    const r = await spawner.run(pidsTo(file, script), dir, 1500, pathOnly);
    expect(r.stalled).toBe(true);
    const [pid] = readPids(file);
    const child = Number(readFileSync(grandchild, 'utf8'));
    await waitFor(() => !isAlive(pid) && !isAlive(child), 10_000, 'the stalled command and its child to be gone');
  });

  test('when the helper is killed while a command runs, then that call fails as SpawnHelperGoneError and the next call starts a new helper', async () => {
    const spawner = new Spawner();
    await spawner.run([node, '-e', ''], os.tmpdir(), 10_000, pathOnly);
    const first = spawner.pid()!;
    const running = spawner.run([node, '-e', 'setTimeout(() => {}, 20000)'], os.tmpdir(), 30_000, pathOnly);
    process.kill(first, 'SIGKILL');
    await expect(running).rejects.toBeInstanceOf(SpawnHelperGoneError);
    const r = await spawner.run([node, '-e', 'console.log("again")'], os.tmpdir(), 10_000, pathOnly);
    expect(r.stdout).toBe('again\n');
    expect(spawner.pid()).not.toBe(first);
  });

  test('when the process that started the helper is SIGKILLed with a command running, then the helper kills that command and exits', async () => {
    const dir = tmp();
    const file = path.join(dir, 'pids');
    const starter = [
      `const { Spawner } = require(${JSON.stringify(path.join(packageRoot(), 'lib', 'util', 'spawner.js'))});`,
      `const s = new Spawner();`,
      `s.run(${JSON.stringify(pidsTo(file, 'setInterval(() => {}, 1000)'))}, ${JSON.stringify(dir)}, 60000, { PATH: process.env.PATH });`,
      `setInterval(() => {}, 1000);`,
    ].join('\n');
    const worker = spawn(node, ['-e', starter], { stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').includes(' '), 20_000, 'the command to start');
      const [command, helper] = readPids(file);
      expect(isAlive(command)).toBe(true);
      worker.kill('SIGKILL');
      await waitFor(() => !isAlive(helper) && !isAlive(command), 10_000, 'the helper and its command to be gone');
    } finally {
      worker.kill('SIGKILL');
    }
  });

  test('when the helper is idle, then it does not keep the process that started it alive', async () => {
    const starter = [
      `const { Spawner } = require(${JSON.stringify(path.join(packageRoot(), 'lib', 'util', 'spawner.js'))});`,
      `const s = new Spawner();`,
      `s.run([process.execPath, '-e', 'console.log(1)'], process.cwd(), 10000, { PATH: process.env.PATH }).then((r) => console.log('ran', r.stdout.trim(), s.pid()));`,
    ].join('\n');
    const child = spawn(node, ['-e', starter], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    const [, ran, helperPid] = out.trim().split(' ');
    expect(ran).toBe('1');
    // the helper sees its stdin close and exits too
    await waitFor(() => !isAlive(Number(helperPid)), 10_000, 'the idle helper to exit with its starter');
  });

  test('when git fails, runs in a missing directory, or stalls, then the error says so', async () => {
    const dir = tmp();
    await expect(gitAt(dir).raw(['rev-parse', 'HEAD'])).rejects.toThrow(/not a git repository/);
    const err = await gitAt(path.join(dir, 'gone'))
      .raw(['status'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitCommandError);
    expect(gitFailure(err)).toBe(`no such directory: ${path.join(dir, 'gone')}`);
    expect(gitFailure(new GitCommandError('x', null, true))).toBe('git printed nothing for 30 s and was stopped');
  });

  test('when an agent runs through runInProcessGroup, then the helper forks it, its stdin text arrives, and its output streams back as it comes', async () => {
    const dir = tmp();
    const file = path.join(dir, 'pids');
    const chunks: string[] = [];
    let spawnedPid = 0;
    const outcome = await runInProcessGroup({
      argv: pidsTo(
        file,
        'let s = ""; process.stdin.on("data", (d) => (s += d)); process.stdin.on("end", () => { console.log("got " + s); console.error("é on stderr"); setTimeout(() => process.exit(4), 100); });',
      ),
      cwd: dir,
      env: pathOnly,
      timeoutMs: 20_000,
      stdinText: 'the whole direction',
      onSpawn: (pid) => (spawnedPid = pid),
      onOutput: (chunk, stream) => chunks.push(`${stream}:${chunk}`),
    });
    expect(outcome).toMatchObject({ exitCode: 4, signal: null, spawnError: null, timedOut: false, aborted: false });
    expect(chunks).toEqual(expect.arrayContaining(['stdout:got the whole direction\n', 'stderr:é on stderr\n']));
    const [pid, ppid] = readPids(file);
    expect(pid).toBe(spawnedPid);
    expect(ppid).toBe(commandSpawner.pid());
    expect(ppid).not.toBe(process.pid);
    const missing = await runInProcessGroup({
      argv: ['/nonexistent/agent-cli'],
      cwd: dir,
      env: pathOnly,
      timeoutMs: 5_000,
    });
    expect(missing.spawnError?.code).toBe('ENOENT');
  });

  test('when the helper is killed while an agent runs, then the run rejects as SpawnHelperGoneError and the agent group is killed', async () => {
    const dir = tmp();
    const file = path.join(dir, 'pids');
    const run = runInProcessGroup({
      argv: pidsTo(file, 'setInterval(() => {}, 1000)'),
      cwd: dir,
      env: pathOnly,
      timeoutMs: 60_000,
    });
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').includes(' '), 20_000, 'the agent to start');
    const [agent, helper] = readPids(file);
    process.kill(helper, 'SIGKILL');
    await expect(run).rejects.toBeInstanceOf(SpawnHelperGoneError);
    await waitFor(() => !isAlive(agent), 10_000, 'the agent to be killed with its group');
  });
});
