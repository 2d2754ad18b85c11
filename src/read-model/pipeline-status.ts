import type { WorkflowExecutionDescription } from '@temporalio/client';
import { pipelineStatusQuery } from '../shared/messages';
import { pipelineWorkflowId } from '../shared/names';
import type { Attention, AttentionReport, AttentionThresholds, MonitorIssue } from '../shared/contracts/monitor';
import type { ItemStatusView, PipelineResult, PipelineStatusView } from '../shared/contracts/pipeline';
import type { TaskRecord } from '../shared/contracts/task';
import type { MetricsStore } from '../metrics/store';
import { evaluateAttention } from '../monitor/attention';
import { attentionSnapshot, LIVENESS_READ_LIMIT_MS } from '../monitor/snapshot';
import { readMonitorIssuesFile } from '../monitor/issues-file';
import type { EnvConfig, ProjectPaths } from '../config';
import { attentionThresholds } from '../settings/pipeline-settings';
import { readLogTail } from '../tasks/log-slices';
import { taskLogPath } from '../tasks/paths';
import type { TaskIndex } from '../tasks/store';
import { withTimeLimit, type TemporalClient } from '../temporal/connection';
import { describePipeline, queryOpenPipeline, queryRunningItem } from '../temporal/pipeline-control';
import { LruMap } from '../util/lru-map';

/** How long Temporal gets to answer before the API says 503 (contract: within 2 s). */
const DESCRIBE_DEADLINE_MS = 1500;
const QUERY_DEADLINE_MS = 1500;
const ITEM_QUERY_DEADLINE_MS = 800;
/**
 * The longest a status takes to compute when Temporal answers late: the describe, then the queries beside the liveness
 * read.
 */
export const STATUS_COMPUTE_LIMIT_MS =
  DESCRIBE_DEADLINE_MS + Math.max(QUERY_DEADLINE_MS + ITEM_QUERY_DEADLINE_MS, LIVENESS_READ_LIMIT_MS);

export interface StatusTaskView {
  id: string;
  task_type: string;
  model: string;
  direction: string;
  created_at: string;
  updated_at: string | null;
  wait_seconds: number | null;
  running_seconds: number | null;
  duration_seconds: number | null;
  output_len?: number;
  live_tail?: string[] | null;
}

export interface PipelineSection {
  workflow_id: string;
  state: string;
  paused: boolean;
  items_by_state: Record<string, number>;
  /**
   * `text` is an excerpt of ITEM_TEXT_EXCERPT_CHARS at most; the whole text is at GET /api/agent/pipeline/items/{key}.
   */
  items: {
    key: string;
    text: string;
    text_truncated: boolean;
    source: string;
    state: string;
    phase: string | null;
    iteration: number;
  }[];
  started_at: string | null;
  run_started_at: string | null;
  deadline: string | null;
  continue_as_new_count: number;
  tasks_run: number;
  history_length: number | null;
  worker: 'ok' | 'unavailable' | null;
  /** Dispatch is paused until an agent's usage limit resets. */
  rate_limited_until: string | null;
  /** Why the pipeline paused itself (the agent's credential was refused), until `resume`. */
  pause_reason?: string | null;
}

export interface PipelineStatusResponse {
  running: StatusTaskView[];
  pending: StatusTaskView[];
  running_by_phase: { spec: number; impl: number; test: number; review: number };
  recent_completed: StatusTaskView[];
  latest_request: { task_id: string; status: string; direction: string; prompt_preview: string } | null;
  latest_response: { task_id: string; status: string; output_preview: string; output_len: number } | null;
  attention: Attention;
  pipeline: PipelineSection;
  issues: MonitorIssue[];
}

/**
 * How much of each item's text the status carries: a backlog item can be pages long, and the status is polled
 * every few seconds by every open dashboard.
 */
export const ITEM_TEXT_EXCERPT_CHARS = 200;

