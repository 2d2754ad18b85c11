import { WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import { loadBacklog } from '../backlog/load';
import { readItemOutcomes } from '../backlog/outcomes';
import type { MetricsStore } from '../metrics/store';
import type { TaskIndex } from '../tasks/store';
import { withTimeLimit, type TemporalClient } from '../temporal/connection';
import { describePipeline } from '../temporal/pipeline-control';
import { projectWorkflowIdPrefix } from '../shared/names';
import type { TaskRecord } from '../shared/contracts/task';
import { BLOCKED_AFTER_ATTEMPTS, lastTaskProgress, type AttentionSnapshot, type BlockedStep } from './attention';

export interface SnapshotSources {
  temporal: TemporalClient | null;
  projectId: string;
  projectRoot: string;
  productBacklog: string;
  metaBacklog: string;
  metaRatio: number;
  stateDir: string;
  tasks: TaskIndex;
  metrics: MetricsStore;
  /** The pipeline's description when the caller already has it (null: not started), so it is not asked twice. */
  pipeline?: WorkflowExecutionDescription | null;
  /**
   * The stuck threshold in ms. When given, the running workflows' heartbeats are not read while the task records (or
   * the pipeline run's start) show progress within half of it: heartbeats only make the last sign of life later, so
   * they cannot change the stuck verdict then, and reading them costs Temporal a list and a describe per workflow.
   */
  stuckAfterMs?: number;
}

const CALL_LIMIT_MS = 1500;
/**
 * The longest the liveness read takes with the pipeline's description given: the list, then the describes side by side.
 */
export const LIVENESS_READ_LIMIT_MS = 2 * CALL_LIMIT_MS;
/** Running item/task workflows whose activity heartbeats are read, at most. */
const MAX_DESCRIBED = 20;

const ms = (d: unknown): number => {
  if (!d) return 0;
  if (d instanceof Date) return d.getTime();
  const t = d as { seconds?: number | { toNumber(): number }; nanos?: number };
  if (t.seconds === undefined) return 0;
  const secs = typeof t.seconds === 'number' ? t.seconds : t.seconds.toNumber();
  return secs * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
};

type PendingActivity = NonNullable<WorkflowExecutionDescription['raw']['pendingActivities']>[number];

/** The workflow's pending activities on their BLOCKED_AFTER_ATTEMPTS-th attempt or later that have failed. */
function blockedStepsOf(workflowId: string, pending: PendingActivity[] | null | undefined): BlockedStep[] {
  const out: BlockedStep[] = [];
  for (const a of pending ?? []) {
    const attempt = a.attempt ?? 0;
    const error = a.lastFailure?.message;
    if (attempt < BLOCKED_AFTER_ATTEMPTS || !error) continue;
    const cause = a.lastFailure?.cause?.message;
    out.push({
      workflowId,
      activityType: a.activityType?.name ?? 'unknown',
      attempt,
      error: cause && cause !== error ? `${error}: ${cause}` : error,
    });
  }
  return out;
}

interface TemporalView {
  pipelineRunning: boolean;
  lastLiveness: number | null;
  complete: boolean;
  blockedSteps: BlockedStep[];
}

/**
 * What Temporal alone knows (answered by the server, no worker needed): is the pipeline running, the latest
 * heartbeat, and the pending activities that keep failing. The item and task workflows are described on every read
 * (a list and at most MAX_DESCRIBED describes): a record that cannot be written blocks an item however recently
 * another one progressed.
 */
async function temporalLiveness(src: SnapshotSources, tasksRead: Promise<TaskRecord[]>): Promise<TemporalView> {
  if (!src.temporal) return { pipelineRunning: true, lastLiveness: null, complete: true, blockedSteps: [] };
  const t = src.temporal;
  let pipelineRunning = false;
  let latest = 0;
  const d = src.pipeline !== undefined ? src.pipeline : await describePipeline(t, src.projectId, CALL_LIMIT_MS);
  const blockedSteps: BlockedStep[] = [];
  if (d) {
    pipelineRunning = d.status.name === 'RUNNING';
    latest = Math.max(latest, d.startTime.getTime(), ms(d.raw.workflowExecutionInfo?.executionTime));
    if (pipelineRunning) blockedSteps.push(...blockedStepsOf(d.workflowId, d.raw.pendingActivities));
  }
  if (!pipelineRunning) return { pipelineRunning, lastLiveness: latest || null, complete: true, blockedSteps };
  // Progress this recent decides `stuck` alone: heartbeats only make the last sign of life later.
  const progressed =
    src.stuckAfterMs !== undefined &&
    Date.now() - Math.max(latest, lastTaskProgress(await tasksRead)) < src.stuckAfterMs / 2;
  let complete = true;
  const ids: string[] = [];
  const query = `ExecutionStatus = 'Running' AND WorkflowId STARTS_WITH '${projectWorkflowIdPrefix(src.projectId)}'`;
  await withTimeLimit(t, CALL_LIMIT_MS, async () => {
    for await (const w of t.client.workflow.list({ query, pageSize: MAX_DESCRIBED })) {
      if (w.workflowId.includes('-item-') || w.workflowId.includes('-task-')) ids.push(w.workflowId);
      if (ids.length >= MAX_DESCRIBED) break;
    }
  }).catch(() => {
    complete = false;
  });
  const described = await Promise.all(
    ids.map((id) =>
      withTimeLimit(t, CALL_LIMIT_MS, () => t.client.workflow.getHandle(id).describe()).catch((err) => {
        // one that ended between the list and the describe has no heartbeat to miss
        if (!(err instanceof WorkflowNotFoundError)) complete = false;
        return null;
      }),
    ),
  );
  for (const d of described) {
    if (!d) continue;
    for (const a of d.raw.pendingActivities ?? [])
      latest = Math.max(latest, ms(a.lastHeartbeatTime), ms(a.lastStartedTime));
    blockedSteps.push(...blockedStepsOf(d.workflowId, d.raw.pendingActivities));
  }
  return { pipelineRunning, lastLiveness: latest || null, complete: complete || progressed, blockedSteps };
}

/** Gathers what the attention rules need. Throws TemporalUnreachableError when Temporal does not answer. */
export async function attentionSnapshot(src: SnapshotSources, windowDays = 7): Promise<AttentionSnapshot> {
  const tasksRead = src.tasks.all();
  const [liveness, tasks, aggregates, backlog, outcomes] = await Promise.all([
    temporalLiveness(src, tasksRead),
    tasksRead,
    src.metrics.aggregates(windowDays),
    loadBacklog({
      projectRoot: src.projectRoot,
      productBacklog: src.productBacklog,
      metaBacklog: src.metaBacklog,
      metaRatio: src.metaRatio,
    }),
    readItemOutcomes(src.stateDir),
  ]);
  const waitingItems = new Set(tasks.filter((t) => t.status === 'needs_decision' && t.item_key).map((t) => t.item_key));
  const todo = backlog.items.filter((i) => {
    const o = outcomes[i.key]?.outcome;
    return o !== 'passed' && o !== 'failed' && !waitingItems.has(i.key);
  });
  const runningTasks = tasks.some((t) => t.status === 'running');
  return {
    now: Date.now(),
    tasks,
    pendingWork: liveness.pipelineRunning && (todo.length > 0 || runningTasks),
    pipelineRunning: liveness.pipelineRunning,
    lastLiveness: liveness.lastLiveness,
    livenessComplete: liveness.complete,
    blockedSteps: liveness.blockedSteps,
    successRate: { total: aggregates.success_rate.total, rate: aggregates.success_rate.rate },
  };
}
