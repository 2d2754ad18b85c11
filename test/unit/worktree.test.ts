import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureWorktree, mergeItemBranch, removeWorktree, worktreePath } from '../../src/git/worktree';
import { git, makeProject } from '../helpers/project';

/** ensureWorktree, mergeItemBranch and removeWorktree on real repositories. */

function commitIn(dir: string, file: string, content: string): void {
  writeFileSync(path.join(dir, file), content);
  git(dir, 'add', file);
  git(dir, 'commit', '-q', '-m', `write ${file}`);
}

async function itemWorktree(root: string, key: string): Promise<string> {
  const dir = worktreePath(path.join(root, '.nightshift'), key);
  await ensureWorktree({ projectRoot: root, path: dir, branch: `nightshift/${key}`, baseBranch: 'main' });
  return dir;
}

describe('ensureWorktree', () => {
  test('when the item is new, then its worktree is on a new branch cut from the base branch', async () => {
    const { root } = makeProject(['x']);
    const dir = await itemWorktree(root, 'new');
    expect(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('nightshift/new');
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(git(root, 'rev-parse', 'main'));
    expect(
      await ensureWorktree({ projectRoot: root, path: dir, branch: 'nightshift/new', baseBranch: 'main' }),
    ).toEqual({ created: false });
  });

  test('when the branch was kept from an earlier attempt and the folder is gone, then the worktree comes back on that branch with its commits', async () => {
    const { root } = makeProject(['x']);
    const dir = await itemWorktree(root, 'kept');
    commitIn(dir, 'a.txt', 'a\n');
    const tip = git(dir, 'rev-parse', 'HEAD');
    rmSync(dir, { recursive: true, force: true }); // still registered as a worktree, its folder gone
    expect(
      await ensureWorktree({ projectRoot: root, path: dir, branch: 'nightshift/kept', baseBranch: 'main' }),
    ).toEqual({ created: true });
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(tip);
    expect(git(root, 'worktree', 'list').trim().split('\n')).toHaveLength(2);
  });
});

describe('mergeItemBranch', () => {
  test('when main has not moved, then the branch is fast-forwarded', async () => {
    const { root } = makeProject(['x']);
    const dir = await itemWorktree(root, 'ff');
    commitIn(dir, 'a.txt', 'a\n');
    expect(await mergeItemBranch({ projectRoot: root, branch: 'nightshift/ff', baseBranch: 'main' })).toEqual({
      merged: true,
      fastForward: true,
      reason: null,
    });
    expect(git(root, 'rev-parse', 'main')).toBe(git(root, 'rev-parse', 'nightshift/ff'));
  });

  test('when main moved on, then a merge commit with the pipeline message joins both', async () => {
    const { root } = makeProject(['x']);
    const dir = await itemWorktree(root, 'mc');
    commitIn(dir, 'a.txt', 'a\n');
    commitIn(root, 'b.txt', 'b\n');
    expect(await mergeItemBranch({ projectRoot: root, branch: 'nightshift/mc', baseBranch: 'main' })).toEqual({
      merged: true,
      fastForward: false,
      reason: null,
    });
    expect(git(root, 'log', '-1', '--format=%P').trim().split(' ')).toHaveLength(2);
    expect(git(root, 'log', '-1', '--format=%s')).toBe('[pipeline] merge nightshift/mc\n');
    expect(git(root, 'status', '--porcelain', '--untracked-files=no')).toBe(''); // the worktrees sit in the (untracked) state dir
  });

  test('when both changed the same file, then the merge is aborted, main is as it was and the conflict is named', async () => {
    const { root } = makeProject(['x']);
    const dir = await itemWorktree(root, 'cf');
    commitIn(dir, 'same.txt', 'item\n');
    commitIn(root, 'same.txt', 'main\n');
    const before = git(root, 'rev-parse', 'main');
    expect(await mergeItemBranch({ projectRoot: root, branch: 'nightshift/cf', baseBranch: 'main' })).toEqual({
      merged: false,
      fastForward: false,
      reason: 'merge conflict in same.txt',
    });
    expect(git(root, 'rev-parse', 'main')).toBe(before);
    expect(git(root, 'status', '--porcelain', '--untracked-files=no')).toBe(''); // the worktrees sit in the (untracked) state dir
  });

  test('when the project root is on another branch, then nothing is merged', async () => {
    const { root } = makeProject(['x']);
    await itemWorktree(root, 'ob');
    git(root, 'checkout', '-q', '-b', 'other');
    expect(await mergeItemBranch({ projectRoot: root, branch: 'nightshift/ob', baseBranch: 'main' })).toEqual({
      merged: false,
      fastForward: false,
      reason: 'the project root is on other, not on main',
    });
  });
});

describe('removeWorktree', () => {
  test('when the worktree exists, then it and its metadata are gone and a merged branch is deleted', async () => {
    const { root } = makeProject(['x']);
    const dir = await itemWorktree(root, 'rm');
    await removeWorktree({ projectRoot: root, path: dir, deleteBranch: 'nightshift/rm' });
    expect(existsSync(dir)).toBe(false);
    expect(git(root, 'worktree', 'list', '--porcelain')).not.toContain(dir);
    expect(git(root, 'branch', '--list', 'nightshift/rm')).toBe('');
  });

  test('when its folder was deleted by hand, then the stale metadata is pruned', async () => {
    const { root } = makeProject(['x']);
    const dir = await itemWorktree(root, 'gone');
    rmSync(dir, { recursive: true, force: true });
    await removeWorktree({ projectRoot: root, path: dir, deleteBranch: null });
    expect(git(root, 'worktree', 'list', '--porcelain')).not.toContain(dir);
    expect(git(root, 'branch', '--list', 'nightshift/gone').trim()).toBe('nightshift/gone');
  });
});
