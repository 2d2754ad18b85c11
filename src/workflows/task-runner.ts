import { condition, isCancellation, log, patched, setCurrentDetails, setHandler, sleep } from '@temporalio/workflow';
import { decideUpdate } from '../shared/messages';
import { agentRunner, bookkeeping, notifications, workerLossAttempts, type RunSteps } from './steps';
import type { PipelineSettings } from '../shared/contracts/pipeline';
import type { CommitTaskInput, CommitTaskResult } from '../shared/contracts/repository';
import type { RunAgentTaskResult, TaskRecord, TaskSpec } from '../shared/contracts/task';
import { finishedRecordOf, runRecordOf } from '../shared/task-record';

/** Patch id: runs recorded before the agent step committed a completed run itself commit it in a step of their own. */
const COMMIT_IN_AGENT_STEP = 'commit-in-agent-step';

/** Patch id: runs recorded before the agent step wrote a finished task's record itself write it with finishTask. */
const RECORD_IN_AGENT_STEP = 'record-in-agent-step';

/**
 * The commit step reports git failures itself; one that never finished (every
 * attempt timed out, say) is recorded the same way: a commit never fails the task.
 */
async function commitOrReport(steps: RunSteps, input: CommitTaskInput): Promise<CommitTaskResult> {
  try {
    // a git step like the project's own: bounded, heartbeating, retried; it reports git failures instead of throwing
    return await steps.project.commitTask(input);
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    const error = `the commit step did not finish: ${cause}`;
    log.warn('auto-commit failed', { taskId: input.taskId, error });
    return { committed: false, sha: null, skipped: 'error', pushed: false, pushError: null, error };
  }
}

/** The task a workflow is waiting on for a human decision (set by the `decide` update). */
export interface DecisionWait {
  waiting: { taskId: string; prompt: string; since: string } | null;
  decision: string | null;
}

export interface TaskRunContext {
  settings: PipelineSettings;
  /** The run's activity groups, built once by the workflow. */
  steps: RunSteps;
  workDir: string;
  commit: boolean;
  summary: string;
  workflowId: string;
  wait: DecisionWait;
  shouldStop: () => boolean;
  onWaiting?: (waiting: boolean) => Promise<void>;
  onRateLimited?: (until: string) => Promise<void>;
  /**
   * The model API refused the agent's credential. With this handler the task is not failed: it is saved as
   * pending and runs again after `resume` (the pipeline pauses itself); without one it fails like any task.
   */
  onCredentialRejected?: (message: string) => Promise<void>;
  context?: Record<string, unknown>;
  /**
   * Return a finished task before its record is written: the record's activity is
   * then scheduled in the same workflow task as whatever the caller does next (the
   * next agent run), instead of costing the hand-off a round trip. The caller must
   * await `recorded` before it ends.
   */
  recordBesideNext?: boolean;
  /**
   * With `recordBesideNext`: the earlier tasks' records, which this task's record follows (records stay in task order).
   */
  previousRecords?: Promise<unknown>;
  /**
   * Whether earlier tasks' records are still being written (by finishTask): this task's record then follows them
   * through finishTask too, so records stay in task order. Absent: none are.
   */
  recordsPending?: () => boolean;
}

export type TaskEnd =
  | { kind: 'finished'; result: RunAgentTaskResult; record: TaskRecord; recorded: Promise<void> }
  | { kind: 'decided'; result: RunAgentTaskResult; record: TaskRecord; prompt: string; decision: string }
  | { kind: 'decision_timeout'; result: RunAgentTaskResult; record: TaskRecord }
  | { kind: 'stopped_waiting'; result: RunAgentTaskResult; record: TaskRecord }
  | { kind: 'rate_limited'; result: RunAgentTaskResult; record: TaskRecord; until: string }
  | { kind: 'credential_rejected'; result: RunAgentTaskResult; record: TaskRecord; message: string };

function failedRun(err: unknown, attempts: number): RunAgentTaskResult {
  const now = new Date().toISOString();
  const message =
    err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err);
  // every attempt's worker was lost (a heartbeat or start-to-close timeout): say so, and which cap ran out
  const lost = /timed out|timeout/i.test(message)
    ? ` (the worker was lost on all ${attempts} attempts; NIGHTSHIFT_WORKER_LOSS_RETRIES)`
    : '';
  return {
    status: 'failed',
    output: `[Pipeline] Task could not run${lost}: ${message}`,
    exitCode: null,
    durationSeconds: 0,
    startedAt: now,
    finishedAt: now,
    timedOut: false,
    verdict: null,
    outputChars: 0,
  };
}

