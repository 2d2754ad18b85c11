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
  /** How to read what the CLI prints (absent in runs started before structured output: plain text). */
  output?: AgentOutputFormat;
  /**
   * The argv used when the direction is too long for one argv element (Linux caps one at 128 KiB): the
   * direction then reaches the CLI on stdin (`stdinPrompt`) or through `{prompt_file}`. Absent: the
   * direction word is replaced by a pointer to the prompt file.
   */
  longArgvTemplate?: string[];
  /** With `longArgvTemplate`: the CLI reads the direction from stdin. */
  stdinPrompt?: boolean;
  /** Environment variables that carry the CLI's credential (any one of them); named when the model API refuses it. */
  credentialEnv?: string[];
  /** What an impl task whose agent changed no file becomes (default 'fail'). */
  noChange?: NoChangePolicy;
  /** Paths the CLI leaves in the project for itself (caches): kept out of git like the state dir. */
  leftovers?: string[];
}

/** How an agent's output is read: its own machine-readable events where the CLI has them. */
export type AgentOutputFormat = 'text' | 'claude-stream-json' | 'codex-json' | 'aider' | 'cursor-stream-json';

/** An impl task whose agent changed no file: failed (default), needs a human decision, or completed anyway. */
export type NoChangePolicy = 'fail' | 'decide' | 'allow';

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

/** Contract section 10's conditions, then `blocked_step` (a step the pipeline cannot do without keeps failing). */
export const CONDITIONS = [
  'stuck',
  'repeated_failures',
  'low_success_rate',
  'output_empty',
  'executor_fail',
  'blocked_step',
] as const;
export type Condition = (typeof CONDITIONS)[number];

export interface AttentionThresholds {
  stuckMinutes: number;
  repeatedFailures: number;
  lowSuccessRate: number;
  lowSuccessMinTasks: number;
}

export interface MonitorSettings extends AttentionThresholds {
  intervalSeconds: number;
  autoFix: boolean;
  autoFixAction: 'heal' | 'needs_decision';
  cooldownMinutes: number;
}

export type Attention = Record<Condition, boolean> & { flags: Condition[] };

/** What the attention rules saw, so an issue can say why it was raised. */
export interface AttentionReport {
  attention: Attention;
  /** Per raised condition: a one-line message with the evidence. */
  details: Partial<Record<Condition, string>>;
  /** For repeated_failures: the phase whose last tasks all failed. */
  failingPhase: string | null;
  /**
   * Conditions this check could not judge (evidence missing): an open issue for one stays open. Absent in older
   * histories.
   */
  undetermined?: Condition[];
  pipelineRunning: boolean;
  checkedAt: string;
}

export interface MonitorIssue {
  id: string;
  condition: Condition;
  severity: 'high' | 'medium' | 'low';
  message: string;
  suggested_action: string;
  created_at: string;
  resolved_at: string | null;
  heal_task_id: string | null;
  /** What auto-fix did about it, and how that ended. */
  actions: { at: string; action: string; task_id?: string; outcome?: string }[];
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
  /** The workflow that owns the task: where `decide` is sent. */
  workflow_id?: string | null;
  /** Non-whitespace characters the agent itself printed (0 = it printed nothing: output_empty / executor_fail). */
  output_chars?: number;
  /** Tokens the agent's model read for this task, where the CLI reports it. */
  tokens_in?: number | null;
  /** Tokens the agent's model wrote for this task, where the CLI reports it. */
  tokens_out?: number | null;
  /** What the task cost in US dollars, where the CLI reports it. */
  cost_usd?: number | null;
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
  rateLimit?: { pattern: string; backoffMinutes: number };
  /**
   * The tree is the item's own worktree (nightshift's): a retry after a lost worker may reset it. Absent: the user's
   * tree.
   */
  ownsTree?: boolean;
}

export interface RunAgentTaskResult {
  status: 'completed' | 'failed' | 'needs_decision';
  output: string;
  exitCode: number | null;
  durationSeconds: number;
  startedAt: string;
  finishedAt: string;
  timedOut: boolean;
  /** The last `VERDICT: pass|fail` line anywhere in the output, not only in its kept tail. */
  verdict: 'pass' | 'fail' | null;
  /** The last `NEEDS_DECISION: <prompt>` line: the task waits for a human decision. */
  decisionPrompt?: string | null;
  /** Non-whitespace characters of the agent's own output. */
  outputChars?: number;
  /** The agent hit a usage limit: not a failure; wait until then and run the task again. */
  rateLimitedUntil?: string | null;
  /** The model API refused the agent's credential: not the task's failure; the pipeline pauses until resumed. */
  credentialRejected?: string | null;
  /** A failure no retry or fix iteration can change (the CLI cannot be started, say): the item fails at once. */
  fatal?: string | null;
  /** Token use and cost as the CLI reported them. */
  usage?: AgentUsage | null;
}

export interface AgentUsage {
  tokensIn: number | null;
  tokensOut: number | null;
  costUsd: number | null;
  turns: number | null;
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

export interface PipelineItemView {
  key: string;
  text: string;
  source: ItemSource;
  state: ItemState;
  iteration: number;
  phase: Phase | null;
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

export interface SaveTaskInput {
  stateDir: string;
  task: TaskRecord;
}

export interface DecideInput {
  taskId: string;
  decision: string;
}

export interface DecideResult {
  accepted: true;
  taskId: string;
}

export interface NotifyInput {
  url: string;
  event: Record<string, unknown>;
}

export interface NotifyResult {
  delivered: boolean;
  status: number | null;
  error: string | null;
}

export interface CheckAttentionInput extends Pick<
  PipelineSettings,
  'projectRoot' | 'stateDir' | 'metricsFile' | 'productBacklog' | 'metaBacklog' | 'metaRatio'
> {
  projectId: string;
  thresholds: AttentionThresholds;
}

export interface WriteMonitorIssuesInput {
  stateDir: string;
  issues: MonitorIssue[];
  lastCheck: string;
}

/** A single task outside the backlog: a heal task, or an ad-hoc task from `enqueue` / POST /api/agent/tasks. */
export interface TaskWorkflowInput {
  projectId: string;
  settings: PipelineSettings;
  task: TaskSpec;
  /** Ask a human first (auto-fix action needs_decision): the task waits with this prompt before its agent runs. */
  askFirst?: string | null;
  /** Monitor context recorded with a heal task. */
  condition?: Condition | null;
}

export interface TaskWorkflowResult {
  taskId: string;
  status: TaskStatus;
}

export interface MonitorInput {
  projectId: string;
  settings: PipelineSettings;
  state?: MonitorCarriedState;
}

export interface MonitorCarriedState {
  issues: MonitorIssue[];
  lastHealAt: Partial<Record<Condition, string>>;
  lastCheck: string | null;
  continueAsNewCount: number;
}

export interface MaintenanceInput {
  stateDir: string;
  metricsFile: string;
  logKeepDays: number;
  metricsKeepDays: number;
}

export interface MaintenanceResult {
  logsRemoved: number;
  metricsArchived: number;
}

/** What a schedule starts: a window of `hours` for the project's pipeline. */
export interface WindowInput {
  projectId: string;
  taskQueue: string;
  settings: PipelineSettings;
  hours: number;
}

export interface WindowResult {
  workflowId: string;
  attached: boolean;
}
