import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { packageRoot } from './package-root';
import { CommandStartError, startStream } from './run-command';
import { commandSpawner } from './spawner';

export interface RunOptions {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal;
  /** stdout and stderr as they come, each chunk tagged with its stream. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /** Written to the command's stdin, which is then closed (otherwise stdin is /dev/null). */
  stdinText?: string;
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

/** The guardian script (see guardian.ts), built into lib/ whether nightshift runs from src/ (tests) or lib/. */
export function guardianScript(): string {
  return path.join(packageRoot(), 'lib', 'util', 'guardian.js');
}

/** Marks every command this process starts (and their children), so its guardian can find them all. */
export const GUARD_ENV = 'NIGHTSHIFT_GUARD';
const guardToken = randomBytes(8).toString('hex');
/** Process groups of the commands running now, registered with the guardian. */
const liveGroups = new Set<number>();
let guardian: ChildProcess | null = null;
let guardianStartedAt = 0;

/**
 * The guardian of this process: started once, in a session of its own, holding a pipe to this process; when the
 * pipe closes (this process exited or was killed, however) it kills every command this process started. It does
 * not keep this process alive. Started again when it died (at most once a second), with the live groups.
 */
function ensureGuardian(): ChildProcess | null {
  if (guardian && guardian.exitCode === null && guardian.signalCode === null) return guardian;
  if (Date.now() - guardianStartedAt < 1000) return guardian;
  guardianStartedAt = Date.now();
  const g = spawn(process.execPath, [guardianScript(), guardToken], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    shell: false,
  });
  g.on('error', () => undefined);
  g.stdin?.on('error', () => undefined);
  g.on('exit', () => {
    if (guardian === g) guardian = null;
    if (liveGroups.size) ensureGuardian();
  });
  g.unref();
  (g.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  guardian = g;
  for (const pgid of liveGroups) g.stdin?.write(`+${pgid}\n`);
  return g;
}

function guard(pgid: number, on: boolean): void {
  if (on) liveGroups.add(pgid);
  else liveGroups.delete(pgid);
  const g = on ? ensureGuardian() : guardian;
  if (g?.stdin?.writable) g.stdin.write(`${on ? '+' : '-'}${pgid}\n`);
}

/** What a started command reports, whichever process forked it. */
interface CommandEvents {
  spawned(pid: number): void;
  output(chunk: string, stream: 'stdout' | 'stderr'): void;
  startFailed(err: NodeJS.ErrnoException): void;
  ended(code: number | null, signal: NodeJS.Signals | null): void;
  /** The spawn helper ended while the command ran: its outcome is not known. */
  lost(err: Error): void;
}

/**
 * Runs argv (no shell) as the leader of a new process group, streams stdout
 * and stderr, and on timeout or abort stops the whole group: SIGTERM, then
 * SIGKILL after a grace period, so grandchildren never outlive the task.
 * Nor do they outlive this process: its guardian (guardian.ts) kills them
 * the moment this process is gone, however it died.
 * The command is forked by the worker's spawn helper (spawner.ts) where it is built, else by this process. When the
 * helper ends while the command runs, the command's group is killed and the promise rejects with SpawnHelperGoneError
 * (the step is retried, as when its worker is lost).
 */
export function runInProcessGroup(opts: RunOptions): Promise<RunOutcome> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
  // Started before the command, so a command is never without it (one found by its environment needs no registration).
  ensureGuardian();
  const env = { ...opts.env, [GUARD_ENV]: guardToken };
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let stopping = false;
    let pid: number | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      stopping = true;
      if (!pid) return; // stopped as soon as it has spawned
      killGroup(pid, 'SIGTERM');
      killTimer ??= setTimeout(() => pid && killGroup(pid, 'SIGKILL'), opts.killGraceMs ?? 5000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    const settle = () => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      // Whatever the leader did, nothing of its group may outlive it.
      if (pid) {
        killGroup(pid, 'SIGKILL');
        guard(pid, false);
      }
      return true;
    };
    const finish = (outcome: Omit<RunOutcome, 'durationMs' | 'timedOut' | 'aborted'>) => {
      if (settle()) resolve({ ...outcome, timedOut, aborted, durationMs: elapsed() });
    };
    const events: CommandEvents = {
      spawned: (p) => {
        pid = p;
        guard(p, true);
        opts.onSpawn?.(p);
        if (stopping) stop();
      },
      output: (chunk, stream) => opts.onOutput?.(chunk, stream),
      startFailed: (err) => finish({ exitCode: null, signal: null, spawnError: err }),
      ended: (code, signal) => finish({ exitCode: code, signal, spawnError: null }),
      lost: (err) => {
        if (settle()) reject(err);
      },
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (commandSpawner.available()) startThroughHelper(opts, env, events);
    else startHere(opts, env, events);
  });
}

function startThroughHelper(opts: RunOptions, env: NodeJS.ProcessEnv, on: CommandEvents): void {
  commandSpawner
    .stream(
      { argv: opts.argv, cwd: opts.cwd, env, ...(opts.stdinText === undefined ? {} : { stdinText: opts.stdinText }) },
      { spawned: on.spawned, output: on.output },
    )
    .then(
      ({ code, signal }) => on.ended(code, signal as NodeJS.Signals | null),
      (err: Error) =>
        err instanceof CommandStartError
          ? on.startFailed(Object.assign(new Error(err.message), { code: err.errno ?? undefined }))
          : on.lost(err),
    );
}

/** The command forked by this process: where the spawn helper is not built (run from the sources). */
function startHere(opts: RunOptions, env: NodeJS.ProcessEnv, on: CommandEvents): void {
  startStream(
    { argv: opts.argv, cwd: opts.cwd, env, stdinText: opts.stdinText },
    { spawned: (child) => on.spawned(child.pid), output: on.output, failed: on.startFailed, ended: on.ended },
  );
}