/**
 * One task from start to end: the agent run, then either the commit and its
 * records, or — when the agent asked a question — a durable wait for the
 * decision (or its timeout) before the task is recorded as ended.
 */
export async function runTaskToEnd(ctx: TaskRunContext, task: TaskSpec): Promise<TaskEnd> {
  const s = ctx.settings;
  setCurrentDetails(`**${task.task_type}** (iteration ${task.iteration}) — task \`${task.id}\`\n\n${ctx.summary}`);
  const commits = ctx.commit && task.task_type !== 'heal';
  // The agent step commits a completed run itself: one activity and one workflow task fewer per task.
  const commitInStep = commits && patched(COMMIT_IN_AGENT_STEP);
  // ...and writes a finished task's record (snapshot and metrics line): one more activity and workflow task fewer.
  const recordInStep = patched(RECORD_IN_AGENT_STEP) && (!commits || commitInStep) && !ctx.recordsPending?.();
  let result: RunAgentTaskResult;
  try {
    result = await agentRunner(s, `${task.task_type} #${task.iteration}: ${ctx.summary.slice(0, 120)}`).runAgentTask({
      task,
      projectRoot: ctx.workDir,
      stateDir: s.stateDir,
      agent: s.agent,
      timeoutSeconds: s.taskTimeoutSeconds,
      // an item's own worktree is nightshift's to reset before a retry; the project root is the user's
      ownsTree: ctx.workDir !== s.projectRoot,
      rateLimit: s.rateLimitPattern
        ? { pattern: s.rateLimitPattern, backoffMinutes: s.rateLimitBackoffMinutes ?? 30 }
        : undefined,
      ...(commitInStep ? { commitWhenCompleted: { push: s.autoPush } } : {}),
      ...(recordInStep
        ? {
            recordWhenFinished: {
              metricsFile: s.metricsFile,
              credentialHeld: !!ctx.onCredentialRejected,
              workflowId: ctx.workflowId,
            },
          }
        : {}),
    });
  } catch (err) {
    if (isCancellation(err)) throw err;
    result = failedRun(err, workerLossAttempts(s)); // worker-loss retries exhausted, or the activity itself broke
  }
  const base = runRecordOf(task, result, ctx.workflowId);
  const credential = result.credentialRejected && ctx.onCredentialRejected ? result.credentialRejected : null;
  if (result.rateLimitedUntil || result.status === 'needs_decision' || credential) await ctx.previousRecords; // its snapshots come after the earlier records
  if (credential) return holdForCredential(ctx, task, result, base, credential);
  if (result.rateLimitedUntil) return waitForLimitReset(ctx, task, result, base, result.rateLimitedUntil);
  if (result.status === 'needs_decision') return waitForDecision(ctx, task, result, base);
  const commit =
    commits && result.status === 'completed'
      ? (result.commit ??
        (await commitOrReport(ctx.steps, {
          cwd: ctx.workDir,
          taskId: task.id,
          taskType: task.task_type,
          direction: task.direction,
          push: s.autoPush,
        })))
      : null;
  const record = finishedRecordOf(base, commit);
  if (result.recorded) return { kind: 'finished', result, record, recorded: Promise.resolve() };
  const write = () => finishRecord(s, record, result.durationSeconds);
  // When the earlier records are written (the usual case) this schedules at once, in the same workflow task.
  const recorded = ctx.recordBesideNext ? (ctx.previousRecords ?? Promise.resolve()).then(write) : write();
  if (!ctx.recordBesideNext) await recorded;
  else recorded.catch(() => undefined); // marks a cancelled record as handled; the caller still awaits the original
  return { kind: 'finished', result, record, recorded };
}

/**
 * Waits durably for `decide` on a task (a webhook event announces it). Returns
 * the decision, or null when the wait timed out (PIPELINE_NEEDS_DECISION_TIMEOUT_HOURS)
 * or the workflow was asked to stop.
 */
export async function awaitDecision(
  ctx: TaskRunContext,
  task: TaskSpec,
  prompt: string,
): Promise<{ decision: string | null; timedOut: boolean }> {
  const s = ctx.settings;
  ctx.wait.waiting = { taskId: task.id, prompt, since: new Date().toISOString() };
  ctx.wait.decision = null;
  if (s.notifyWebhookUrl) {
    await notifications.notify({
      url: s.notifyWebhookUrl,
      event: {
        event: 'needs_decision',
        task_id: task.id,
        task_type: task.task_type,
        item_key: task.item_key,
        prompt,
        workflow_id: ctx.workflowId,
        at: new Date().toISOString(),
        ...ctx.context,
      },
    });
  }
  await ctx.onWaiting?.(true);
  const hours = s.needsDecisionTimeoutHours ?? 0;
  const answered = () => ctx.wait.decision !== null || ctx.shouldStop();
  const inTime = hours > 0 ? await condition(answered, hours * 3_600_000) : (await condition(answered), true);
  await ctx.onWaiting?.(false);
  const decision = ctx.wait.decision;
  ctx.wait.waiting = null;
  ctx.wait.decision = null;
  return { decision, timedOut: !inTime };
}

