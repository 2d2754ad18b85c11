import { Context, log } from '@temporalio/activity';
import { whileHeartbeating } from './heartbeat';
import { commitTask } from '../git/commit';
import { gitFailure } from '../git/repo';
import { itemBranch } from '../git/message';
import { ensureWorktree, mergeItemBranch, removeWorktree, worktreePath } from '../git/worktree';
import type {
  CloseWorktreeInput,
  CloseWorktreeResult,
  CommitTaskInput,
  CommitTaskResult,
  PrepareWorktreeInput,
  PrepareWorktreeResult,
} from '../shared/contracts/repository';

/** Auto-commit of one task; a push or commit failure is recorded, never thrown (the task stays completed). */
export function createCommitTask() {
  return async function commitTaskActivity(input: CommitTaskInput): Promise<CommitTaskResult> {
    return commitReporting(input);
  };
}

/**
 * The commit of a task inside an activity (the commit step's own, or the tail of the agent step's, whose tree holds
 * its own run's changes): heartbeating, and a git failure is returned as the result's `error`, never thrown.
 */
export async function commitReporting(input: CommitTaskInput, ownRunChanges = false): Promise<CommitTaskResult> {
  try {
    const r = await whileHeartbeating(() =>
      commitTask({ ...input, firstAttempt: Context.current().info.attempt === 1, ownRunChanges }),
    );
    if (r.pushError) log.warn('auto-push failed', { taskId: input.taskId, error: r.pushError });
    return { ...r, error: null };
  } catch (err) {
    const error = gitFailure(err);
    log.warn('auto-commit failed', { taskId: input.taskId, error });
    return { committed: false, sha: null, skipped: 'error', pushed: false, pushError: null, error };
  }
}

export function createPrepareWorktree() {
  return async function prepareWorktree(input: PrepareWorktreeInput): Promise<PrepareWorktreeResult> {
    const path = worktreePath(input.stateDir, input.itemKey);
    const branch = itemBranch(input.itemKey);
    const { created } = await whileHeartbeating(() =>
      ensureWorktree({ projectRoot: input.projectRoot, path, branch, baseBranch: input.baseBranch }),
    );
    return { path, branch, created };
  };
}

/**
 * Ends an item's worktree: merges its branch when the item passed (then deletes
 * the merged branch), and removes the worktree. A branch that did not merge is kept.
 */
export function createCloseWorktree() {
  return async function closeWorktree(input: CloseWorktreeInput): Promise<CloseWorktreeResult> {
    const branch = itemBranch(input.itemKey);
    return whileHeartbeating(async () => {
      const result: CloseWorktreeResult = input.merge
        ? await mergeItemBranch({ projectRoot: input.projectRoot, branch, baseBranch: input.baseBranch })
        : { merged: false, fastForward: false, reason: null };
      await removeWorktree({
        projectRoot: input.projectRoot,
        path: worktreePath(input.stateDir, input.itemKey),
        deleteBranch: result.merged ? branch : null,
      });
      return result;
    });
  };
}