/** The first ITEM_TEXT_EXCERPT_CHARS UTF-16 units of a text, never ending in half a surrogate pair. */
export function itemTextExcerpt(text: string): { text: string; text_truncated: boolean } {
  if (text.length <= ITEM_TEXT_EXCERPT_CHARS) return { text, text_truncated: false };
  const cut = text.slice(0, ITEM_TEXT_EXCERPT_CHARS);
  const last = cut.charCodeAt(cut.length - 1);
  return { text: last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut, text_truncated: true };
}

const secondsBetween = (from: string | null, to: number): number | null =>
  from ? Math.max(0, Math.round((to - Date.parse(from)) / 1000)) : null;

function view(
  t: TaskRecord | (ItemStatusView['currentTask'] & object),
  now: number,
  extra: Partial<StatusTaskView> = {},
): StatusTaskView {
  const finished = 'finished_at' in t ? t.finished_at : null;
  const started = t.started_at;
  return {
    id: t.id,
    task_type: t.task_type,
    model: t.model,
    direction: t.direction.slice(0, 100),
    created_at: t.created_at,
    updated_at: finished ?? started ?? null,
    wait_seconds: t.status === 'pending' ? secondsBetween(t.created_at, now) : null,
    running_seconds: t.status === 'running' ? secondsBetween(started, now) : null,
    duration_seconds:
      finished && started ? Math.max(0, Math.round((Date.parse(finished) - Date.parse(started)) / 1000)) : null,
    ...extra,
  };
}

/** Enough of a log's end for its last 20 lines: the status is built every second, and a log can be megabytes. */
const LIVE_TAIL_BYTES = 64 * 1024;

async function liveTail(stateDir: string, taskId: string): Promise<string[] | null> {
  try {
    const slice = await readLogTail(taskLogPath(stateDir, taskId), LIVE_TAIL_BYTES);
    if (!slice) return null;
    const lines = slice.bytes.toString('utf8').split('\n');
    // a tail that starts inside the file starts inside a line
    return (slice.start > 0 ? lines.slice(1) : lines)
      .slice(-21)
      .filter((l) => l.trim() !== '')
      .slice(-20);
  } catch {
    return null;
  }
}

export interface PipelineStatusDeps {
  temporal: TemporalClient;
  projectId: string;
  stateDir: string;
  tasks: TaskIndex;
  metrics: MetricsStore;
  projectRoot: string;
  backlog: { productBacklog: string; metaBacklog: string; metaRatio: number };
  thresholds: AttentionThresholds;
}

/**
 * The pipeline sections of ended runs, by run id: an ended run's answer never changes, and asking for it again
 * would make a worker replay the run's whole history (and needs a worker at all). Per process (the API, a `status
 * --watch`).
 */
const endedSections = new LruMap<string, PipelineSection>(64);

/**
 * What the item's running task record tells: its phase and iteration are the item's own while that task runs,
 * and the task is no pending one. Records of an earlier pipeline (one that died with tasks running) do not count.
 */
function runningTaskOf(tasks: TaskRecord[], pipelineStartedAt: string): Map<string, TaskRecord> {
  const byItem = new Map<string, TaskRecord>();
  for (const t of tasks)
    if (t.status === 'running' && t.item_key && t.created_at >= pipelineStartedAt && !byItem.has(t.item_key))
      byItem.set(t.item_key, t);
  return byItem;
}

/**
 * The pipeline section: from the workflow's status query, or from describe() when no worker answers. `query` is the
 * status query of an open run, started beside the describe; it is rejected by the server once the run has ended.
 */
