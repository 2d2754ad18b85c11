import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureStateDir } from '../../src/settings/state-dir';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'nightshift-statedir-'));

describe('ensureStateDir', () => {
  test('when the project is a git work tree, then the state dir is excluded once, and git ignores its files', async () => {
    const root = tmp();
    execFileSync('git', ['init', '-q'], { cwd: root });
    await ensureStateDir(root, path.join(root, '.nightshift'));
    await ensureStateDir(root, path.join(root, '.nightshift'));
    const exclude = readFileSync(path.join(root, '.git', 'info', 'exclude'), 'utf8');
    expect(exclude.split('\n').filter((l) => l === '/.nightshift/')).toHaveLength(1);
    writeFileSync(path.join(root, '.nightshift', 'logs', 'metrics.jsonl'), '{}\n');
    writeFileSync(path.join(root, 'code.txt'), 'x');
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' })).toBe('?? code.txt\n');
  });

  test('when .git is a file (a linked worktree), then the exclude goes to the git dir it points to', async () => {
    const root = tmp();
    const gitDir = path.join(tmp(), 'worktree-gitdir');
    mkdirSync(gitDir, { recursive: true });
    writeFileSync(path.join(root, '.git'), `gitdir: ${gitDir}\n`);
    await ensureStateDir(root, path.join(root, '.nightshift'));
    expect(readFileSync(path.join(gitDir, 'info', 'exclude'), 'utf8')).toBe('/.nightshift/\n');
  });

  test('when the state dir is outside the project or the project is not a git repo, then nothing is written to git', async () => {
    const root = tmp();
    await ensureStateDir(root, path.join(root, '.nightshift'));
    const other = tmp();
    execFileSync('git', ['init', '-q'], { cwd: other });
    const before = readFileSync(path.join(other, '.git', 'info', 'exclude'), 'utf8');
    await ensureStateDir(other, path.join(tmp(), 'elsewhere'));
    expect(readFileSync(path.join(other, '.git', 'info', 'exclude'), 'utf8')).toBe(before);
  });

  test('when the agent leaves files of its own (aider), then they are excluded beside the state dir, once, and ignored by git', async () => {
    const root = tmp();
    execFileSync('git', ['init', '-q'], { cwd: root });
    await ensureStateDir(root, path.join(root, '.nightshift'), ['/.aider*']);
    await ensureStateDir(root, path.join(root, '.nightshift'), ['/.aider*']);
    const exclude = readFileSync(path.join(root, '.git', 'info', 'exclude'), 'utf8');
    expect(exclude.split('\n').filter((l) => l === '/.aider*' || l === '/.nightshift/')).toEqual([
      '/.nightshift/',
      '/.aider*',
    ]);
    mkdirSync(path.join(root, '.aider.tags.cache.v4'));
    writeFileSync(path.join(root, '.aider.tags.cache.v4', 'cache.db'), 'x');
    writeFileSync(path.join(root, 'code.txt'), 'x');
    expect(
      execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root, encoding: 'utf8' }),
    ).toBe('?? code.txt\n');
  });
});
