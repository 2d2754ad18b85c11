/**
 * Contracts between the CLI/API, the workflows and the activities.
 * Every workflow and activity takes one input object and returns one result object,
 * so fields can be added without breaking running executions. Sandbox-safe.
 */

export const TASK_TYPES = ['spec', 'impl', 'test', 'review', 'heal'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const PHASES = ['spec', 'impl', 'test', 'review'] as const;
export type Phase = (typeof PHASES)[number];

export const TASK_STATUSES = ['pending', 'running', 'completed', 'failed', 'needs_decision'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const AGENT_NAMES = ['demo', 'claude', 'cursor', 'codex', 'aider', 'command'] as const;
export type AgentName = (typeof AGENT_NAMES)[number];

export type ItemSource = 'product' | 'meta';
export type ItemState = 'pending' | 'running' | 'passed' | 'failed';

/** How to run the agent for every task: an argv template, never a shell line. */
export interface AgentSettings {
  name: AgentName;
  argvTemplate: string[];
  modelByType: Record<TaskType, string>;
}

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
  /** Commit after each completed task (always done in item worktrees, whose commits are merged). */
  autoCommit: boolean;
  autoPush: boolean;
  /** Items at once; above 1 each item works in its own git worktree and branch. */
  parallelItems: number;
  /** The branch the pipeline started on: item branches are cut from it and merged back into it. */
  baseBranch: string | null;
  /** SPEC-COVERAGE table, relative to the project root; updated after each item that passes. */
  specCoverage: string;
}

export interface BacklogItem {
  key: string;
  text: string;
  source: ItemSource;
  file: string;
  line: number;
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
  settings: PipelineSettings;
  /** Where the item's tasks run: the project root, or the item's worktree. */
  workDir?: string;
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

/** The task record served by the API (contract section 5). */
export interface TaskRecord {
  id: string;
  task_type: TaskType;
  status: TaskStatus;
  direction: string;
  model: string;
  item_key: string | null;
  iteration: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  output: string | null;
  exit_code: number | null;
  decision_prompt: string | null;
  decision: string | null;
  /** The auto-commit of this task, when one was made (or found from an earlier attempt). */
  commit_sha?: string | null;
  /** Why the push after the commit failed; the task itself did not fail for it. */
  push_error?: string | null;
}

/** What the workflow knows about a task before its agent runs. */
export interface TaskSpec {
  id: string;
  task_type: TaskType;
  direction: string;
  model: string;
  item_key: string | null;
  iteration: number;
  created_at: string;
}

export interface RunAgentTaskInput {
  task: TaskSpec;
  projectRoot: string;
  stateDir: string;
  agent: AgentSettings;
  timeoutSeconds: number;
}

export interface RunAgentTaskResult {
  status: 'completed' | 'failed';
  output: string;
  exitCode: number | null;
  durationSeconds: number;
  startedAt: string;
  finishedAt: string;
  timedOut: boolean;
  /** The last `VERDICT: pass|fail` line anywhere in the output, not only in its kept tail. */
  verdict: 'pass' | 'fail' | null;
}

export interface FinishTaskInput {
  stateDir: string;
  metricsFile: string;
  task: TaskRecord;
  durationSeconds: number;
}

export interface FinishTaskResult {
  metricsLineWritten: boolean;
}

export interface ReadBacklogInput {
  projectRoot: string;
  stateDir: string;
  productBacklog: string;
  metaBacklog: string;
  metaRatio: number;
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
  itemKey: string;
  itemText: string;
  phase: Phase;
  iteration: number;
  paused: boolean;
  stopRequested: boolean;
  currentTask: (TaskSpec & { status: TaskStatus; started_at: string | null }) | null;
}

export interface PipelineItemView {
  key: string;
  text: string;
  source: ItemSource;
  state: ItemState;
  iteration: number;
  phase: Phase | null;
  workflowId: string | null;
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
}

export interface CommitTaskInput {
  cwd: string;
  taskId: string;
  taskType: TaskType;
  direction: string;
  push: boolean;
}

export interface CommitTaskResult {
  committed: boolean;
  sha: string | null;
  skipped: string | null;
  pushed: boolean;
  pushError: string | null;
  /** The commit itself failed (e.g. a hook refused it); the task is not failed for it. */
  error?: string | null;
}

export interface PrepareWorktreeInput {
  projectRoot: string;
  stateDir: string;
  itemKey: string;
  baseBranch: string;
}

export interface PrepareWorktreeResult {
  path: string;
  branch: string;
  created: boolean;
}

export interface CloseWorktreeInput {
  projectRoot: string;
  stateDir: string;
  itemKey: string;
  baseBranch: string;
  /** Merge the item's branch into the base branch first (the item passed). */
  merge: boolean;
}

export interface CloseWorktreeResult {
  merged: boolean;
  fastForward: boolean;
  reason: string | null;
}

export interface UpdateCoverageInput {
  projectRoot: string;
  stateDir: string;
  coveragePath: string;
  itemKey: string;
  /** Texts naming the item's spec files (the item text, the spec task's output). */
  texts: string[];
  testsPassed: boolean;
  commit: boolean;
}

export interface UpdateCoverageResult {
  changes: number;
  skipped: string | null;
  commitSha: string | null;
}
