import {
  CONDITIONS,
  type Attention,
  type AttentionReport,
  type AttentionThresholds,
  type Condition,
} from '../shared/contracts/monitor';
import { type TaskRecord } from '../shared/contracts/task';

/**
 * The attention rules (contract section 10), pure: everything they need is in
 * the snapshot, so the API (at read time, even with every worker down) and the
 * monitor workflow (through an activity) always agree.
 */
export interface AttentionSnapshot {
  now: number;
  /** Latest record per task. */
  tasks: TaskRecord[];
  /** Pending work exists: the pipeline runs and has items to do that are not waiting on a human. */
  pendingWork: boolean;
  pipelineRunning: boolean;
  /** Latest sign of life not in the task store: activity heartbeats and starts, the pipeline run's start. */
  lastLiveness: number | null;
  /**
   * False when Temporal did not answer for every running workflow in time (a
   * slow visibility query or describe): the latest heartbeat may be missing,
   * so a quiet spell is not evidence of being stuck on this check.
   */
  livenessComplete: boolean;
  successRate: { total: number; rate: number };
  /** Pending activities of the pipeline and its item/task workflows that keep failing (absent: none read). */
  blockedSteps?: BlockedStep[];
}

/** A pending activity on its BLOCKED_AFTER_ATTEMPTS-th attempt or later, with the last failure's text. */
export interface BlockedStep {
  workflowId: string;
  activityType: string;
  attempt: number;
  error: string;
}

/**
 * From this attempt on a failing step is shown. Bookkeeping steps retry without a limit (a full disk delays a record,
 * never loses it) and a lost worker retries the agent step, so without this a pipeline can wait forever, invisibly.
 */
export const BLOCKED_AFTER_ATTEMPTS = 3;

function blockedStepDetail(steps: BlockedStep[]): string {
  const shown = steps.slice(0, 3).map((b) => {
    // an agent step that timed out on its heartbeat lost its worker (the agent's own failures are results, not errors)
    const what =
      b.activityType === 'runAgentTask' && /heartbeat|timed out|timeout/i.test(b.error)
        ? 'runAgentTask (its worker keeps being lost)'
        : b.activityType;
    return `${what} in ${b.workflowId} keeps failing (attempt ${b.attempt}): ${b.error.replace(/\s+/g, ' ').slice(0, 300)}`;
  });
  return `A step the pipeline cannot do without keeps failing; it is retried and the pipeline waits for it. ${shown.join('; ')}${steps.length > 3 ? `; and ${steps.length - 3} more` : ''}.`;
}

const PHASE_TYPES = new Set(['spec', 'impl', 'test', 'review']);
const FINISHED = new Set(['completed', 'failed']);

const at = (iso: string | null | undefined): number => (iso ? Date.parse(iso) || 0 : 0);
const finishedAt = (t: TaskRecord) => at(t.finished_at) || at(t.started_at) || at(t.created_at);

/** Characters the agent printed itself; old records without the count fall back to the stored output. */
function agentPrintedNothing(t: TaskRecord): boolean {
  return typeof t.output_chars === 'number' ? t.output_chars === 0 : (t.output ?? '').trim() === '';
}

/** The latest task start or finish in the task records (0 when there is none). */
export function lastTaskProgress(tasks: readonly TaskRecord[]): number {
  let latest = 0;
  for (const t of tasks) latest = Math.max(latest, at(t.started_at), at(t.finished_at));
  return latest;
}

export function lastProgress(s: AttentionSnapshot): number {
  return Math.max(s.lastLiveness ?? 0, lastTaskProgress(s.tasks));
}

export function evaluateAttention(s: AttentionSnapshot, th: AttentionThresholds): AttentionReport {
  const details: AttentionReport['details'] = {};
  const flags = Object.fromEntries(CONDITIONS.map((c) => [c, false])) as Record<Condition, boolean>;

  const undetermined: Condition[] = [];
  const idleMs = s.now - lastProgress(s);
  if (s.pendingWork && idleMs > th.stuckMinutes * 60_000) {
    if (!s.livenessComplete) undetermined.push('stuck');
    else {
      flags.stuck = true;
      details.stuck = `No task started, finished or heartbeated for ${Math.round(idleMs / 60_000)} min although work is pending (threshold ${th.stuckMinutes} min).`;
    }
  }

  const finished = s.tasks.filter((t) => FINISHED.has(t.status)).sort((a, b) => finishedAt(b) - finishedAt(a));
  let failingPhase: string | null = null;
  for (const phase of ['spec', 'impl', 'test', 'review']) {
    const last = finished.filter((t) => t.task_type === phase).slice(0, th.repeatedFailures);
    if (last.length === th.repeatedFailures && last.every((t) => t.status === 'failed')) {
      flags.repeated_failures = true;
      failingPhase = phase;
      details.repeated_failures = `The last ${th.repeatedFailures} ${phase} tasks failed (${last.map((t) => t.id).join(', ')}).`;
      break;
    }
  }

  if (s.successRate.total >= th.lowSuccessMinTasks && s.successRate.rate < th.lowSuccessRate) {
    flags.low_success_rate = true;
    details.low_success_rate = `7-day success rate ${s.successRate.rate} over ${s.successRate.total} tasks is below ${th.lowSuccessRate}.`;
  }

  const recent = finished.filter((t) => PHASE_TYPES.has(t.task_type) || t.task_type === 'heal').slice(0, 5);
  const empty = recent.find((t) => t.status === 'completed' && agentPrintedNothing(t));
  if (empty) {
    flags.output_empty = true;
    details.output_empty = `Recent completed task ${empty.id} has 0 chars output (capture failure or silent crash).`;
  }
  const crashed = recent.find((t) => t.status === 'failed' && agentPrintedNothing(t));
  if (crashed) {
    flags.executor_fail = true;
    details.executor_fail = `Recent failed task ${crashed.id} has 0 output (executor crash or command not found).`;
  }

  const blocked = s.blockedSteps ?? [];
  if (blocked.length) {
    flags.blocked_step = true;
    details.blocked_step = blockedStepDetail(blocked);
  }

  // The contract's keys and `flags` first, in their order; keys added since come after them.
  const { blocked_step, ...contractFlags } = flags;
  const attention: Attention = { ...contractFlags, flags: CONDITIONS.filter((c) => flags[c]), blocked_step };
  return {
    attention,
    details,
    failingPhase,
    undetermined,
    pipelineRunning: s.pipelineRunning,
    checkedAt: new Date(s.now).toISOString(),
  };
}

/** `Attention: stuck, repeated_failures` or `Attention: —`. */
export function attentionLine(a: Attention): string {
  return `Attention: ${a.flags.length ? a.flags.join(', ') : '—'}`;
}
