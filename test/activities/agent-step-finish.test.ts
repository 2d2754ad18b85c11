import { MockActivityEnvironment } from '@temporalio/testing';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRunAgentTask } from '../../src/activities/agent';
import { agentEnvironment } from '../../src/config';
import { trailer } from '../../src/git/message';
import type { AgentSettings, RunAgentTaskInput, TaskSpec, TaskType } from '../../src/shared/contracts/task';
import { TaskIndex } from '../../src/tasks/store';
import { committedRepo, git, readJsonl } from '../helpers/project';

/**
 * Issue 17: the agent step commits a completed run itself (`commitWhenCompleted`) and writes a finished task's record
 * (`recordWhenFinished`) when asked: the workflow's commit and record steps are then not needed.
 */

const models = { spec: 'm', impl: 'm', test: 'm', review: 'm', heal: 'm' };

function nodeAgent(script: string): AgentSettings {
  return { name: 'command', argvTemplate: [process.execPath, '-e', script], modelByType: models };
}

const writes = (text: string) =>
  nodeAgent(`require("fs").writeFileSync("a.txt", ${JSON.stringify(text)}); console.log("edited a.txt as asked")`);
const looksOnly = nodeAgent('console.log("looked at it, nothing to change")');
const fails = nodeAgent(
  'require("fs").writeFileSync("a.txt", "half done\\n"); console.log("gave up halfway"); process.exit(3)',
);

function repo(): string {
  // The state dir lies inside the tree, as in a project: it must never be committed.
  const root = committedRepo('step-commit', { 'a.txt': 'a\n', '.gitignore': '.nightshift/\n' });
  // commitTask commits as the repository's identity
  git(root, 'config', 'user.name', 'test');
  git(root, 'config', 'user.email', 'test@example.invalid');
  return root;
}

let seq = 0;
function input(root: string, agent: AgentSettings, over: Partial<RunAgentTaskInput> = {}, type: TaskType = 'impl') {
  const task: TaskSpec = {
    id: `task_${(++seq).toString(16).padStart(16, '0')}`,
    task_type: type,
    direction: 'Change a.txt as the spec says.',
    model: 'command/m',
    item_key: 'k',
    iteration: 1,
    created_at: new Date().toISOString(),
  };
  return {
    task,
    projectRoot: root,
    stateDir: path.join(root, '.nightshift'),
    agent,
    timeoutSeconds: 30,
    ...over,
  } satisfies RunAgentTaskInput;
}

const head = (root: string) => git(root, 'rev-parse', 'HEAD').trim();
const headMessage = (root: string) => git(root, 'log', '-1', '--format=%B');
const commits = (root: string) => Number(git(root, 'rev-list', '--count', 'HEAD').trim());
const dirty = (root: string) => git(root, 'status', '--porcelain').trim();

