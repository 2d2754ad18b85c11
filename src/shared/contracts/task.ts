import type { CommitTaskResult } from './repository';
import type { Condition } from './monitor';
import type { PipelineSettings } from './pipeline';

/**
 * A task: its types and statuses, how its agent is run, its record (contract section 5), and the inputs and results
 * of the task activities and of the single-task workflow.
 * Every workflow and activity takes one input object and returns one result object, so fields can be added without
 * breaking running executions. Sandbox-safe.
 */

export const TASK_TYPES = ['spec', 'impl', 'test', 'review', 'heal'] as const;

export type TaskType = (typeof TASK_TYPES)[number];

export const PHASES = ['spec', 'impl', 'test', 'review'] as const;

export type Phase = (typeof PHASES)[number];

export const TASK_STATUSES = ['pending', 'running', 'completed', 'failed', 'needs_decision'] as const;

export type TaskStatus = (typeof TASK_STATUSES)[number];

export const AGENT_NAMES = ['demo', 'claude', 'cursor', 'codex', 'aider', 'command'] as const;

export type AgentName = (typeof AGENT_NAMES)[number];

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
  /**
   * Commit the task's changes in this same step when the run completes (issue 17: one activity and one workflow task
   * fewer per task). A result without `commit` (the step could not commit) leaves the commit to `commitTask`.
   */
  commitWhenCompleted?: { push: boolean };
  /**
   * Write the task's final record (snapshot and metrics line) in this same step when the run finishes the task (issue
   * 17): not when it waits for a decision, a usage limit, or a refused credential the workflow holds the task for
   * (`credentialHeld`). A result without `recorded: true` leaves the record to `finishTask`.
   */
  recordWhenFinished?: {
    metricsFile: string;
    credentialHeld: boolean;
    /** The workflow that owns the task, for the record. */
    workflowId: string;
  };
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
  /** The commit of a completed run, when `commitWhenCompleted` asked for it and the step made it. */
  commit?: CommitTaskResult;
  /** The step wrote the task's final record (`recordWhenFinished`). */
  recorded?: boolean;
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
