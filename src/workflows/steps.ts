import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PipelineSettings } from '../shared/contracts/pipeline';

/*
 * Every activity the workflows call, grouped by how it is bounded and retried. Each group is typed to its own
 * activities, so calling one through another group's timeouts does not compile. Building a proxy records nothing:
 * the groups whose options come from the settings are built once per run, by the workflow that runs.
 */

/** Backlog reads and outcome records: short file operations, retried until the disk lets them through. */
export const backlogSteps = proxyActivities<Pick<Activities, 'readBacklog' | 'recordItemOutcome'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Reading an item's whole text: a short file operation, retried until the disk lets it through. */
export const itemTextSteps = proxyActivities<Pick<Activities, 'readItemText'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/**
 * Short local steps: task snapshots, metrics lines. Retried without a limit: a
 * full disk or a read-only state dir must delay the record, never lose it
 * (the failures are visible in the worker log and, from the third attempt, as
 * the `blocked_step` attention condition with the error's text).
 */
export const bookkeeping = proxyActivities<Pick<Activities, 'finishTask' | 'saveTask'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Webhook delivery retries inside the activity; one attempt of the activity is enough. */
export const notifications = proxyActivities<Pick<Activities, 'notify'>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});

/** The monitor's checks and file writes: short, retried; a failed check is skipped, not fatal. */
export const monitorSteps = proxyActivities<Pick<Activities, 'checkAttention' | 'writeMonitorIssues'>>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 3 },
});

/** Opening a scheduled window: one start of the pipeline, retried a few times. */
export const windowSteps = proxyActivities<Pick<Activities, 'openWindow'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2s', maximumAttempts: 5 },
});

/** Retries of the agent step after a lost worker when the settings predate NIGHTSHIFT_WORKER_LOSS_RETRIES. */
const DEFAULT_WORKER_LOSS_RETRIES = 20;

/** Attempts of a step whose only retries are for a lost worker (its own failures come back as results). */
export function workerLossAttempts(s: PipelineSettings): number {
  return 1 + (s.workerLossRetries ?? DEFAULT_WORKER_LOSS_RETRIES);
}

/** The groups whose timeouts come from the run's settings: built once per workflow run by `runSteps`. */
export interface RunSteps {
  project: ReturnType<typeof projectSteps>;
  tests: ReturnType<typeof testSteps>;
}

export function runSteps(s: PipelineSettings): RunSteps {
  return { project: projectSteps(s), tests: testSteps(s) };
}

/**
 * Work on the project's repository (worktrees, merges, task and coverage
 * commits, housekeeping): bounded, heartbeating, retried. Shared by the
 * pipeline, the items that prepare their own worktrees, and the task runner.
 */
function projectSteps(s: PipelineSettings) {
  return proxyActivities<
    Pick<Activities, 'prepareWorktree' | 'closeWorktree' | 'commitTask' | 'updateCoverage' | 'maintain'>
  >({
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: `${s.heartbeatTimeoutSeconds} seconds`,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
  });
}

/**
 * The validation command: bounded like an agent task; retried only when its worker is lost (a failing test is a
 * result).
 */
function testSteps(s: PipelineSettings) {
  return proxyActivities<Pick<Activities, 'runTestCommand'>>({
    startToCloseTimeout: `${s.taskTimeoutSeconds + 60} seconds`,
    heartbeatTimeout: `${s.heartbeatTimeoutSeconds} seconds`,
    retry: { initialInterval: '5s', maximumAttempts: workerLossAttempts(s) },
  });
}

/**
 * The agent run: long, heartbeating. The activity returns the agent's failures as its result, so a
 * retry means the worker (or the infrastructure) failed, never the agent: those retries have their own,
 * higher cap (NIGHTSHIFT_WORKER_LOSS_RETRIES) and do not count against the task. Workers that keep
 * dying show as the `blocked_step` attention condition while the retries go on.
 * Built per task, not per run: its `summary` (shown in the Web UI) names the task.
 */
export function agentRunner(s: PipelineSettings, summary: string) {
  return proxyActivities<Pick<Activities, 'runAgentTask'>>({
    startToCloseTimeout: `${s.taskTimeoutSeconds + 120} seconds`,
    heartbeatTimeout: `${s.heartbeatTimeoutSeconds} seconds`,
    retry: {
      initialInterval: '5s',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: workerLossAttempts(s),
    },
    summary,
  });
}
