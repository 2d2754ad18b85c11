import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { git } from './repo';

/** Where an item's worktree lives: under the state dir, never inside the project's tracked tree. */
export function worktreePath(stateDir: string, itemKey: string): string {
  return path.join(stateDir, 'worktrees', itemKey);
}

async function branchExists(projectRoot: string, branch: string): Promise<boolean> {
  const g = await git(projectRoot);
  return (await g.raw(['branch', '--list', branch])).trim() !== '';
}

/** Creates (or reuses, after a restart) the item's worktree on its own branch, cut from the base branch. */
export async function ensureWorktree(o: {
  projectRoot: string;
  path: string;
  branch: string;
  baseBranch: string;
}): Promise<{ created: boolean }> {
  if (existsSync(path.join(o.path, '.git'))) return { created: false };
  await mkdir(path.dirname(o.path), { recursive: true });
  const g = await git(o.projectRoot);
  // The usual case, a new item, is one git command. A branch kept from an earlier attempt, or a
  // worktree registered at this path whose folder is gone, makes it fail: then tidy up and reuse the branch.
  const fresh = await g
    .raw(['worktree', 'add', '-b', o.branch, o.path, o.baseBranch])
    .then(() => existsSync(path.join(o.path, '.git')))
    .catch(() => false);
  if (fresh) return { created: true };
  await g.raw(['worktree', 'prune']);
  if (await branchExists(o.projectRoot, o.branch)) await g.raw(['worktree', 'add', o.path, o.branch]);
  else await g.raw(['worktree', 'add', '-b', o.branch, o.path, o.baseBranch]);
  return { created: true };
}

export interface MergeResult {
  merged: boolean;
  fastForward: boolean;
  reason: string | null;
}

/**
 * Merges an item's branch into the base branch checked out in the project root:
 * fast-forward when possible, else a merge commit; a conflict is aborted,
 * leaving the base branch as it was and the item's branch untouched.
 */
export async function mergeItemBranch(o: {
  projectRoot: string;
  branch: string;
  baseBranch: string;
}): Promise<MergeResult> {
  const g = await git(o.projectRoot);
  const head = (await g.raw(['rev-parse', '--abbrev-ref', 'HEAD'])).trim();
  if (head !== o.baseBranch)
    return { merged: false, fastForward: false, reason: `the project root is on ${head}, not on ${o.baseBranch}` };
  // One merge: git fast-forwards when it can, else commits a merge with this message.
  let failure: string | null = null;
  let said = '';
  try {
    said = await g.raw(['merge', '--no-edit', '-m', `[pipeline] merge ${o.branch}`, o.branch]);
  } catch (err) {
    failure = (err as Error).message.trim().split('\n')[0];
  }
  // The outcome is read from the repository, not from the merge's exit code or words: the branch is merged when it
  // has no commit HEAD lacks.
  const contained = !failure && (await g.raw(['rev-list', '-1', o.branch, '^HEAD'])).trim() === '';
  if (contained) return { merged: true, fastForward: /Fast-forward/.test(said), reason: null };
  const conflicted = (await g.raw(['diff', '--name-only', '--diff-filter=U']).catch(() => ''))
    .trim()
    .split('\n')
    .filter(Boolean);
  await g.raw(['merge', '--abort']).catch(() => undefined);
  return {
    merged: false,
    fastForward: false,
    reason: conflicted.length
      ? `merge conflict in ${conflicted.join(', ')}`
      : `merge failed: ${failure ?? 'branch not merged'}`,
  };
}

export async function removeWorktree(o: {
  projectRoot: string;
  path: string;
  deleteBranch: string | null;
}): Promise<void> {
  const g = await git(o.projectRoot);
  // `worktree remove` drops the worktree's metadata too; prune only when the folder was already gone.
  if (existsSync(o.path)) await g.raw(['worktree', 'remove', '--force', o.path]);
  else await g.raw(['worktree', 'prune']);
  if (o.deleteBranch) await g.raw(['branch', '-d', o.deleteBranch]).catch(() => undefined);
}
