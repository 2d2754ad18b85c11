/**
 * The spawn helper: `node spawn-helper.js`, one per worker process (started by spawner.ts on the first command it
 * runs: git calls, agents, the test command).
 *
 * A fork copies the parent's page tables: from a worker of a few hundred MB it costs 10–20 ms of the worker's main
 * thread, which the workflows and every other activity wait on, and each task starts several commands. This small
 * process forks in about 1 ms.
 *
 * Protocol, one JSON object per line, every command with the environment it is sent with (this process's own is
 * empty):
 * - a short command: in `{ id, argv, cwd, env, stallMs }`; out `{ id, code, signal, stdout, stderr, stalled }` once
 *   it has ended (run-command.ts), or `{ id, error, errno }` when it could not start;
 * - a long one (`mode: "stream"`, with `stdinText` when it reads stdin): out `{ id, spawned: pid }`, its output as it
 *   comes (`{ id, out, from: "stdout" | "stderr" }`, UTF-8 decoded), then `{ id, code, signal }` once it has exited
 *   and its pipes are read, or `{ id, error, errno }`. It leads a process group of its own, which is killed when it
 *   exits (leftovers holding the pipes would keep the end from coming). Signals to it come from the worker directly.
 *
 * When its stdin closes (the worker is gone, however it ended) it kills the commands still running, with their
 * process groups, and exits.
 *
 * Plain Node and run-command.ts, nothing else of nightshift: it starts fast and has nothing to fail on.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CommandStartError, killGroupOf, runCommand, startStream } from './run-command';

interface Request {
  id: number;
  mode?: 'stream';
  argv: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  stallMs?: number;
  stdinText?: string;
}

const running = new Set<ChildProcess>();

function send(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

const startFailed = (id: number, err: unknown) =>
  send({
    id,
    error: (err as Error).message,
    errno: err instanceof CommandStartError ? err.errno : ((err as NodeJS.ErrnoException).code ?? null),
  });

function runShort(req: Request): void {
  runCommand({ argv: req.argv, cwd: req.cwd, stallMs: req.stallMs ?? 30_000, env: req.env }, track).then(
    (outcome) => send({ id: req.id, ...outcome }),
    (err: unknown) => startFailed(req.id, err),
  );
}

function runStream(req: Request): void {
  startStream(req, {
    spawned: (child) => {
      track(child);
      send({ id: req.id, spawned: child.pid });
    },
    output: (out, from) => send({ id: req.id, out, from }),
    failed: (err) => startFailed(req.id, err),
    ended: (code, signal) => send({ id: req.id, code, signal }),
  });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let req: Request;
  try {
    req = JSON.parse(line) as Request;
  } catch {
    return; // not ours: the starter writes only whole JSON lines
  }
  if (req.mode === 'stream') runStream(req);
  else runShort(req);
});
lines.on('close', () => {
  for (const child of running) killGroupOf(child);
  process.exit(0);
});
// A Ctrl-C in the worker's terminal reaches its whole process group: the worker finishes its steps, which need these.
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