/** Records a task as ended (snapshot + its one metrics line). */
export async function finishRecord(s: PipelineSettings, record: TaskRecord, durationSeconds: number): Promise<void> {
  await bookkeeping.finishTask({ stateDir: s.stateDir, metricsFile: s.metricsFile, task: record, durationSeconds });
}

/** Records a task that has not ended yet (no metrics line). */
export async function saveRecord(s: PipelineSettings, record: TaskRecord): Promise<void> {
  await bookkeeping.saveTask({ stateDir: s.stateDir, task: record });
}

async function waitForDecision(
  ctx: TaskRunContext,
  task: TaskSpec,
  result: RunAgentTaskResult,
  base: TaskRecord,
): Promise<TaskEnd> {
  const s = ctx.settings;
  const prompt = result.decisionPrompt ?? '';
  await saveRecord(s, { ...base, finished_at: null });
  const { decision, timedOut } = await awaitDecision(ctx, task, prompt);
  const now = new Date().toISOString();
  if (decision !== null) {
    const record: TaskRecord = { ...base, status: 'completed', decision, finished_at: now };
    await finishRecord(s, record, result.durationSeconds);
    return { kind: 'decided', result, record, prompt, decision };
  }
  if (timedOut) {
    const record: TaskRecord = {
      ...base,
      status: 'failed',
      finished_at: now,
      output: `${result.output}\n${decisionTimeoutNote(s)}`.slice(-4000),
    };
    await finishRecord(s, record, result.durationSeconds);
    return { kind: 'decision_timeout', result, record };
  }
  return { kind: 'stopped_waiting', result, record: base };
}

/** A usage limit is not a failure: no metrics line; the task waits (durable timer) and runs again. */
async function waitForLimitReset(
  ctx: TaskRunContext,
  task: TaskSpec,
  result: RunAgentTaskResult,
  base: TaskRecord,
  until: string,
): Promise<TaskEnd> {
  const record: TaskRecord = { ...base, status: 'pending', finished_at: null, exit_code: null };
  await saveRecord(ctx.settings, record);
  log.warn('agent usage limit reached; pausing', { taskId: task.id, until });
  await ctx.onRateLimited?.(until);
  const ms = Date.parse(until) - Date.now();
  if (ms > 0) await sleep(ms);
  return { kind: 'rate_limited', result, record, until };
}

/**
 * A refused credential is not the task's failure: no metrics line; the task is kept pending and the pipeline pauses.
 */
async function holdForCredential(
  ctx: TaskRunContext,
  task: TaskSpec,
  result: RunAgentTaskResult,
  base: TaskRecord,
  message: string,
): Promise<TaskEnd> {
  const record: TaskRecord = { ...base, status: 'pending', finished_at: null, exit_code: null };
  await saveRecord(ctx.settings, record);
  log.error('agent credential refused; pausing the pipeline', { taskId: task.id, message });
  await ctx.onCredentialRejected?.(message);
  return { kind: 'credential_rejected', result, record, message };
}

export function decisionTimeoutNote(s: PipelineSettings): string {
  return `[Pipeline] No decision within ${s.needsDecisionTimeoutHours ?? 0} h (PIPELINE_NEEDS_DECISION_TIMEOUT_HOURS); failing.`;
}

/** The direction of the task after a decision: the same work, with the human's answer. */
export function withDecision(direction: string, prompt: string, decision: string): string {
  return `${direction}\n\nDecision on "${prompt}": ${decision}`;
}

/** `decide`: accepted only for the task that is waiting; anything else is rejected before it reaches history. */
export function handleDecisions(wait: DecisionWait): void {
  setHandler(
    decideUpdate,
    ({ taskId, decision }) => {
      wait.decision = decision.trim();
      return { accepted: true, taskId };
    },
    {
      validator: ({ taskId, decision }) => {
        if (!wait.waiting || wait.waiting.taskId !== taskId)
          throw new Error(`task ${taskId} is not waiting for a decision`);
        if (typeof decision !== 'string' || decision.trim() === '')
          throw new Error('decision must be a non-empty string');
      },
    },
  );
}
