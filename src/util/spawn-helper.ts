/**
 * The spawn helper: `node spawn-helper.js`, one per worker process (started by spawner.ts on the first command it
 * runs through it: every git call).
 *
 * A fork copies the parent's page tables: from a worker of a few hundred MB it costs 10–20 ms of the worker's main
 * thread, which the workflows and every other activity wait on, and a task makes several git calls. This small process
 * forks in about 1 ms.
 *
 * Protocol, one JSON object per line. In: `{ id, argv, cwd, stallMs, env }`. Out: `{ id, code, signal, stdout,
 * stderr, stalled }` when the command has ended (run-command.ts), or `{ id, error, errno }` when it could not start.
 *
 * When its stdin closes (the worker is gone, however it ended) it kills the commands still running, with their
 * process groups, and exits.
 *
 * Plain Node and run-command.ts, nothing else of nightshift: it starts fast and has nothing to fail on.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CommandStartError, killGroupOf, runCommand, type CommandRequest } from './run-command';

const running = new Set<ChildProcess>();

function send(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function run(id: number, req: CommandRequest): void {
  const track = (child: ChildProcess) => {
    running.add(child);
    child.once('exit', () => running.delete(child));
  };
  runCommand({ argv: req.argv, cwd: req.cwd, stallMs: req.stallMs, env: req.env }, track).then(
    (outcome) => send({ id, ...outcome }),
    (err: unknown) =>
      send({ id, error: (err as Error).message, errno: err instanceof CommandStartError ? err.errno : null }),
  );
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let req: CommandRequest & { id: number };
  try {
    req = JSON.parse(line) as CommandRequest & { id: number };
  } catch {
    return; // not ours: the starter writes only whole JSON lines
  }
  run(req.id, req);
});
lines.on('close', () => {
  for (const child of running) killGroupOf(child);
  process.exit(0);
});
// A Ctrl-C in the worker's terminal reaches its whole process group: the worker finishes its steps, which need git.
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
