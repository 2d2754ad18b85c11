import { Context } from '@temporalio/activity';

/**
 * Heartbeats while `work` runs, so a short step (a git commit, a merge) whose
 * worker dies is retried after the heartbeat timeout instead of its whole
 * start-to-close timeout.
 */
export async function whileHeartbeating<T>(work: () => Promise<T>, everyMs = 2000): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
