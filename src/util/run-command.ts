import { spawn, type ChildProcess } from 'node:child_process';

/**
 * One short command (git) run to its end with its output collected: started in a process group of its own, and killed
 * with that group when it prints nothing for `stallMs`. Used by the spawn helper (spawn-helper.ts), and in this
 * process where the helper cannot run. Plain Node, no imports from the rest of nightshift.
 */
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
