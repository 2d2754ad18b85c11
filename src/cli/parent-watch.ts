import { readFileSync } from 'node:fs';

/** The current parent pid (Node's `process.ppid` is fixed at start): /proc on Linux, else null. */
function currentParentPid(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function parentGone(original: number): boolean {
  const now = currentParentPid();
  if (now !== null) return now !== original;
  try {
    process.kill(original, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Calls `onGone` once when the process that started us exits. A signal sent to
 * `npm start` (or to a shell in between) does not always reach us: npm does
 * not forward SIGHUP, and `sh -c` forwards nothing. Without this, `up` and
 * everything it started would go on running under PID 1.
 */
export function watchParent(onGone: () => void, everyMs = 500): { stop(): void } {
  const original = process.ppid;
  const timer = setInterval(() => {
    if (!parentGone(original)) return;
    clearInterval(timer);
    onGone();
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
