import { spawn, type ChildProcess } from 'node:child_process';

/*
 * Commands started as the leaders of process groups of their own: short ones run to their end with their output
 * collected (`runCommand`: git), long ones with their output as it comes (`startStream`: agents, the test command).
 * Used by the spawn helper (spawn-helper.ts), and in the worker where the helper cannot run. Plain Node, no imports
 * from the rest of nightshift.
 */

/** A short command, killed with its group when it prints nothing for `stallMs`. */
export interface CommandRequest {
  argv: string[];
  cwd: string;
  stallMs: number;
  /** Absent: this process's environment. */
  env?: NodeJS.ProcessEnv;
}

/** How a command ended. */
export interface CommandOutcome {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** It printed nothing for the stall limit and was killed with its process group. */
  stalled: boolean;
}

/** The command could not be started (ENOENT: no such program, or no such directory). */
export class CommandStartError extends Error {
  override readonly name = 'CommandStartError';
  constructor(
    message: string,
    readonly errno: string | null,
  ) {
    super(message);
  }
}

/** How long a command's pipes may stay open after it exited (a background child of a hook holding them). */
const CLOSE_GRACE_MS = 200;

export function killGroupOf(child: ChildProcess): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

export function runCommand(req: CommandRequest, onSpawn?: (child: ChildProcess) => void): Promise<CommandOutcome> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(req.argv[0], req.argv.slice(1), {
        cwd: req.cwd,
        env: req.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        shell: false,
      });
    } catch (err) {
      reject(new CommandStartError((err as Error).message, (err as NodeJS.ErrnoException).code ?? null));
      return;
    }
    onSpawn?.(child);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stalled = false;
    let settled = false;
    let stallTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const settle = () => {
      settled = true;
      clearTimeout(stallTimer);
      clearTimeout(graceTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    const ended = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settle();
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        stalled,
      });
    };
    const arm = () => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        stalled = true;
        killGroupOf(child);
      }, req.stallMs);
    };
    arm();
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      arm();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      arm();
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settle();
      reject(new CommandStartError(err.message, err.code ?? null));
    });
    child.on('close', ended);
    child.on('exit', (code, signal) => {
      // Output still in the pipes arrives before 'close'; a pipe held open by a left-behind child must not hold the
      // answer.
      graceTimer = setTimeout(() => ended(code, signal), CLOSE_GRACE_MS);
    });
  });
}

/** A long command; its stdin gets `stdinText` and is closed (otherwise stdin is /dev/null). */
export interface StreamRequest {
  argv: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  stdinText?: string;
}

/** What a long command reports; `failed` or `ended`, once. */
export interface StreamEvents {
  spawned(child: ChildProcess & { pid: number }): void;
  output(chunk: string, from: 'stdout' | 'stderr'): void;
  /** It could not start (ENOENT; E2BIG, which spawn throws instead of emitting). */
  failed(err: NodeJS.ErrnoException): void;
  /** It exited and its pipes have been read to their end. */
  ended(code: number | null, signal: NodeJS.Signals | null): void;
}

export function startStream(req: StreamRequest, on: StreamEvents): void {
  let child: ChildProcess;
  try {
    child = spawn(req.argv[0], req.argv.slice(1), {
      cwd: req.cwd,
      env: req.env,
      detached: true,
      stdio: [req.stdinText === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      shell: false,
    });
  } catch (err) {
    on.failed(err as NodeJS.ErrnoException);
    return;
  }
  let over = false;
  const once =
    <A extends unknown[]>(f: (...a: A) => void) =>
    (...a: A) => {
      if (over) return;
      over = true;
      f(...a);
    };
  if (child.pid) on.spawned(child as ChildProcess & { pid: number });
  if (child.stdin && req.stdinText !== undefined) {
    child.stdin.on('error', () => undefined); // a command that exits without reading its stdin is not an error
    child.stdin.end(req.stdinText);
  }
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (c: string) => on.output(c, 'stdout'));
  child.stderr!.on('data', (c: string) => on.output(c, 'stderr'));
  child.on(
    'error',
    once((err: NodeJS.ErrnoException) => on.failed(err)),
  );
  // When the leader exits, its leftovers go too; otherwise a background grandchild holding the pipes open would keep
  // 'close' from ever firing.
  child.on('exit', () => killGroupOf(child));
  // 'close' waits for the pipes, so every byte of output has been seen.
  child.on(
    'close',
    once((code: number | null, signal: NodeJS.Signals | null) => on.ended(code, signal)),
  );
}
