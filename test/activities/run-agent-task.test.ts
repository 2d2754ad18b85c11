import { MockActivityEnvironment } from '@temporalio/testing';
import { CancelledFailure } from '@temporalio/common';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRunAgentTask, heartbeatEvery } from '../../src/activities/agent';
import { agentEnvironment } from '../../src/config';
import type { AgentSettings, RunAgentTaskInput, TaskSpec } from '../../src/shared/contracts/task';
import { TaskIndex } from '../../src/tasks/store';
import { isAlive } from '../helpers/processes';

const models = { spec: 'm', impl: 'm', test: 'm', review: 'm', heal: 'm' };

function nodeAgent(script: string): AgentSettings {
  return {
    name: 'command',
    argvTemplate: [process.execPath, '-e', script, '{direction}', '{task_id}'],
    modelByType: models,
  };
}

let seq = 0;
function input(
  agent: AgentSettings,
  over: Partial<RunAgentTaskInput> = {},
  direction = 'Implement per spec: thing.',
): RunAgentTaskInput {
  const root = mkdtempSync(path.join(os.tmpdir(), 'nightshift-agent-'));
  const task: TaskSpec = {
    id: `task_${(++seq).toString(16).padStart(16, '0')}`,
    task_type: 'impl',
    direction,
    model: 'command/m',
    item_key: 'k',
    iteration: 1,
    created_at: new Date().toISOString(),
  };
  return { task, projectRoot: root, stateDir: path.join(root, '.nightshift'), agent, timeoutSeconds: 30, ...over };
}

const alive = isAlive;

