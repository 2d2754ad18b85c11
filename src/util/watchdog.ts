/**
 * The process between a worker and an agent: `node watchdog.js <argv…>`.
 *
 * Node has no PR_SET_PDEATHSIG, so an agent whose worker was killed (-9, OOM,
 * a crash) would keep editing the work tree unsupervised until a retry found
 * it. The watchdog holds its stdin pipe to the worker; the kernel closes that
 * pipe whatever ended the worker, and the watchdog then kills the agent's
 * whole process group at once.
 *
 * - The agent runs argv as given (no shell) as the leader of its own process
 *   group, with the watchdog's stdout and stderr (the worker's pipes: output
 *   is passed through untouched).
 * - The watchdog runs in a session of its own (the worker spawns it detached),
 *   so neither a kill of the worker's process group nor the agent's kill of
 *   its own group reaches it.
 * - fd 3 tells the worker, one JSON object per line: `{"pid"}` once the agent
 *   runs, `{"spawnError":{code,message}}` when it could not start, and
 *   `{"exit":code,"signal"}` when it ended. The watchdog exits with the
 *   agent's code (128 + signal number after a signal).
 * - SIGTERM, SIGINT or SIGHUP sent to the watchdog go to the agent's group.
 *
 * Plain Node, no imports from the rest of nightshift: it starts fast and has
 * nothing to fail on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeSync } from 'node:fs';
import { constants } from 'node:os';

const CONTROL_FD = 3;

function tell(message: object): void {
  try {
    writeSync(CONTROL_FD, JSON.stringify(message) + '\n');
  } catch {
    // the worker is gone: nobody to tell
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

function main(argv: string[]): void {
  let child: ChildProcess | null = null;
  let workerGone = false;
  const onWorkerGone = () => {
    if (workerGone) return;
    workerGone = true;
    killGroup(child?.pid, 'SIGKILL');
    process.exit(137);
  };
  // EOF on stdin: the worker closed its end of the pipe, i.e. it exited or was killed.
  process.stdin.on('end', onWorkerGone);
  process.stdin.on('close', onWorkerGone);
  process.stdin.on('error', onWorkerGone);
  process.stdin.resume();

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (child?.pid) killGroup(child.pid, signal);
      else process.exit(128 + constants.signals[signal]);
    });
  }
  if (!argv.length) {
    tell({ spawnError: { code: 'EINVAL', message: 'watchdog: no command given' } });
    process.exit(127);
  }
  child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', 'inherit', 'inherit'], shell: false });
  child.on('error', (err: NodeJS.ErrnoException) => {
    tell({ spawnError: { code: err.code ?? null, message: err.message } });
    process.exit(127);
  });
  if (child.pid) tell({ pid: child.pid });
  child.on('exit', (code, signal) => {
    // Whatever the leader did, nothing of its group may outlive it.
    killGroup(child?.pid, 'SIGKILL');
    tell({ exit: code, signal });
    process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
  });
}

main(process.argv.slice(2));
