import type { MonitorSettings } from './monitor';
import type { AgentSettings, Phase, TaskSpec, TaskStatus } from './task';

/**
 * The pipeline and its items: settings, backlog items, item records and what a pipeline carries across
 * continue-as-new; the pipeline and item workflows' inputs, results and status views; the backlog and outcome
 * activities.
 * Every workflow and activity takes one input object and returns one result object, so fields can be added without
 * breaking running executions. Sandbox-safe.
 */

export type ItemSource = 'product' | 'meta';

export type ItemState = 'pending' | 'running' | 'passed' | 'failed';

/** Everything a pipeline run needs, resolved once by `start` from the config and carried in history. */
export interface PipelineSettings {
  projectRoot: string;
  stateDir: string;
  metricsFile: string;
  productBacklog: string;
  metaBacklog: string;
  metaRatio: number;
  agent: AgentSettings;
  maxIterations: number;
  testCommand: string[] | null;
  taskTimeoutSeconds: number;
  backlogPollSeconds: number;
  continueAsNewEvents: number;
  /** How long a silent agent activity may go unnoticed before it is retried elsewhere. */
  heartbeatTimeoutSeconds: number;
  /**
   * Retries of an agent step whose worker was lost (NIGHTSHIFT_WORKER_LOSS_RETRIES); absent in older histories (then
   * 20).
   */
  workerLossRetries?: number;
  /** Commit after each completed task (always done in item worktrees, whose commits are merged). */
  autoCommit: boolean;
  autoPush: boolean;
  /** Items at once; above 1 each item works in its own git worktree and branch. */
  parallelItems: number;
  /** The branch the pipeline started on: item branches are cut from it and merged back into it. */
  baseBranch: string | null;
  /** SPEC-COVERAGE table, relative to the project root; updated after each item that passes. */
  specCoverage: string;
  /** 0 = an item waits for its decision forever. */
  needsDecisionTimeoutHours?: number;
  notifyWebhookUrl?: string | null;
  monitor?: MonitorSettings;
  logKeepDays?: number;
  metricsKeepDays?: number;
  rateLimitPattern?: string;
  rateLimitBackoffMinutes?: number;
  /** The namespace has NightshiftProject/Item/Phase: workflows carry and update them. */
  searchAttributes?: boolean;
}

/** A text cut to an excerpt for a Temporal payload: what the whole text was (it is kept on disk by key). */
export interface TextExcerptOf {
  length: number;
  sha256: string;
}

export interface BacklogItem {
  key: string;
  text: string;
  source: ItemSource;
  file: string;
  line: number;
  /** Set when `text` is an excerpt (issue 19): the item reads its whole text by key (`readItemText`). */
  excerptOf?: TextExcerptOf;
}

/** Where an interrupted item resumes. */
export interface ItemPosition {
  phase: Phase;
  iteration: number;
  lastOutput: string;
}

export interface ItemRecord {
  key: string;
  text: string;
  /** Set when `text` is an excerpt of a longer text. */
  excerptOf?: TextExcerptOf;
  source: ItemSource;
  state: ItemState;
  iteration: number;
  phase: Phase | null;
  startedAt: string | null;
  finishedAt: string | null;
  resume: ItemPosition | null;
}

/** The compact state a pipeline carries across continue-as-new. */
export interface PipelineCarriedState {
  items: Record<string, ItemRecord>;
  order: string[];
  paused: boolean;
  stopRequested: boolean;
  startedAt: string;
  deadline: string | null;
  continueAsNewCount: number;
  itemsFinished: number;
  tasksRun: number;
  /** When the daily log cleanup and metrics compaction last ran. */
  lastMaintenanceAt?: string | null;
  /** No new item starts before this (an agent's usage limit). */
  rateLimitedUntil?: string | null;
  /** Why the pipeline paused itself (the agent's credential was refused); cleared by resume. */
  pauseReason?: string | null;
  /** Items of a long backlog that the last read did not list, by state (see ReadBacklogResult.unlisted). */
  unlisted?: { pending: number; passed: number; failed: number } | null;
}

export interface PipelineInput {
  projectId: string;
  settings: PipelineSettings;
  /** Run the backlog as it is, then finish instead of idling for new items. */
  once?: boolean;
  /** Stop after this many items finished (passed or failed); 0 = no limit. */
  maxItems?: number;
  /** Stop after this many hours; 0 = run forever. */
  hours?: number;
  state?: PipelineCarriedState;
}

