import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectPaths, type EnvConfig } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { itemWorkflowId } from '../../src/shared/names';
import type { TemporalClient } from '../../src/temporal/connection';
import { commitsOn, git, makeProject, readJsonl, type TempProject } from '../helpers/project';
import { startTestWorker, testClient, testConfig, type TestWorker } from '../helpers/temporal';

async function run(project: TempProject, overrides: Record<string, string>, keepClient = false) {
  const config: EnvConfig = testConfig({
    PIPELINE_AGENT_COMMAND: project.agentCommand,
    PIPELINE_META_RATIO: '0',
    ...overrides,
  });
  const t: TemporalClient = testClient(config);
  if (keepClient) clients.push(t);
  const worker: TestWorker = await startTestWorker(config);
  try {
    const paths = projectPaths(config, project.root);
    const started = await startPipeline(t, config, paths, { once: true });
    const result = await t.client.workflow.getHandle(started.workflowId).result();
    /** The activity types a workflow scheduled, in order. */
    const activitiesOf = async (workflowId: string) =>
      ((await t.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).flatMap(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
      );
    return { result, paths, activitiesOf, pipelineId: started.workflowId };
  } finally {
    await worker.stop();
    if (!keepClient) await t.close();
  }
}

const clients: TemporalClient[] = [];
afterAll(async () => Promise.all(clients.map((t) => t.close())));

describe('git: auto-commit in the project root', () => {
  test('when PIPELINE_AUTO_COMMIT=1, then every completed task is one commit with its trailer, and the state dir is never committed', async () => {
    const project = makeProject(['Commit each task'], { review: [{ output: 'VERDICT: pass' }] });
    const { result, paths } = await run(project, { PIPELINE_AUTO_COMMIT: '1' });
    expect(result).toMatchObject({ itemsPassed: 1, tasksRun: 4 });
    const commits = commitsOn(project.root, 'HEAD').slice(1); // after "init"
    expect(commits.map((c) => c.subject.split(' ')[1])).toEqual(['spec', 'impl', 'test', 'review']);
    const tasks = readJsonl<{ task_id: string; task_type: string }>(paths.metricsFile);
    commits.forEach((c, i) => {
      expect(c.subject).toMatch(new RegExp(`^\\[pipeline\\] ${tasks[i].task_type} ${tasks[i].task_id}: `));
      expect(c.files).toEqual([`work/${tasks[i].task_id}.txt`]);
    });
    expect(git(project.root, 'log', '--format=%B').match(/Pipeline-Task: task_[0-9a-f]{16}/g)).toHaveLength(4);
    expect(git(project.root, 'log', '--name-only', '--format=')).not.toContain('.nightshift');
    expect(git(project.root, 'status', '--porcelain')).toBe('');
  });

  test('when auto-commit is off (the default), then the pipeline makes no commit', async () => {
    const project = makeProject(['Do not commit'], { review: [{ output: 'VERDICT: pass' }] });
    await run(project, {});
    expect(commitsOn(project.root, 'HEAD')).toHaveLength(1);
  });
});

describe('git: parallel items in worktrees', () => {
  test('when two items run in parallel, then each commits only its own files on its own branch and both are merged back', async () => {
    const project = makeProject(['Parallel item one', 'Parallel item two'], {
      default: [{ sleepMs: 300, output: 'did the work for this task' }],
      review: [{ output: 'VERDICT: pass' }],
    });
    const { result, paths, activitiesOf, pipelineId } = await run(project, { PIPELINE_PARALLEL_ITEMS: '2' }, true);
    expect(result).toMatchObject({ itemsPassed: 2, itemsFailed: 0, tasksRun: 8 });
    // Each item prepares its own worktree as its first step; the pipeline only merges them back.
    const pipelineSteps = await activitiesOf(pipelineId);
    expect(pipelineSteps).not.toContain('prepareWorktree');
    expect(pipelineSteps.filter((a) => a === 'closeWorktree')).toHaveLength(2);
    const items = readJsonl<{ key: string }>(path.join(paths.stateDir, 'items.jsonl'));
    for (const { key } of items)
      expect((await activitiesOf(itemWorkflowId(paths.projectId, key)))[0]).toBe('prepareWorktree');
    const calls = project.calls();
    // both items really ran at the same time in different folders
    expect(new Set(calls.map((c) => (c as unknown as { cwd: string }).cwd)).size).toBe(2);
    const itemOf = new Map(
      readJsonl<{ task_id: string; item_key: string }>(paths.metricsFile).map((m) => [m.task_id, m.item_key]),
    );
    const commits = commitsOn(project.root, 'main').slice(1);
    expect(commits).toHaveLength(8);
    for (const c of commits) {
      const taskId = /task_[0-9a-f]{16}/.exec(c.subject)![0];
      expect(c.files).toEqual([`work/${taskId}.txt`]); // never another item's (or task's) work
      expect(itemOf.get(taskId)).toBeDefined();
    }
    // every task's file is on main now, worktrees are gone, merged branches deleted
    for (const id of itemOf.keys()) expect(existsSync(path.join(project.root, 'work', `${id}.txt`))).toBe(true);
    expect(git(project.root, 'worktree', 'list').trim().split('\n')).toHaveLength(1);
    expect(git(project.root, 'branch', '--list', 'nightshift/*').trim()).toBe('');
    expect(git(project.root, 'rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('main');
  });

  test('when four items start together and finish together, then each is merged into main once, one after another in the order they ended, and recorded once', async () => {
    const texts = [
      'Together item one',
      'Together item two',
      'Together item three',
      'Together item four',
      'Together item five',
    ];
    const project = makeProject(texts, {
      default: [{ sleepMs: 200, output: 'did the work for this task' }],
      review: [{ output: 'VERDICT: pass' }],
    });
    const { result, paths, pipelineId } = await run(project, { PIPELINE_PARALLEL_ITEMS: '4' }, true);
    expect(result).toMatchObject({ itemsPassed: 5, itemsFailed: 0, tasksRun: 20 });
    const t = clients[clients.length - 1];
    const events = (await t.client.workflow.getHandle(pipelineId).fetchHistory()).events ?? [];
    const starts = events.flatMap((e) =>
      e.startChildWorkflowExecutionInitiatedEventAttributes
        ? [String(e.startChildWorkflowExecutionInitiatedEventAttributes.workflowTaskCompletedEventId)]
        : [],
    );
    expect(starts).toHaveLength(5); // nothing started twice
    expect(starts.filter((task) => task === starts[0])).toHaveLength(4); // the four free slots filled by one workflow task
    // The merges, in the order the pipeline ran them, are the items in the order their workflows ended: each once.
    const ended = events.flatMap(
      (e) => e.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId ?? [],
    );
    const closes = events.flatMap((e) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name === 'closeWorktree' ? [e] : [],
    );
    const closedKeys = closes.map(
      (e) =>
        (
          JSON.parse(Buffer.from(e.activityTaskScheduledEventAttributes!.input!.payloads![0].data!).toString()) as {
            itemKey: string;
          }
        ).itemKey,
    );
    expect(closedKeys.map((k) => itemWorkflowId(paths.projectId, k))).toEqual(ended);
    const merges = git(project.root, 'log', '--reverse', '--first-parent', '--format=%s', 'main')
      .trim()
      .split('\n')
      .filter((m) => m.startsWith('[pipeline] merge '));
    // a fast-forward leaves no merge commit: every branch that needed one got exactly one, in the order of the closes
    const mergedBranches = merges.map((m) => m.replace('[pipeline] merge nightshift/', ''));
    expect(new Set(mergedBranches).size).toBe(mergedBranches.length);
    expect(closedKeys.filter((k) => mergedBranches.includes(k))).toEqual(mergedBranches);
    const outcomes = readJsonl<{ key: string; outcome: string }>(path.join(paths.stateDir, 'items.jsonl'));
    expect(outcomes.map((o) => o.key).sort()).toEqual([...closedKeys].sort());
    expect(outcomes.every((o) => o.outcome === 'passed')).toBe(true);
    // every task's own file is on main, each commit once: no lost merge, nothing merged twice
    const tasks = readJsonl<{ task_id: string; item_key: string }>(paths.metricsFile);
    expect(tasks).toHaveLength(20);
    const commits = commitsOn(project.root, 'main').slice(1);
    expect(commits.map((c) => c.files[0]).sort()).toEqual(tasks.map((m) => `work/${m.task_id}.txt`).sort());
    for (const m of tasks) expect(existsSync(path.join(project.root, 'work', `${m.task_id}.txt`))).toBe(true);
    expect(git(project.root, 'worktree', 'list').trim().split('\n')).toHaveLength(1);
    expect(git(project.root, 'branch', '--list', 'nightshift/*').trim()).toBe('');
    expect(git(project.root, 'status', '--porcelain')).toBe('');
  });

  test('when two parallel items change the same file differently, then the second merge fails that item, keeps its branch and records why', async () => {
    const project = makeProject(['Conflict item one', 'Conflict item two'], {
      impl: [
        {
          sleepMs: 200,
          output: 'wrote shared.txt one way',
          write: { path: 'shared.txt', content: 'version from {task_id}\n' },
        },
        {
          sleepMs: 200,
          output: 'wrote shared.txt another way',
          write: { path: 'shared.txt', content: 'other version from {task_id}\n' },
        },
      ],
      review: [{ output: 'VERDICT: pass' }],
    });
    const { result, paths } = await run(project, { PIPELINE_PARALLEL_ITEMS: '2' });
    expect(result).toMatchObject({ itemsPassed: 1, itemsFailed: 1 });
    const outcomes = readJsonl<{ key: string; outcome: string; reason?: string }>(
      path.join(paths.stateDir, 'items.jsonl'),
    );
    const failed = outcomes.find((o) => o.outcome === 'failed')!;
    expect(failed.reason).toContain('merge conflict in shared.txt');
    expect(git(project.root, 'branch', '--list', `nightshift/${failed.key}`).trim()).toBe(`nightshift/${failed.key}`);
    expect(git(project.root, 'status', '--porcelain')).toBe(''); // the aborted merge left main clean
    expect(readFileSync(path.join(project.root, 'shared.txt'), 'utf8')).toMatch(/version from task_/);
  });
});