describe('runAgentTask', () => {
  const run = createRunAgentTask({
    agentEnv: agentEnvironment({
      PATH: process.env.PATH,
      PIPELINE_API_TOKEN: 'secret-token',
      TEMPORAL_API_KEY: 'k',
      HOME: process.env.HOME,
    }),
  });
  const env = () => new MockActivityEnvironment({ attempt: 1 });

  test('when the agent exits 0 with enough output, then the task completes and its log has header, output and footer', async () => {
    const i = input(nodeAgent('console.log("did the work for " + process.argv[2].length + " chars")'));
    const r = await env().run(run, i);
    expect(r.status).toBe('completed');
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain('did the work');
    const log = readFileSync(path.join(i.stateDir, 'logs', 'tasks', `${i.task.id}.log`), 'utf8');
    expect(log).toMatch(new RegExp(`^# task_id=${i.task.id} status=running`));
    expect(log).toContain('---\ndid the work');
    expect(log).toMatch(/# duration_seconds=[\d.]+ exit=0 status=completed\n$/);
    const stored = await new TaskIndex(i.stateDir).get(i.task.id);
    expect(stored?.status).toBe('running');
    expect(stored?.started_at).toBe(r.startedAt);
  });

  test('when the agent exits 0 with under 10 non-whitespace characters, then the task fails with the reference note', async () => {
    const r = await env().run(run, input(nodeAgent('console.log("ok   ok")')));
    expect(r.status).toBe('failed');
    expect(r.output).toContain(
      '[Pipeline] Marked failed: completed with 4 chars output (expected >10). Possible capture failure or silent crash.',
    );
  });

  test('when the agent exits non-zero, then the task fails with its exit code', async () => {
    const r = await env().run(run, input(nodeAgent('console.log("a long enough message"); process.exit(3)')));
    expect(r).toMatchObject({ status: 'failed', exitCode: 3 });
  });

  test('when the agent command does not exist, then the task fails saying so instead of throwing', async () => {
    const r = await env().run(
      run,
      input({ name: 'claude', argvTemplate: ['nightshift-no-such-agent-cli', '{direction}'], modelByType: models }),
    );
    expect(r.status).toBe('failed');
    expect(r.output).toContain('nightshift-no-such-agent-cli: command not found');
  });

  test('when the direction holds shell syntax, then it reaches the agent as one literal argument and nothing runs', async () => {
    const hostile = 'x $(touch pwned) `touch pwned2`; rm -rf / "q" \'s\'\nnext line {task_id}';
    const i = input(
      nodeAgent(
        'require("fs").writeFileSync("seen.json", JSON.stringify(process.argv.slice(1))); console.log("recorded the direction")',
      ),
      {},
      hostile,
    );
    const r = await env().run(run, i);
    expect(r.status).toBe('completed');
    const seen = JSON.parse(readFileSync(path.join(i.projectRoot, 'seen.json'), 'utf8'));
    expect(seen).toEqual([hostile, i.task.id]);
    expect(existsSync(path.join(i.projectRoot, 'pwned'))).toBe(false);
    expect(existsSync(path.join(i.projectRoot, 'pwned2'))).toBe(false);
  });

  test('when the agent runs, then secrets are not in its environment but the task id is', async () => {
    const i = input(
      nodeAgent(
        'require("fs").writeFileSync("env.json", JSON.stringify(process.env)); console.log("printed my environment")',
      ),
    );
    await env().run(run, i);
    const seen = JSON.parse(readFileSync(path.join(i.projectRoot, 'env.json'), 'utf8'));
    expect(seen.PIPELINE_API_TOKEN).toBeUndefined();
    expect(seen.TEMPORAL_API_KEY).toBeUndefined();
    expect(seen.NIGHTSHIFT_TASK_ID).toBe(i.task.id);
  });

  test('when the heartbeat timeout is short, then the agent activity heartbeats several times within it', async () => {
    expect(heartbeatEvery(undefined)).toBe(2000);
    expect(heartbeatEvery(60_000)).toBe(2000);
    expect(heartbeatEvery(2000)).toBe(500);
    const e = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 2000 });
    const beats: number[] = [];
    e.on('heartbeat', () => beats.push(Date.now()));
    const r = await e.run(run, input(nodeAgent('setTimeout(() => console.log("slow work done here"), 2500)')));
    expect(r.status).toBe('completed');
    // the first beat at the start, then one every 500 ms: with the 2 s default there would be two at most
    expect(beats.length).toBeGreaterThanOrEqual(4);
  });

  test('when the agent outlives the task timeout, then its whole process group is killed and the task fails', async () => {
    const script =
      'const c = require("child_process").spawn(process.execPath, ["-e", "setTimeout(()=>{}, 60000)"], {stdio:"ignore"}); require("fs").writeFileSync("grandchild.pid", String(c.pid)); console.log("started a long job"); setTimeout(()=>{}, 60000)';
    const i = input(nodeAgent(script), { timeoutSeconds: 1 });
    const started = Date.now();
    const r = await env().run(run, i);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r).toMatchObject({ status: 'failed', timedOut: true, exitCode: -9 });
    expect(r.output).toContain('[Timeout 1s]');
    const grandchild = Number(readFileSync(path.join(i.projectRoot, 'grandchild.pid'), 'utf8'));
    await new Promise((res) => setTimeout(res, 300));
    expect(alive(grandchild)).toBe(false);
  });

  test('when the activity is cancelled, then the agent group is killed and the activity reports cancellation', async () => {
    const i = input(
      nodeAgent(
        'require("fs").writeFileSync("agent.pid", String(process.pid)); console.log("working for a long time"); setTimeout(()=>{}, 60000)',
      ),
    );
    const e = env();
    const p = e.run(run, i);
    const pidFile = path.join(i.projectRoot, 'agent.pid');
    for (let n = 0; !existsSync(pidFile) && n < 200; n++) await new Promise((res) => setTimeout(res, 50));
    e.cancel();
    await expect(p).rejects.toBeInstanceOf(CancelledFailure);
    await new Promise((res) => setTimeout(res, 300));
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  test('when the output is long, then the last 4000 characters are kept and a VERDICT line before them still counts', async () => {
    const r = await env().run(run, input(nodeAgent('console.log("VERDICT: pass"); console.log("x".repeat(10000))')));
    expect(r.output.length).toBe(4000);
    expect(r.verdict).toBe('pass');
  });

  test('when an earlier attempt of the same task left its agent running, then the retry kills it first', async () => {
    const i = input(nodeAgent('console.log("second attempt finished")'));
    const { spawn } = await import('node:child_process');
    const orphan = spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 60000)'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, NIGHTSHIFT_TASK_ID: i.task.id },
    });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(i.stateDir, 'run'), { recursive: true });
    writeFileSync(path.join(i.stateDir, 'run', `${i.task.id}.pid`), String(orphan.pid));
    const r = await new MockActivityEnvironment({ attempt: 2 }).run(run, i);
    expect(r.status).toBe('completed');
    await new Promise((res) => setTimeout(res, 300));
    expect(alive(orphan.pid!)).toBe(false);
  });

  test('when a direction is over the argv limit, then a stdin preset gets it whole on stdin and never on the command line', async () => {
    const long = `Implement per spec: ${'y'.repeat(140 * 1024)}.`;
    const script =
      'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log("stdin " + d.length + " argv " + process.argv.slice(1).join(" ")))';
    const agent: AgentSettings = {
      name: 'claude',
      argvTemplate: [process.execPath, '-e', script, '{direction}'],
      longArgvTemplate: [process.execPath, '-e', script, 'no-direction-here'],
      stdinPrompt: true,
      modelByType: models,
    };
    const r = await env().run(run, input(agent, {}, long));
    expect(r.status).toBe('completed');
    expect(r.output).toContain(`stdin ${long.length} argv no-direction-here`);
  });

  test('when a direction is over the argv limit and the CLI has no long form, then the direction word points at the prompt file, which holds it whole', async () => {
    const long = `Implement per spec: ${'z'.repeat(140 * 1024)}.`;
    const i = input(
      nodeAgent(
        'const f=process.argv[1].match(/from (\\S+) and/)[1]; console.log("file has " + require("fs").readFileSync(f,"utf8").length)',
      ),
      {},
      long,
    );
    const r = await env().run(run, i);
    expect(r.output).toContain(`file has ${long.length}`);
    expect(r.status).toBe('completed');
  });

  test('when the argv itself is over the kernel limit (E2BIG), then the task fails as fatal instead of throwing to be retried', async () => {
    const agent: AgentSettings = {
      name: 'command',
      argvTemplate: [process.execPath, '-e', 'console.log(1)', 'w'.repeat(200 * 1024)],
      modelByType: models,
    };
    const r = await env().run(run, input(agent));
    expect(r.status).toBe('failed');
    expect(r.fatal).toContain('E2BIG');
    expect(r.output).toContain('[Pipeline] Agent could not be started');
  });

  test('when an impl agent in a git work tree changes no file, then the task fails; when it edits, it completes', async () => {
    const { execFileSync } = await import('node:child_process');
    const repo = () => {
      const i = input(nodeAgent(''));
      execFileSync('git', ['init', '-q', i.projectRoot]);
      writeFileSync(path.join(i.projectRoot, 'a.txt'), 'a\n');
      execFileSync('git', [
        '-C',
        i.projectRoot,
        '-c',
        'user.name=t',
        '-c',
        'user.email=t@t',
        'commit',
        '-qam',
        'init',
        '--allow-empty',
      ]);
      return i;
    };
    const idle = repo();
    const r1 = await env().run(run, {
      ...idle,
      agent: { ...nodeAgent('console.log("I looked at it and it is fine already")'), noChange: 'fail' },
    });
    expect(r1.status).toBe('failed');
    expect(r1.output).toContain('[Pipeline] Marked failed: the impl task changed no file');
    const busy = repo();
    const r2 = await env().run(run, {
      ...busy,
      agent: {
        ...nodeAgent('require("fs").writeFileSync("a.txt","b\\n"); console.log("changed a.txt as asked")'),
        noChange: 'fail',
      },
    });
    expect(r2.status).toBe('completed');
  });

  test('when an agent prints more than a task log may hold, then the log is cut, says so, and keeps the end', async () => {
    const i = input(
      nodeAgent(
        'const b="x".repeat(1<<20)+"\\n"; for (let n=0;n<9;n++) process.stdout.write(b); console.log("THE END of the output")',
      ),
    );
    const r = await env().run(run, i);
    expect(r.status).toBe('completed');
    const log = readFileSync(path.join(i.stateDir, 'logs', 'tasks', `${i.task.id}.log`), 'utf8');
    expect(Buffer.byteLength(log)).toBeLessThan(9 * 1024 * 1024);
    expect(log).toMatch(/\[nightshift\] task log cut at 8388608 bytes: \d+ bytes of output not kept/);
    expect(log).toContain('THE END of the output');
  });
});