describe('runAgentTask: the commit of a completed run in the same step', () => {
  const run = createRunAgentTask({ agentEnv: agentEnvironment({ PATH: process.env.PATH, HOME: process.env.HOME }) });
  const attempt = (n: number) => new MockActivityEnvironment({ attempt: n });

  test('when a run completes with commitWhenCompleted, then its changes are one commit with the task trailer and the result carries it', async () => {
    const root = repo();
    const i = input(root, writes('b\n'), { commitWhenCompleted: { push: false } });
    const r = await attempt(1).run(run, i);
    expect(r.status).toBe('completed');
    expect(r.commit).toEqual({
      committed: true,
      sha: head(root),
      skipped: null,
      pushed: false,
      pushError: null,
      error: null,
    });
    expect(headMessage(root)).toContain(trailer(i.task.id));
    expect(commits(root)).toBe(2);
    expect(dirty(root)).toBe('');
  });

  test('when a run fails, then nothing is committed and the result has no commit (the tree keeps what the agent left)', async () => {
    const root = repo();
    const r = await attempt(1).run(run, input(root, fails, { commitWhenCompleted: { push: false } }));
    expect(r.status).toBe('failed');
    expect(r.commit).toBeUndefined();
    expect(commits(root)).toBe(1);
    expect(dirty(root)).toBe('M a.txt');
  });

  test('when commitWhenCompleted is not asked for, then a completed run is not committed (the commit step does it)', async () => {
    const root = repo();
    const r = await attempt(1).run(run, input(root, writes('c\n')));
    expect(r.status).toBe('completed');
    expect(r.commit).toBeUndefined();
    expect(commits(root)).toBe(1);
  });

  test('when the retry of a step that had committed changes nothing, then it reports that commit; when it changes more, then that is committed too', async () => {
    const root = repo();
    const first = input(root, writes('d\n'), { commitWhenCompleted: { push: false } }, 'spec');
    const r1 = await attempt(1).run(run, first);
    const committed = r1.commit?.sha;
    expect(committed).toBe(head(root));
    // the worker was lost after the commit, before the step completed: attempt 2 runs the agent again
    const r2 = await attempt(2).run(run, { ...first, agent: looksOnly });
    expect(r2.commit).toMatchObject({ committed: false, sha: committed, skipped: 'already-committed' });
    expect(commits(root)).toBe(2);
    const r3 = await attempt(3).run(run, { ...first, agent: writes('e\n') });
    expect(r3.commit).toMatchObject({ committed: true, sha: head(root) });
    expect(commits(root)).toBe(3);
    expect(headMessage(root)).toContain(trailer(first.task.id));
  });

  test('when git cannot commit, then the run stays completed and the failure is in the commit result, not thrown', async () => {
    const root = repo();
    // another git process holds the index
    writeFileSync(path.join(root, '.git', 'index.lock'), '');
    const r = await attempt(1).run(run, input(root, writes('f\n'), { commitWhenCompleted: { push: false } }));
    expect(r.status).toBe('completed');
    expect(r.commit).toMatchObject({ committed: false, sha: null, skipped: 'error' });
    expect(r.commit?.error).toMatch(/git process/);
    expect(commits(root)).toBe(1);
  });

  const recordIn = (root: string) => ({
    metricsFile: path.join(root, '.nightshift', 'logs', 'metrics.jsonl'),
    credentialHeld: true,
    workflowId: 'wf-item-k',
  });

  test('when a run completes with recordWhenFinished, then the step writes the final snapshot with its commit and one metrics line', async () => {
    const root = repo();
    const record = recordIn(root);
    const i = input(root, writes('g\n'), { commitWhenCompleted: { push: false }, recordWhenFinished: record });
    const r = await attempt(1).run(run, i);
    expect(r).toMatchObject({ status: 'completed', recorded: true });
    const stored = await new TaskIndex(i.stateDir).get(i.task.id);
    expect(stored).toMatchObject({
      status: 'completed',
      commit_sha: head(root),
      push_error: null,
      workflow_id: 'wf-item-k',
      finished_at: r.finishedAt,
      output: r.output,
    });
    const lines = readJsonl<{ task_id: string; status: string }>(record.metricsFile);
    expect(lines).toEqual([expect.objectContaining({ task_id: i.task.id, status: 'completed' })]);
    // a retry of the step (its worker was lost after the record) writes no second line
    const again = await attempt(2).run(run, { ...i, agent: looksOnly, task: { ...i.task, task_type: 'spec' } });
    expect(again.recorded).toBe(true);
    expect(readJsonl(record.metricsFile)).toHaveLength(1);
  });

  test('when a run asks for a decision, then the step writes no final record (the task waits)', async () => {
    const root = repo();
    const record = recordIn(root);
    const i = input(
      root,
      nodeAgent('console.log("Which database should it use?\\nNEEDS_DECISION: Postgres or SQLite?")'),
      {
        recordWhenFinished: record,
      },
      'spec',
    );
    const r = await attempt(1).run(run, i);
    expect(r.status).toBe('needs_decision');
    expect(r.recorded).toBeUndefined();
    expect((await new TaskIndex(i.stateDir).get(i.task.id))?.status).toBe('running');
    expect(existsSync(record.metricsFile)).toBe(false);
  });

  test('when a failed run finishes the task, then its record is written too; when the record cannot be written, then recorded is false and the run is still returned', async () => {
    const root = repo();
    const failed = await attempt(1).run(run, input(root, fails, { recordWhenFinished: recordIn(root) }));
    expect(failed).toMatchObject({ status: 'failed', recorded: true });
    // the metrics file's folder is a file: the append fails (as on a full or read-only disk)
    const blocked = path.join(root, 'blocked');
    writeFileSync(blocked, '');
    const r = await attempt(1).run(
      run,
      input(root, writes('h\n'), {
        recordWhenFinished: { ...recordIn(root), metricsFile: path.join(blocked, 'metrics.jsonl') },
      }),
    );
    expect(r).toMatchObject({ status: 'completed', recorded: false });
  });
});