export type PipelineEndReason = 'stopped' | 'once' | 'max_items' | 'deadline';

export interface PipelineResult {
  reason: PipelineEndReason;
  itemsPassed: number;
  itemsFailed: number;
  tasksRun: number;
}

export interface ItemInput {
  projectId: string;
  itemKey: string;
  itemText: string;
  /** Set when `itemText` is an excerpt: the item reads its whole text by key before its first direction. */
  itemTextExcerptOf?: TextExcerptOf;
  settings: PipelineSettings;
  /** Where the item's tasks run: the project root, or the item's worktree. */
  workDir?: string;
  /** The item prepares its own worktree (on `settings.baseBranch`) as its first step and runs its tasks there. */
  ownWorktree?: boolean;
  resume?: ItemPosition | null;
  paused?: boolean;
}

export type ItemOutcome = 'passed' | 'failed' | 'stopped';

export interface ItemResult {
  outcome: ItemOutcome;
  iteration: number;
  tasksRun: number;
  position: ItemPosition | null;
  reason: string;
  /** Validation ran PIPELINE_TEST_COMMAND and it passed (feeds spec coverage). */
  testsPassed?: boolean;
  /** The last spec task's output, where the agent names the spec file it wrote (feeds spec coverage). */
  specOutput?: string;
}

export interface ReadBacklogInput {
  projectRoot: string;
  stateDir: string;
  productBacklog: string;
  metaBacklog: string;
  metaRatio: number;
}

export interface ReadItemTextInput extends ReadBacklogInput {
  itemKey: string;
}

export interface ReadItemTextResult {
  /** The whole text, or null when it is neither kept nor in the backlog any more. */
  text: string | null;
}

export interface ItemOutcomeRecord {
  key: string;
  outcome: ItemOutcome;
  position: ItemPosition | null;
  at: string;
  reason?: string;
}

export interface ReadBacklogResult {
  /** Items of both files in combined run order. */
  items: BacklogItem[];
  warnings: string[];
  /** Latest recorded outcome per item key, from earlier pipeline runs. */
  outcomes: Record<string, ItemOutcomeRecord>;
  /**
   * A backlog too long for one payload lists only its first unfinished items (`items`); these count the rest
   * by state, for the status. Absent when every item is listed.
   */
  unlisted?: { pending: number; passed: number; failed: number };
}

export interface RunTestCommandInput {
  projectRoot: string;
  argv: string[];
  timeoutSeconds: number;
}

export interface RunTestCommandResult {
  ok: boolean;
  exitCode: number | null;
  output: string;
}

export interface RecordItemOutcomeInput {
  stateDir: string;
  record: ItemOutcomeRecord;
}

export interface RecordItemOutcomeResult {
  written: boolean;
}

/** A task as shown by the status query of an item workflow. */
export interface ItemStatusView {
  /** The task waiting for a decision, if any. */
  waiting?: { taskId: string; prompt: string; since: string } | null;
  itemKey: string;
  itemText: string;
  phase: Phase;
  iteration: number;
  paused: boolean;
  stopRequested: boolean;
  currentTask: (TaskSpec & { status: TaskStatus; started_at: string | null }) | null;
}

/** An item as the pipeline's status shows it: its record's identity and progress, and where it runs. */
export interface PipelineItemView extends Pick<
  ItemRecord,
  'key' | 'text' | 'source' | 'state' | 'iteration' | 'phase'
> {
  /** The item's workflow while it runs; null once it has ended, also while the item waits to be settled. */
  workflowId: string | null;
  /** The item waits for a human decision; it does not hold a slot meanwhile. */
  waitingDecision?: boolean;
}

export interface RateLimitNotice {
  itemKey: string;
  until: string;
}

/** An item's agent had its credential refused by the model API: the pipeline pauses, saying which. */
export interface CredentialNotice {
  itemKey: string;
  message: string;
}

export interface PipelineStatusView {
  state: 'running' | 'paused' | 'stopping' | 'idle';
  paused: boolean;
  stopRequested: boolean;
  startedAt: string;
  runStartedAt: string;
  deadline: string | null;
  continueAsNewCount: number;
  itemsByState: Record<ItemState, number>;
  items: PipelineItemView[];
  tasksRun: number;
  historyLength: number;
  /** Dispatch is paused until the agent's usage limit resets. */
  rateLimitedUntil?: string | null;
  /** Why the pipeline paused itself, when it did (a refused credential). */
  pauseReason?: string | null;
}
