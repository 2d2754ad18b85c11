import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareRetryTree } from '../../src/activities/retry-tree';
import { committedRepo } from '../helpers/project';

const repo = () => committedRepo('retry-tree', { 'tracked.txt': 'original\n', '.gitignore': 'node_modules/\n' });

/** What a lost attempt leaves: a tracked file edited, a new file, an ignored one, and the state dir's files. */
function leaveEdits(root: string, stateDir: string): void {
  writeFileSync(path.join(root, 'tracked.txt'), 'edited by the lost attempt\n');
  mkdirSync(path.join(root, 'src'), { recursive: true });
  writeFileSync(path.join(root, 'src', 'new.ts'), 'export {};\n');
  mkdirSync(path.join(root, 'node_modules'), { recursive: true });
  writeFileSync(path.join(root, 'node_modules', 'dep.js'), '');
  mkdirSync(path.join(stateDir, 'logs', 'tasks'), { recursive: true });
  writeFileSync(path.join(stateDir, 'tasks.jsonl'), '{"id":"task_0000000000000001"}\n');
}

describe('prepareRetryTree', () => {
  test('when the first attempt runs, then nothing is touched and there is no note', async () => {
    const root = repo();
    writeFileSync(path.join(root, 'tracked.txt'), 'work in progress\n');
    expect(await prepareRetryTree({ projectRoot: root, ownsTree: true, attempt: 1 })).toBeNull();
    expect(readFileSync(path.join(root, 'tracked.txt'), 'utf8')).toBe('work in progress\n');
  });

  test('when nightshift owns the tree, then a retry resets it to HEAD and removes untracked files, but keeps ignored files and a state dir inside the tree', async () => {
    const root = repo();
    const stateDir = path.join(root, '.nightshift');
    leaveEdits(root, stateDir);
    const logFile = path.join(stateDir, 'logs', 'tasks', 'task_0000000000000001.log');
    const note = await prepareRetryTree({ projectRoot: root, ownsTree: true, attempt: 2, stateDir, logFile });
    expect(note).toMatch(
      /^\[Pipeline\] attempt 2 after the worker was lost; the work tree was reset to the item branch's head [0-9a-f]+ \(2 path\(s\) of the lost attempt discarded\)\.$/,
    );
    expect(readFileSync(path.join(root, 'tracked.txt'), 'utf8')).toBe('original\n');
    expect(existsSync(path.join(root, 'src', 'new.ts'))).toBe(false);
    expect(existsSync(path.join(root, 'node_modules', 'dep.js'))).toBe(true);
    expect(readFileSync(path.join(stateDir, 'tasks.jsonl'), 'utf8')).toContain('task_0000000000000001');
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('M tracked.txt');
    expect(log).toContain('?? src/');
    expect(log).not.toContain('.nightshift'); // the state dir was never the lost attempt's to discard
  });

  test('when the tree is the user’s own, then a retry changes nothing and records what the lost attempt left in the task log', async () => {
    const root = repo();
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-retry-state-'));
    leaveEdits(root, stateDir);
    const logFile = path.join(stateDir, 'logs', 'tasks', 'task_0000000000000002.log');
    const note = await prepareRetryTree({ projectRoot: root, ownsTree: false, attempt: 3, stateDir, logFile });
    expect(note).toBe(
      '[Pipeline] attempt 3 after the worker was lost; it left 2 changed path(s) in the work tree, kept as they are (see the task log).',
    );
    expect(readFileSync(path.join(root, 'tracked.txt'), 'utf8')).toBe('edited by the lost attempt\n');
    expect(existsSync(path.join(root, 'src', 'new.ts'))).toBe(true);
    expect(readFileSync(logFile, 'utf8')).toMatch(
      /git status --porcelain before this attempt:\n#\s+ M tracked.txt\n#\s+\?\? src\//,
    );
  });

  test('when the tree is not a git work tree, then the retry says so and touches nothing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-retry-plain-'));
    writeFileSync(path.join(dir, 'file.txt'), 'x');
    expect(await prepareRetryTree({ projectRoot: dir, ownsTree: true, attempt: 2 })).toMatch(/not a git work tree/);
    expect(existsSync(path.join(dir, 'file.txt'))).toBe(true);
  });
});
