import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/global-setup';
import { NIGHTSHIFT_BIN, runCli } from '../helpers/cli';
import { groupMembers, isAlive } from '../helpers/processes';
import { waitFor } from '../helpers/project';

function findProcess(fragment: string): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(fragment) && isAlive(Number(entry))) return Number(entry);
    } catch {
      // gone
    }
  }
  return null;
}

/** A process's environment as it was started. */
function environOf(pid: number): Record<string, string> {
  const pairs = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}

describe('nightshift up as a supervisor', () => {
  test('when the worker, the API and the embedded server are killed, then each comes back and the pipeline goes on; doctor sees the demo agent; Ctrl-C stops everything; up again on the folder summarises what is done and prints only new events', async () => {
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    const project = path.join(mkdtempSync(path.join(os.tmpdir(), 'nightshift-sup-')), 'demo');
    const upEnv = {
      ...process.env,
      PORT: String(apiPort),
      NIGHTSHIFT_TEMPORAL_PORT: String(temporalPort),
      NIGHTSHIFT_TEMPORAL_UI_PORT: String(uiPort),
      DEMO_AGENT_DELAY_MS: '400',
      TEMPORAL_ADDRESS: '',
      PIPELINE_AGENT: '',
      PIPELINE_AGENT_COMMAND: '',
      NIGHTSHIFT_HEARTBEAT_TIMEOUT_SECONDS: '3',
      MALLOC_MMAP_THRESHOLD_: undefined,
      GLIBC_TUNABLES: undefined,
    };
    const up = spawn(process.execPath, [NIGHTSHIFT_BIN, 'up', '--demo', '--project', project], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: upEnv,
    });
    let again: ReturnType<typeof spawn> | undefined;
    let out = '';
    up.stdout!.on('data', (d) => (out += d));
    up.stderr!.on('data', (d) => (out += d));
    const api = async () => {
      try {
        return (await fetch(`http://127.0.0.1:${apiPort}/api/health`)).status === 200;
      } catch {
        return false;
      }
    };
    const passed = () => (out.match(/Item passed:/g) ?? []).length;
    try {
      await waitFor(() => out.includes('Processes:'), 90_000, `nightshift up to start:\n${out}`);
      await waitFor(api, 30_000, 'the API');
      const workerFragment = `worker --project ${project}`;
      const worker = findProcess(workerFragment)!;
      expect(worker).toBeTruthy();
      process.kill(worker, 'SIGKILL');
      const newWorker = await waitFor(
        () => {
          const pid = findProcess(workerFragment);
          return pid && pid !== worker ? pid : null;
        },
        30_000,
        'a new worker',
      );
      expect(newWorker).not.toBe(worker);
      // Restarted or not, the worker runs with malloc's mmap threshold fixed (src/worker/process-env.ts); the API is
      // left as it was.
      expect(environOf(newWorker).MALLOC_MMAP_THRESHOLD_).toBe('131072');
      expect(environOf(findProcess(`api --project ${project}`)!).MALLOC_MMAP_THRESHOLD_).toBeUndefined();

      const apiPid = findProcess(`api --project ${project}`)!;
      process.kill(apiPid, 'SIGKILL');
      await waitFor(
        async () => findProcess(`api --project ${project}`) !== apiPid && (await api()),
        30_000,
        'the API back',
      );

      const before = passed();
      const server = findProcess(`--port ${temporalPort}`)!;
      process.kill(server, 'SIGKILL');
      await waitFor(() => out.includes('Temporal server exited'), 10_000, 'the server restart notice');
      await waitFor(() => findProcess(`--port ${temporalPort}`) !== null, 30_000, 'the server back');
      await waitFor(() => passed() > before, 120_000, `the pipeline to go on after the restarts:\n${out.slice(-2000)}`);
      const log = readFileSync(path.join(project, '.nightshift', 'logs', 'supervisor.log'), 'utf8');
      expect(log).toMatch(/"msg":"worker exited; restarting"/);
      expect(log).toMatch(/"msg":"Auto-commit: 0 \| Auto-push: 0"/);
      for (const line of log.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();

      // doctor sees the agent the demo's pipeline runs with, though this shell sets none
      const doctor = await runCli(['doctor', '--project', project], {
        TEMPORAL_ADDRESS: '',
        NIGHTSHIFT_TEMPORAL_PORT: String(temporalPort),
        PIPELINE_AGENT: '',
        PIPELINE_AGENT_COMMAND: '',
      });
      expect(doctor.stdout).toMatch(
        /ok {3}agent +demo \(built-in\): .*demo-agent\.js \(the running pipeline nightshift-demo-[0-9a-f]{8} uses it\)/,
      );
      expect(doctor.code).toBe(0);

      process.kill(-up.pid!, 'SIGINT');
      await new Promise((r) => up.once('exit', r));
      await waitFor(
        () =>
          groupMembers(up.pid!).length === 0 &&
          findProcess(workerFragment) === null &&
          findProcess(`--port ${temporalPort}`) === null,
        30_000,
        'every process to exit',
      );

      // Up again on the same folder: one line for what is done, then only new events (no replay of the old ones).
      const passedTexts = [...new Set([...out.matchAll(/Item passed: (.*)/g)].map((m) => m[1]))];
      const doneTasks = [...out.matchAll(/✓ \w+ +completed (task_[0-9a-f]{16})/g)].map((m) => m[1]);
      again = spawn(process.execPath, [NIGHTSHIFT_BIN, 'up', '--demo', '--project', project], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: upEnv,
      });
      let out2 = '';
      again.stdout!.on('data', (d) => (out2 += d));
      again.stderr!.on('data', (d) => (out2 += d));
      await waitFor(() => out2.includes('Press Ctrl-C to stop.'), 90_000, `nightshift up to attach:\n${out2}`);
      const summary =
        /Already done: (\d+) item\(s\) passed, \d+ failed, (\d+) task\(s\) finished; new events follow\./.exec(out2);
      expect(summary).not.toBeNull();
      expect(Number(summary![1])).toBe(passedTexts.length);
      expect(Number(summary![2])).toBeGreaterThanOrEqual(doneTasks.length);
      const newPasses = () => (out2.match(/Item passed:/g) ?? []).length;
      await waitFor(() => newPasses() >= 1, 120_000, `a new item to pass after attaching:\n${out2.slice(-1500)}`);
      for (const text of passedTexts) expect(out2).not.toContain(`Item passed: ${text}\n`);
      for (const id of doneTasks) expect(out2).not.toContain(id);
      process.kill(-again.pid!, 'SIGINT');
      await new Promise((r) => again!.once('exit', r));
    } finally {
      for (const p of [up, again]) {
        try {
          if (p) process.kill(-p.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const f of [`worker --project ${project}`, `api --project ${project}`, `--port ${temporalPort}`]) {
        const pid = findProcess(f);
        if (pid) process.kill(pid, 'SIGKILL');
      }
    }
  });
});