async function pipelineSection(
  deps: PipelineStatusDeps,
  description: WorkflowExecutionDescription | null,
  query: Promise<PipelineStatusView>,
  tasksRead: Promise<TaskRecord[]>,
): Promise<{ section: PipelineSection; status: PipelineStatusView | null; items: ItemStatusView[] }> {
  const workflowId = pipelineWorkflowId(deps.projectId);
  const { client } = deps.temporal;
  const empty: PipelineSection = {
    workflow_id: workflowId,
    state: 'not_started',
    paused: false,
    items_by_state: { pending: 0, running: 0, passed: 0, failed: 0 },
    items: [],
    started_at: null,
    run_started_at: null,
    deadline: null,
    continue_as_new_count: 0,
    tasks_run: 0,
    history_length: null,
    worker: null,
    rate_limited_until: null,
  };
  if (!description) return { section: empty, status: null, items: [] };
  const running = description.status.name === 'RUNNING';
  const closedState = description.status.name.toLowerCase();
  const runKey = `${workflowId}/${description.runId}`;
  const known = running ? undefined : endedSections.get(runKey);
  // kept from an earlier answer: no worker was asked this time
  if (known) return { section: { ...known, worker: null }, status: null, items: [] };
  const handle = client.workflow.getHandle(workflowId, description.runId);
  // A query on an ended pipeline replays its whole history on a worker (slow on a busy machine, impossible with none
  // running);
  // its result, read beside the query, still gives the final counts.
  const ended = running
    ? null
    : withTimeLimit(deps.temporal, QUERY_DEADLINE_MS, () => handle.result() as Promise<PipelineResult>).catch(
        () => null,
      );
  let status: PipelineStatusView;
  try {
    status = running
      ? await query
      : await withTimeLimit(deps.temporal, QUERY_DEADLINE_MS, () => handle.query(pipelineStatusQuery));
  } catch {
    const result = await ended;
    const counts = result && {
      items_by_state: { pending: 0, running: 0, passed: result.itemsPassed, failed: result.itemsFailed },
      tasks_run: result.tasksRun,
    };
    const section = {
      ...empty,
      ...counts,
      state: running ? 'running' : closedState,
      started_at: description.startTime.toISOString(),
      history_length: description.historyLength,
      worker: running ? ('unavailable' as const) : null,
    };
    return { section, status: null, items: [] };
  }
  // An item running a task recorded in the task index needs no query: the record has its phase and iteration.
  const recorded = runningTaskOf(await tasksRead, status.startedAt);
  const toQuery = status.items.filter((i) => i.workflowId && !recorded.has(i.key));
  const items = (
    await Promise.all(toQuery.map((i) => queryRunningItem(deps.temporal, i.workflowId!, ITEM_QUERY_DEADLINE_MS)))
  ).filter((v): v is ItemStatusView => v !== null);
  const byKey = new Map<string, { phase: string; iteration: number }>(items.map((i) => [i.itemKey, i]));
  for (const i of status.items) {
    const task = i.workflowId ? recorded.get(i.key) : undefined;
    if (task) byKey.set(i.key, { phase: task.task_type, iteration: task.iteration });
  }
  const section: PipelineSection = {
    workflow_id: workflowId,
    state: running ? status.state : closedState,
    paused: status.paused,
    items_by_state: status.itemsByState,
    items: status.items.map((i) => ({
      key: i.key,
      ...itemTextExcerpt(i.text),
      source: i.source,
      state: i.state,
      phase: byKey.get(i.key)?.phase ?? i.phase,
      iteration: byKey.get(i.key)?.iteration ?? i.iteration,
    })),
    started_at: status.startedAt,
    run_started_at: status.runStartedAt,
    deadline: status.deadline,
    continue_as_new_count: status.continueAsNewCount,
    tasks_run: status.tasksRun,
    history_length: status.historyLength,
    worker: 'ok',
    rate_limited_until: status.rateLimitedUntil ?? null,
    pause_reason: status.pauseReason ?? null,
  };
  if (!running) endedSections.set(runKey, section);
  return { section, status, items };
}

/** GET /api/agent/pipeline-status: the reference's shape plus `pipeline` and `issues`. */
export async function getPipelineStatus(deps: PipelineStatusDeps): Promise<PipelineStatusResponse> {
  return (await getPipelineStatusWithDetails(deps)).status;
}

/**
 * The status and, per raised attention condition, its one-line evidence (what `nightshift status --attention` prints).
 */
