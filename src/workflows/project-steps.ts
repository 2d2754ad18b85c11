import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * Work on the project's repository (worktrees, merges, task and coverage
 * commits, housekeeping): bounded, heartbeating, retried. Shared by the
 * pipeline, the items that prepare their own worktrees, and the task runner.
 */
export function projectSteps(heartbeatTimeoutSeconds: number) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: `${heartbeatTimeoutSeconds} seconds`,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
  });
}
