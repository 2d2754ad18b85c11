import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { packageRoot } from './package-root';

export interface RunOptions {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (chunk: string) => void;
  onSpawn?: (pid: number) => void;
  /** Time between SIGTERM and SIGKILL when stopping the group. */
  killGraceMs?: number;
}

export interface RunOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** Set when the command could not be started at all (e.g. ENOENT). */
  spawnError: NodeJS.ErrnoException | null;
  durationMs: number;
}

export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The watchdog script (see watchdog.ts), built into lib/ whether nightshift runs from src/ (tests) or lib/. */
export function watchdogScript(): string {
  return path.join(packageRoot(), 'lib', 'util', 'watchdog.js');
}

interface ControlMessage {
  pid?: number;
  spawnError?: { code: string | null; message: string };
  exit?: number | null;
  signal?: NodeJS.Signals | null;
}

/**
 * Runs argv (no shell) as the leader of a new process group, streams stdout
 * and stderr, and on timeout or abort stops the whole group: SIGTERM, then
 * SIGKILL after a grace period, so grandchildren never outlive the task.
 *
 * The command runs under a watchdog process (watchdog.ts) that holds a pipe
 * to this process and kills the group the moment the pipe closes: an agent
 * never outlives its worker, however the worker died. `onSpawn` gets the
 * command's pid (its process group's id), not the watchdog's.
 */
export function runInProcessGroup(opts: RunOptions): Promise<RunOutcome> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let groupPid: number | undefined;
    let reported: ControlMessage = {};
    // Detached: a session of its own, so a kill of this process's group does not take the watchdog before the agent.
    const watchdog = spawn(process.execPath, [watchdogScript(), ...opts.argv], {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      shell: false,
    });
    const signalAll = (signal: NodeJS.Signals) => {
      if (groupPid) killGroup(groupPid, signal);
      else if (watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill(signal); // not started yet: the watchdog gives up
    };
    const stop = () => {
      signalAll('SIGTERM');
      killTimer ??= setTimeout(() => signalAll('SIGKILL'), opts.killGraceMs ?? 5000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (outcome: Omit<RunOutcome, 'durationMs' | 'timedOut' | 'aborted'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      // Whatever the leader did, nothing of its group may outlive it.
      if (groupPid) killGroup(groupPid, 'SIGKILL');
      watchdog.stdin?.destroy();
      resolve({ ...outcome, timedOut, aborted, durationMs: elapsed() });
    };
    const control = watchdog.stdio[3] as Readable;
    let pending = '';
    control.setEncoding('utf8');
    control.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        let m: ControlMessage;
        try {
          m = JSON.parse(line) as ControlMessage;
        } catch {
          continue;
        }
        reported = { ...reported, ...m };
        if (m.pid && !groupPid) {
          groupPid = m.pid;
          // a stop asked for before the pid was known reaches the agent now
          if (timedOut || aborted) killGroup(groupPid, 'SIGTERM');
          opts.onSpawn?.(m.pid);
        }
      }
    });
    control.on('error', () => undefined);
    watchdog.stdin?.on('error', () => undefined);
    watchdog.stdout.setEncoding('utf8');
    watchdog.stderr.setEncoding('utf8');
    watchdog.stdout.on('data', (c: string) => opts.onOutput?.(c));
    watchdog.stderr.on('data', (c: string) => opts.onOutput?.(c));
    watchdog.on('error', (err: NodeJS.ErrnoException) => finish({ exitCode: null, signal: null, spawnError: err }));
    // When the watchdog exits (it normally does right after the agent), leftovers go too; otherwise a
    // background grandchild holding the pipes open would keep 'close' from ever firing.
    watchdog.on('exit', () => groupPid && killGroup(groupPid, 'SIGKILL'));
    // 'close' waits for the pipes, so every byte of output has been seen.
    watchdog.on('close', (code, signal) => {
      if (reported.spawnError) {
        const err = Object.assign(new Error(reported.spawnError.message), { code: reported.spawnError.code ?? undefined }) as NodeJS.ErrnoException;
        return finish({ exitCode: null, signal: null, spawnError: err });
      }
      if ('exit' in reported) return finish({ exitCode: reported.exit ?? null, signal: reported.signal ?? null, spawnError: null });
      // the watchdog itself was killed: report how it ended
      finish({ exitCode: code, signal, spawnError: null });
    });
  });
}
