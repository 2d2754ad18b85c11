import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCommitTask } from '../../src/activities/git';
import { commitTask } from '../../src/git/commit';
import { GIT_STALL_MS } from '../../src/git/repo';
import type { CommitTaskResult } from '../../src/shared/contracts/repository';
import { shortDirection, taskCommitMessage } from '../../src/git/message';
import { ensureStateDir } from '../../src/settings/state-dir';
import { committedRepo, git as run } from '../helpers/project';

const repo = () => committedRepo('git', { 'README.md': '# r\n' });
/** A repository whose main branch tracks a bare remote. */
function repoWithRemote(): { root: string; bare: string } {
  const bare = mkdtempSync(path.join(os.tmpdir(), 'nightshift-bare-'));
  run(bare, 'init', '-q', '--bare', '-b', 'main');
  const root = repo();
  run(root, 'remote', 'add', 'origin', bare);
  run(root, 'push', '-q', '-u', 'origin', 'main');
  return { root, bare };
}
const log = (root: string, ...args: string[]) => run(root, 'log', ...args).trim();
const commits = (root: string) => Number(run(root, 'rev-list', '--count', 'HEAD').trim());
const id = (n: number) => `task_${n.toString(16).padStart(16, '0')}`;

describe('auto-commit of a task', () => {
  test('when a task changed files, then one commit has the contract subject and the Pipeline-Task trailer', async () => {
    const root = repo();
    writeFileSync(path.join(root, 'a.txt'), 'a');
    const r = await commitTask({
      cwd: root,
      taskId: id(1),
      taskType: 'impl',
      direction: 'Implement per spec: login.   Modify only\nfiles listed.',
      push: false,
    });
    expect(r).toMatchObject({ committed: true, skipped: null });
    expect(log(root, '-1', '--format=%s')).toBe(
      `[pipeline] impl ${id(1)}: Implement per spec: login. Modify only files listed.`,
    );
    expect(log(root, '-1', '--format=%(trailers:key=Pipeline-Task,valueonly)')).toBe(id(1));
    expect(r.sha).toBe(log(root, '-1', '--format=%H'));
  });

  test('when the direction is long, then it is cut to 72 characters ending in ...', () => {
    const d = 'Write or expand the spec for: ' + 'a very long item text '.repeat(10);
    expect(shortDirection(d)).toHaveLength(72);
    expect(shortDirection(d).endsWith('...')).toBe(true);
    expect(shortDirection('x'.repeat(72))).toBe('x'.repeat(72));
    expect(taskCommitMessage('spec', id(2), d).split('\n')[0]).toBe(`[pipeline] spec ${id(2)}: ${shortDirection(d)}`);
  });

  test('when the direction holds shell syntax and newlines, then they land literally in the message and nothing runs', async () => {
    const root = repo();
    writeFileSync(path.join(root, 'b.txt'), 'b');
    const hostile = 'Fix $(touch pwned) `touch pwned2`; rm -rf / "q" \'s\'\nsecond line';
    await commitTask({ cwd: root, taskId: id(3), taskType: 'impl', direction: hostile, push: false });
    expect(log(root, '-1', '--format=%s')).toBe(
      `[pipeline] impl ${id(3)}: Fix $(touch pwned) \`touch pwned2\`; rm -rf / "q" 's' second line`,
    );
    expect(run(root, 'status', '--porcelain')).toBe('');
    expect(() => execFileSync('ls', [path.join(root, 'pwned')], { stdio: 'ignore' })).toThrow();
  });

  test('when the same commit step runs again (a retry), then it finds its trailer and makes no second commit', async () => {
    const root = repo();
    writeFileSync(path.join(root, 'c.txt'), 'c');
    const first = await commitTask({ cwd: root, taskId: id(4), taskType: 'test', direction: 'd', push: false });
    writeFileSync(path.join(root, 'later.txt'), 'changed after the commit');
    const retry = await commitTask({ cwd: root, taskId: id(4), taskType: 'test', direction: 'd', push: false });
    expect(retry).toMatchObject({ committed: false, skipped: 'already-committed', sha: first.sha });
    expect(commits(root)).toBe(2);
  });

  test('when the commitTask activity runs again as attempt 2 after attempt 1 committed, then it returns that commit; attempt 1 never looks', async () => {
    const activity = createCommitTask();
    const root = repo();
    writeFileSync(path.join(root, 'e.txt'), 'e');
    const input = { cwd: root, taskId: id(9), taskType: 'impl' as const, direction: 'd', push: false };
    const first = (await new MockActivityEnvironment({ attempt: 1 }).run(activity, input)) as CommitTaskResult;
    expect(first).toMatchObject({ committed: true, error: null });
    writeFileSync(path.join(root, 'f.txt'), 'changed after the commit');
    const retry = (await new MockActivityEnvironment({ attempt: 2 }).run(activity, input)) as CommitTaskResult;
    expect(retry).toMatchObject({ committed: false, skipped: 'already-committed', sha: first.sha });
    // A first attempt trusts that it made no commit yet: with the same id it commits what changed.
    const fresh = (await new MockActivityEnvironment({ attempt: 1 }).run(activity, input)) as CommitTaskResult;
    expect(fresh).toMatchObject({ committed: true });
    expect(commits(root)).toBe(3);
  });

  test('when nothing changed, the folder is not a git work tree, or the task is a heal task, then nothing is committed', async () => {
    const root = repo();
    expect(
      (await commitTask({ cwd: root, taskId: id(5), taskType: 'impl', direction: 'd', push: false })).skipped,
    ).toBe('no-changes');
    writeFileSync(path.join(root, 'h.txt'), 'h');
    expect(
      (await commitTask({ cwd: root, taskId: id(6), taskType: 'heal', direction: 'd', push: false })).skipped,
    ).toBe('heal-task');
    const plain = mkdtempSync(path.join(os.tmpdir(), 'nightshift-plain-'));
    writeFileSync(path.join(plain, 'x'), 'x');
    expect(
      (await commitTask({ cwd: plain, taskId: id(7), taskType: 'impl', direction: 'd', push: false })).skipped,
    ).toBe('not-a-work-tree');
    expect(commits(root)).toBe(1);
  });

  test('when only the state dir changed, then nothing is committed and it never enters a commit', async () => {
    const root = repo();
    await ensureStateDir(root, path.join(root, '.nightshift'));
    writeFileSync(path.join(root, '.nightshift', 'logs', 'metrics.jsonl'), '{}\n');
    expect(
      (await commitTask({ cwd: root, taskId: id(8), taskType: 'impl', direction: 'd', push: false })).skipped,
    ).toBe('no-changes');
    writeFileSync(path.join(root, 'code.js'), '1');
    await commitTask({ cwd: root, taskId: id(9), taskType: 'impl', direction: 'd', push: false });
    expect(run(root, 'show', '--name-only', '--format=', 'HEAD').trim()).toBe('code.js');
  });

  test('when the work tree is a linked worktree (.git is a file), then it is committed like any work tree', async () => {
    const root = repo();
    const wt = path.join(mkdtempSync(path.join(os.tmpdir(), 'nightshift-wt-')), 'item');
    run(root, 'worktree', 'add', '-q', '-b', 'nightshift/item', wt);
    writeFileSync(path.join(wt, 'w.txt'), 'w');
    const r = await commitTask({ cwd: wt, taskId: id(10), taskType: 'spec', direction: 'd', push: false });
    expect(r.committed).toBe(true);
    expect(run(root, 'log', '-1', '--format=%s', 'nightshift/item').trim()).toContain(id(10));
  });

  test('when auto-push is on, then the commit reaches the bare remote; with no remote the push error is recorded and the commit stays', async () => {
    const { root, bare } = repoWithRemote();
    writeFileSync(path.join(root, 'p.txt'), 'p');
    const pushed = await commitTask({ cwd: root, taskId: id(11), taskType: 'impl', direction: 'push me', push: true });
    expect(pushed).toMatchObject({ committed: true, pushed: true, pushError: null });
    expect(run(bare, 'log', '-1', '--format=%s', 'main').trim()).toContain(id(11));

    const lonely = repo();
    mkdirSync(path.join(lonely, 'd'));
    writeFileSync(path.join(lonely, 'd', 'q.txt'), 'q');
    const failed = await commitTask({
      cwd: lonely,
      taskId: id(12),
      taskType: 'impl',
      direction: 'no remote',
      push: true,
    });
    expect(failed.committed).toBe(true);
    expect(failed.pushed).toBe(false);
    expect(failed.pushError).toMatch(/push|remote|destination/i);
  });

  test("when a repository hook runs, then it sees the user's git settings but none of nightshift's secrets; a hook that refuses the commit is recorded, not thrown", async () => {
    const root = repo();
    const envFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'nightshift-hook-')), 'env.txt');
    writeFileSync(
      path.join(root, '.git', 'hooks', 'pre-commit'),
      `#!/bin/sh\nenv > '${envFile}'\necho 'lint says no' >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    writeFileSync(path.join(root, 'h.txt'), 'h');
    const set = {
      PIPELINE_API_TOKEN: 'tok-secret-1',
      TEMPORAL_API_KEY: 'key-secret-2',
      TEMPORAL_TLS_KEY: '/keys/secret-3',
      GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
      EDITOR: 'vi',
      PAGER: 'less',
      NIGHTSHIFT_TEST_MARK: 'kept',
    };
    const saved = Object.fromEntries(Object.keys(set).map((k) => [k, process.env[k]]));
    Object.assign(process.env, set);
    try {
      const r = (await new MockActivityEnvironment().run(createCommitTask(), {
        cwd: root,
        taskId: id(13),
        taskType: 'impl' as const,
        direction: 'd',
        push: false,
      })) as CommitTaskResult;
      expect(r).toMatchObject({ committed: false, sha: null, skipped: 'error' });
      expect(r.error).toContain('lint says no');
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
    const env = readFileSync(envFile, 'utf8');
    expect(env).not.toMatch(/secret/);
    expect(env).toContain('GIT_SSH_COMMAND=ssh -o BatchMode=yes');
    expect(env).toContain('NIGHTSHIFT_TEST_MARK=kept');
    expect(env).toContain('GIT_TERMINAL_PROMPT=0');
    expect(commits(root)).toBe(1);
  });

  test(
    'when a push hangs silently (a pre-push hook that never returns), then git is stopped after GIT_STALL_MS and the push error says so',
    async () => {
      const { root, bare } = repoWithRemote();
      const pidFile = path.join(bare, 'hook.pid');
      writeFileSync(
        path.join(root, '.git', 'hooks', 'pre-push'),
        `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 300\n`,
        { mode: 0o755 },
      );
      writeFileSync(path.join(root, 'slow.txt'), 's');
      const t0 = Date.now();
      try {
        const r = await commitTask({ cwd: root, taskId: id(14), taskType: 'impl', direction: 'hangs', push: true });
        expect(r).toMatchObject({
          committed: true,
          pushed: false,
          pushError: `git printed nothing for ${GIT_STALL_MS / 1000} s and was stopped`,
        });
        expect(Date.now() - t0).toBeGreaterThanOrEqual(GIT_STALL_MS);
        expect(run(bare, 'log', '-1', '--format=%s', 'main').trim()).not.toContain(id(14));
      } finally {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8')));
        } catch {
          // the hook already ended
        }
      }
    },
    GIT_STALL_MS + 60_000,
  );
});
