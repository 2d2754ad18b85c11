import { Option } from 'commander';
import { watchParent } from './parent-watch';

/** The signals that stop a long-running command: Ctrl-C, `kill`, and a closed terminal. */
export const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * A repeat within this time is the same request arriving twice: Ctrl-C reaches both npm and
 * us, and npm forwards its copy.
 */
const REPEAT_IGNORED_MS = 2000;

/**
 * Hidden: `npm start` (scripts/start.js) and `up` (for its worker and API) pass it, so a
 * process also stops when the one that started it is gone without passing a signal on.
 */
export const exitWithParentOption = () =>
  new Option('--exit-with-parent', 'stop when the parent process exits').hideHelp();

/**
 * Runs `stop` once on SIGINT/SIGTERM/SIGHUP (and, with `exitWithParent`, when
 * the parent process is gone). A later second signal runs `force` (which should
 * kill what `stop` would have stopped) and exits at once.
 */
let shutdownHook: ((why: string) => void) | null = null;

/**
 * Our output pipe was closed by its reader (`| head`): a short command just ends (0); a
 * long-running one stops what it started first, as on a signal.
 */
export function outputClosed(): void {
  if (shutdownHook) shutdownHook('the output pipe closed');
  else process.exit(0);
}

export function onShutdownSignal(
  stop: () => Promise<void> | void,
  o: { exitWithParent?: boolean; force?: () => void } = {},
): void {
  let firstAt = 0;
  const begin = (why: string) => {
    if (firstAt) return;
    firstAt = Date.now();
    Promise.resolve()
      .then(stop)
      .catch((err) => process.stderr.write(`shutdown after ${why} failed: ${(err as Error).message}\n`));
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (!firstAt) return begin(signal);
    if (Date.now() - firstAt < REPEAT_IGNORED_MS) return;
    o.force?.();
    process.exit(130);
  };
  shutdownHook = begin;
  for (const s of SHUTDOWN_SIGNALS) process.on(s, onSignal);
  if (o.exitWithParent) watchParent(() => begin('the parent process exited'));
}
