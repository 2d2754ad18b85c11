import { spawn } from 'node:child_process';

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

/**
 * Runs argv (no shell) as the leader of a new process group, streams stdout
 * and stderr, and on timeout or abort stops the whole group: SIGTERM, then
 * SIGKILL after a grace period, so grandchildren never outlive the task.
 */
export function runInProcessGroup(opts: RunOptions): Promise<RunOutcome> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(opts.argv[0], opts.argv.slice(1), {
        cwd: opts.cwd,
        env: opts.env,
        detached: true,
        stdio: [opts.stdinText === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        shell: false,
      });
    } catch (err) {
      // Some spawn failures (E2BIG: an argument or the environment over the kernel's limit) throw instead of emitting.
      resolve({ exitCode: null, signal: null, spawnError: err as NodeJS.ErrnoException, timedOut: false, aborted: false, durationMs: elapsed() });
      return;
    }
    const stop = () => {
      if (!child.pid) return;
      killGroup(child.pid, 'SIGTERM');
      killTimer ??= setTimeout(() => child.pid && killGroup(child.pid, 'SIGKILL'), opts.killGraceMs ?? 5000);
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
      if (child.pid) killGroup(child.pid, 'SIGKILL');
      resolve({ ...outcome, timedOut, aborted, durationMs: elapsed() });
    };
    if (child.pid) opts.onSpawn?.(child.pid);
    if (child.stdin && opts.stdinText !== undefined) {
      child.stdin.on('error', () => undefined); // an agent that exits without reading its stdin is not an error
      child.stdin.end(opts.stdinText);
    }
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => opts.onOutput?.(c, 'stdout'));
    child.stderr!.on('data', (c: string) => opts.onOutput?.(c, 'stderr'));
    child.on('error', (err: NodeJS.ErrnoException) => finish({ exitCode: null, signal: null, spawnError: err }));
    // When the leader exits, its leftovers go too; otherwise a background
    // grandchild holding the pipes open would keep 'close' from ever firing.
    child.on('exit', () => child.pid && killGroup(child.pid, 'SIGKILL'));
    // 'close' waits for the pipes, so every byte of output has been seen.
    child.on('close', (code, signal) => finish({ exitCode: code, signal, spawnError: null }));
  });
}
