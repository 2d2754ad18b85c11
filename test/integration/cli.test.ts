import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeProject, waitFor } from '../helpers/project';
import { NIGHTSHIFT_BIN, runCli, spawnCli } from '../helpers/cli';
import { startTestWorker, testAddress, testConfig, type TestWorker } from '../helpers/temporal';

const UNREACHABLE = '127.0.0.1:1';

describe('nightshift CLI: usage and errors', () => {
  test('when the command is unknown or a flag is bad, then usage goes to stderr and the exit code is 2', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const badFlag = await runCli(['tasks', '--limit', 'many']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--limit');
    const badChoice = await runCli(['tasks', '--status', 'sleeping']);
    expect(badChoice.code).toBe(2);
  });

  test('when asked for help, then every contract command is listed and the exit code is 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const c of [
      'up',
      'server',
      'worker',
      'api',
      'start',
      'stop',
      'pause',
      'resume',
      'status',
      'metrics',
      'tasks',
      'logs',
      'backlog',
      'doctor',
    ])
      expect(help.stdout).toMatch(new RegExp(`\\n  ${c}\\b`));
    expect((await runCli(['start', '--help'])).stdout).toContain('--max-items');
  });

  test('when a worker cannot reach Temporal, then it retries and exits 1 with the contract message', async () => {
    const r = await runCli(['worker'], { TEMPORAL_ADDRESS: UNREACHABLE, NIGHTSHIFT_CONNECT_TIMEOUT_SECONDS: '2' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Temporal not reachable at ${UNREACHABLE}`);
    expect(r.stderr).toContain('retrying');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('when status cannot reach Temporal, then it prints one clear line that names the way out and exits 1', async () => {
    const project = makeProject(['x']);
    const r = await runCli(['status', '--project', project.root], { TEMPORAL_ADDRESS: UNREACHABLE });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith(`nightshift: Temporal not reachable at ${UNREACHABLE} `)).toBe(true);
    for (const way of ['`nightshift up`', '`nightshift server`', 'TEMPORAL_ADDRESS']) expect(lines[0]).toContain(way);
  });

  test('when --project names a folder that does not exist, then the command exits 1 with one line', async () => {
    const missing = path.join(makeProject([]).root, 'no-such-folder');
    for (const args of [['status'], ['tasks'], ['up']]) {
      const r = await runCli([...args, '--project', missing], { TEMPORAL_ADDRESS: UNREACHABLE });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`nightshift: project directory not found: ${missing}\n`);
    }
  });

  test('when the reader closes the output pipe early (| head), then the command ends quietly with 0', async () => {
    const project = makeProject(
      Array.from({ length: 6000 }, (_, i) => `Item number ${i + 1} with enough text to fill the pipe`),
    );
    const child = spawn(process.execPath, [NIGHTSHIFT_BIN, 'backlog', '--project', project.root], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d))));
    child.stdout.destroy(); // what `head -2` does after its two lines
    const code = await new Promise((resolve) => child.once('close', (c) => resolve(c)));
    expect(first).toContain('Item number 1 ');
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  test('when --json names fields, then only those are printed; an unknown one is a usage error that lists the known ones', async () => {
    const project = makeProject(['One item']);
    const all = await runCli(['backlog', '--json', '--project', project.root]);
    expect(Object.keys(JSON.parse(all.stdout)).sort()).toEqual(['items', 'warnings']);
    const some = await runCli(['backlog', '--json', 'items', '--project', project.root]);
    expect(some.code).toBe(0);
    expect(Object.keys(JSON.parse(some.stdout))).toEqual(['items']);
    const before = await runCli(['--json=warnings', 'backlog', '--project', project.root]);
    expect(JSON.parse(before.stdout)).toEqual({ warnings: [] });
    const bad = await runCli(['backlog', '--json', 'items,nope', '--project', project.root]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('nightshift: unknown JSON field: nope (available: items, warnings)\n');
    // a command name after --json is the command, not a field
    expect(JSON.parse((await runCli(['--json', 'backlog', '--project', project.root])).stdout).items).toHaveLength(1);
  });

  test('when no agent is configured, then start fails with the contract message', async () => {
    const project = makeProject(['x']);
    const r = await runCli(['start', '--project', project.root], {
      TEMPORAL_ADDRESS: testAddress(),
      PIPELINE_AGENT: '',
      PIPELINE_AGENT_COMMAND: '',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('nightshift: no agent configured: set PIPELINE_AGENT or PIPELINE_AGENT_COMMAND');
  });

  test('when a config variable is invalid, then the error names it', async () => {
    const r = await runCli(['metrics'], { PIPELINE_MAX_ITERATIONS: 'lots' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PIPELINE_MAX_ITERATIONS');
  });

  test('when the backlog has malformed lines, then backlog --check reports file:line and exits 1', async () => {
    const project = makeProject([]);
    writeFileSync(
      path.join(project.root, 'specs', '006-overnight-backlog.md'),
      '# B\n1. Good item\n2.Missing space\n3) paren\n- bullet\n4. Another good one\n',
    );
    const r = await runCli(['backlog', '--check', '--project', project.root]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("specs/006-overnight-backlog.md:3: expected 'N. text'");
    expect(r.stdout).toContain("specs/006-overnight-backlog.md:4: expected 'N. text'");
    expect(r.stdout).not.toContain(':5:');
    const list = await runCli(['backlog', '--json', '--project', project.root]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).items.map((i: { text: string }) => i.text)).toEqual([
      'Good item',
      'Another good one',
    ]);
  });

  test('when cleanup runs, then it prints Removed: per old log or Nothing to remove.', async () => {
    const project = makeProject(['x']);
    const { mkdirSync, utimesSync } = await import('node:fs');
    const logs = path.join(project.root, '.nightshift', 'logs', 'tasks');
    mkdirSync(logs, { recursive: true });
    const old = path.join(logs, 'task_00000000000000aa.log');
    writeFileSync(old, 'old');
    const then = new Date(Date.now() - 30 * 86_400_000);
    utimesSync(old, then, then);
    writeFileSync(path.join(logs, 'task_00000000000000bb.log'), 'new');
    const first = await runCli(['cleanup', '--keep-days', '7', '--project', project.root]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`Removed: ${old}\n`);
    expect((await runCli(['cleanup', '--keep-days', '7', '--project', project.root])).stdout).toBe(
      'Nothing to remove.\n',
    );
    expect((await runCli(['cleanup', '--project', project.root])).code).toBe(2);
  });

  test('when the agent CLI is not installed, then doctor reports it missing and exits 1', async () => {
    const project = makeProject(['x']);
    const r = await runCli(['doctor', '--project', project.root], {
      PIPELINE_AGENT: 'claude',
      TEMPORAL_ADDRESS: testAddress(),
      PATH: path.dirname(process.execPath) + ':/usr/bin:/bin',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL agent\s+claude: claude not found on PATH/);
    expect(r.stdout).toMatch(/ok {3}temporal-server\s+reachable/);
    expect(r.stdout).toMatch(/ok {3}git\s/);
    expect(r.stdout).toMatch(/ok {3}backlog\s+1 items/);
  });
});

describe('nightshift CLI against a running pipeline', () => {
  let worker: TestWorker;
  const project = makeProject(['CLI item one', 'CLI item two'], {
    impl: [{ exit: 2, output: 'tests exploded' }, { output: 'fixed the failing tests' }],
    review: [{ output: 'VERDICT: pass' }],
  });
  const config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand });
  const env = {
    TEMPORAL_ADDRESS: testAddress(),
    TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
    PIPELINE_AGENT_COMMAND: project.agentCommand,
    PIPELINE_META_RATIO: '0',
  };
  const cli = (...args: string[]) => runCli([...args, '--project', project.root], env);

  beforeAll(async () => {
    worker = await startTestWorker(config);
  });
  afterAll(async () => worker?.stop());

  test('when started with --once --wait, then it reports the result, and status, metrics, tasks and logs show the run', async () => {
    const start = await cli('start', '--once', '--wait');
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/Pipeline nightshift-nightshift-project-[\w-]+ started/);
    expect(start.stdout).toContain('Pipeline finished (once): 2 passed, 0 failed, 9 tasks');

    const status = await cli('status', '--json');
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s.pipeline).toMatchObject({ state: 'completed', items_by_state: { passed: 2 } });
    expect((await cli('status')).stdout).toMatch(/✓ passed\s+CLI item one/);
    const picked = JSON.parse(
      (await cli('status', '--json', 'pipeline.state,pipeline.items_by_state.passed,attention')).stdout,
    );
    expect(picked).toEqual({ pipeline: { state: 'completed', items_by_state: { passed: 2 } }, attention: s.attention });
    expect(JSON.parse((await cli('tasks', '--json', 'total')).stdout)).toEqual({ total: 9 });

    // A folder without a pipeline (the clone while the demo runs elsewhere): the ones the server has, and how to pick
    // one.
    const elsewhere = makeProject([]);
    const none = await runCli(['status', '--project', elsewhere.root], env);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^No pipeline for .*: not_started\)\./);
    expect(none.stdout).toMatch(
      new RegExp(
        `\\n  ${project.root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +${s.pipeline.workflow_id} +completed\\n`,
      ),
    );
    expect(none.stdout).toContain('Pick one with: nightshift status --project DIR');
    const noneJson = JSON.parse((await runCli(['status', '--json', '--project', elsewhere.root], env)).stdout);
    expect(noneJson.other_pipelines).toContainEqual(
      expect.objectContaining({ workflow_id: s.pipeline.workflow_id, project: project.root, state: 'completed' }),
    );

    const metrics = JSON.parse((await cli('metrics', '--json')).stdout);
    expect(metrics.success_rate).toEqual({ completed: 8, failed: 1, total: 9, rate: 0.89 });

    const failed = JSON.parse((await cli('tasks', '--status', 'failed', '--json')).stdout);
    expect(failed.total).toBe(1);
    const logs = await cli('logs', failed.tasks[0].id);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('tests exploded');
    expect((await cli('logs', '../../etc/passwd')).code).toBe(1);
    expect((await cli('logs', 'task_0123456789abcdef')).stderr).toContain('Task log not found');
  });

  test('when status --watch runs during an item, then it redraws the live view every interval and Ctrl-C ends it cleanly', async () => {
    const other = makeProject(['Watched item \u001b[31mred\u001b[0m'], {
      spec: [{ sleepMs: 4000, output: 'slow spec done' }],
      review: [{ output: 'VERDICT: pass' }],
    });
    const e = { ...env, PIPELINE_AGENT_COMMAND: other.agentCommand };
    expect((await runCli(['start', '--project', other.root], e)).code).toBe(0);
    const watch = spawnCli(['status', '--watch', '--interval', '0.3', '--project', other.root], e);
    try {
      const frames = () => watch.output().split('Ctrl-C to quit').length - 1;
      await waitFor(
        () => /Items +1 running/.test(watch.output()) && /\d+s +spec +task_[0-9a-f]{16} /.test(watch.output()),
        20_000,
        'a frame with the running spec task',
      );
      const seen = frames();
      await waitFor(() => frames() >= seen + 2, 5_000, 'two more frames');
      expect(watch.output()).toContain('Attention: —');
      expect(watch.output()).not.toContain('\u001b'); // the item's escape codes never reach the terminal
      watch.kill('SIGINT');
      const code = await new Promise((resolve) => watch.once('exit', (c) => resolve(c)));
      expect(code).toBe(0);
    } finally {
      watch.kill('SIGKILL');
      await runCli(['stop', '--project', other.root], e);
    }
  });

  test('when paused, resumed and stopped, then the pipeline follows the signals', async () => {
    const other = makeProject(['Slow item'], {
      spec: [{ sleepMs: 1500, output: 'slow spec done' }],
      review: [{ output: 'VERDICT: pass' }],
    });
    const e = { ...env, PIPELINE_AGENT_COMMAND: other.agentCommand, PIPELINE_BACKLOG_POLL_SECONDS: '0.5' };
    const run = (...args: string[]) => runCli([...args, '--project', other.root], e);
    expect((await run('start')).code).toBe(0);
    const again = await run('start');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already running (attached)');
    // doctor reports the agent the running pipeline uses, though this environment names none
    const doctor = await runCli(['doctor', '--project', other.root], {
      ...e,
      PIPELINE_AGENT_COMMAND: '',
      PIPELINE_AGENT: '',
    });
    expect(doctor.stdout).toMatch(
      new RegExp(
        `ok {3}agent +command: ${process.execPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(the running pipeline nightshift-`,
      ),
    );
    expect((await run('pause')).code).toBe(0);
    const paused = JSON.parse((await run('status', '--json')).stdout);
    expect(paused.pipeline.paused).toBe(true);
    expect((await run('resume')).code).toBe(0);
    expect(JSON.parse((await run('status', '--json')).stdout).pipeline.paused).toBe(false);
    expect((await run('stop')).code).toBe(0);
    const deadline = Date.now() + 30_000;
    let state = '';
    while (Date.now() < deadline && state !== 'completed') {
      state = JSON.parse((await run('status', '--json')).stdout).pipeline.state;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(state).toBe('completed');
  });
});
