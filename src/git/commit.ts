import { git, gitFailure, headCommit, workTreeStatus } from './repo';
import { taskCommitMessage, trailer } from './message';

export interface TaskCommitResult {
  committed: boolean;
  sha: string | null;
  /** Why nothing was committed: not-a-work-tree, no-changes, already-committed. */
  skipped: string | null;
  pushed: boolean;
  pushError: string | null;
}

/**
 * Commits what a task changed in its work tree, once: a retried step finds
 * its trailer on HEAD and returns that commit instead of making another (no one
 * else commits on the task's branch between the attempts). Never an empty
 * commit. The state dir is excluded through .git/info/exclude. A first attempt
 * for a task that changed nothing costs one git process (status).
 */
export async function commitTask(o: {
  cwd: string;
  taskId: string;
  taskType: string;
  direction: string;
  push: boolean;
  firstAttempt?: boolean;
  /**
   * What the tree holds is the agent run of this same attempt (the agent step's own commit): a retry whose run
   * changed files commits them even after an earlier attempt's commit, and reports that commit only when it changed
   * nothing.
   */
  ownRunChanges?: boolean;
}): Promise<TaskCommitResult> {
  const none = (skipped: string, sha: string | null = null): TaskCommitResult => ({
    committed: false,
    sha,
    skipped,
    pushed: false,
    pushError: null,
  });
  if (o.taskType === 'heal') return none('heal-task'); // heal tasks are never auto-committed
  const status = await workTreeStatus(o.cwd);
  if (status === null) return none('not-a-work-tree');
  const clean = status.trim() === '';
  // Only a retry can find its own commit: a first attempt skips the look. The commit step's retry then commits nothing
  // more; the agent step's retry commits what its own run changed, and reports the earlier commit when it changed none.
  if (!o.firstAttempt && (clean || !o.ownRunChanges)) {
    const head = await headCommit(o.cwd);
    if (head && head.message.includes(trailer(o.taskId))) return none('already-committed', head.sha);
  }
  if (clean) return none('no-changes');
  const g = await git(o.cwd);
  await g.raw(['add', '-A']);
  if ((await g.raw(['diff', '--cached', '--name-only'])).trim() === '') return none('no-changes');
  // The message is one argv element: shell syntax and newlines in a direction land literally.
  await g.raw(['commit', '-m', taskCommitMessage(o.taskType, o.taskId, o.direction)]);
  const sha = (await g.raw(['rev-parse', 'HEAD'])).trim();
  const result: TaskCommitResult = { committed: true, sha, skipped: null, pushed: false, pushError: null };
  if (o.push) {
    try {
      await g.raw(['push']);
      result.pushed = true;
    } catch (err) {
      result.pushError = gitFailure(err);
    }
  }
  return result;
}