export async function getPipelineStatusWithDetails(
  deps: PipelineStatusDeps,
): Promise<{ status: PipelineStatusResponse; details: AttentionReport['details'] }> {
  // The describe, the status query of an open run and the files side by side; then the item queries the task
  // index cannot answer, beside the attention rules' liveness read.
  const described = describePipeline(deps.temporal, deps.projectId, DESCRIBE_DEADLINE_MS);
  const query = queryOpenPipeline(deps.temporal, deps.projectId, QUERY_DEADLINE_MS);
  query.catch(() => undefined); // unused when the describe says the run has ended
  const tasksRead = deps.tasks.all();
  const [{ section, items }, snapshot, all, monitor] = await Promise.all([
    described.then((description) => pipelineSection(deps, description, query, tasksRead)),
    described.then((description) =>
      attentionSnapshot({
        temporal: deps.temporal,
        projectId: deps.projectId,
        projectRoot: deps.projectRoot,
        stateDir: deps.stateDir,
        tasks: deps.tasks,
        metrics: deps.metrics,
        ...deps.backlog,
        pipeline: description,
        stuckAfterMs: deps.thresholds.stuckMinutes * 60_000,
      }),
    ),
    tasksRead,
    readMonitorIssuesFile(deps.stateDir),
  ]);
  const now = Date.now();
  const runningTasks = all.filter((t) => t.status === 'running');
  const known = new Set(all.map((t) => t.id));
  const pendingTasks = items
    .map((i) => i.currentTask)
    .filter((t): t is NonNullable<ItemStatusView['currentTask']> => !!t && !known.has(t.id));
  const running = runningTasks.slice(0, 10).map((t) => view(t, now));
  if (running[0]) running[0].live_tail = await liveTail(deps.stateDir, running[0].id);
  const pending = pendingTasks
    .map((t) => view({ ...t, status: 'pending' }, now))
    .sort((a, b) => a.created_at.localeCompare(b.created_at))
    .slice(0, 20);
  const byPhase = { spec: 0, impl: 0, test: 0, review: 0 };
  for (const t of [...runningTasks, ...pendingTasks])
    if (t.task_type in byPhase) byPhase[t.task_type as keyof typeof byPhase]++;
  const finished = all
    .filter((t) => t.status === 'completed' || t.status === 'failed' || t.status === 'needs_decision')
    .sort((a, b) => (b.finished_at ?? b.created_at).localeCompare(a.finished_at ?? a.created_at));
  const recent = finished.slice(0, 10).map((t) => view(t, now, { output_len: t.output?.length ?? 0 }));
  const requestFrom = runningTasks[0] ?? finished[0];
  const responseFrom = finished[0];
  const report = evaluateAttention(snapshot, deps.thresholds);
  const status: PipelineStatusResponse = {
    running,
    pending,
    running_by_phase: byPhase,
    recent_completed: recent,
    // A direction holds the item's text and earlier output: 500 characters here, the whole in GET
    // /api/agent/tasks/{id}.
    latest_request: requestFrom
      ? {
          task_id: requestFrom.id,
          status: requestFrom.status,
          direction: requestFrom.direction.slice(0, 500),
          prompt_preview: requestFrom.direction.slice(0, 500),
        }
      : null,
    latest_response: responseFrom
      ? {
          task_id: responseFrom.id,
          status: responseFrom.status,
          output_preview: (responseFrom.output ?? '').slice(0, 2000),
          output_len: responseFrom.output?.length ?? 0,
        }
      : null,
    attention: report.attention,
    pipeline: section,
    issues: monitor.issues,
  };
  return { status, details: report.details };
}

/** The status dependencies of one project, from its config (used by the API and the CLI). */
export function statusDeps(
  config: EnvConfig,
  paths: ProjectPaths,
  temporal: TemporalClient,
  tasks: TaskIndex,
  metrics: MetricsStore,
): PipelineStatusDeps {
  return {
    temporal,
    projectId: paths.projectId,
    projectRoot: paths.projectRoot,
    stateDir: paths.stateDir,
    tasks,
    metrics,
    backlog: {
      productBacklog: config.PIPELINE_BACKLOG,
      metaBacklog: config.PIPELINE_META_BACKLOG,
      metaRatio: config.PIPELINE_META_RATIO,
    },
    thresholds: attentionThresholds(config),
  };
}
