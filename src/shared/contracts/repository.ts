import type { TaskType } from './task';

/**
 * The git steps: a task's commit, an item's worktree (prepared, then merged and removed), and the spec-coverage
 * table update.
 * Every workflow and activity takes one input object and returns one result object, so fields can be added without
 * breaking running executions. Sandbox-safe.
 */

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
