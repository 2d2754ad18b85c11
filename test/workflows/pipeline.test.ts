import { ApplicationFailure } from '@temporalio/common';
import path from 'node:path';
import { buildDirection } from '../../src/shared/directions';
import { itemWorkflowId } from '../../src/shared/names';
import { queryRunningItem } from '../../src/temporal/pipeline-control';
import { pauseSignal, pipelineStatusQuery, resumeSignal, stopSignal } from '../../src/shared/messages';
import type {
  BacklogItem,
  ItemOutcomeRecord,
  PipelineInput,
  PipelineResult,
  PipelineSettings,
  ReadBacklogInput,
} from '../../src/shared/contracts/pipeline';
import type { RunAgentTaskResult, TaskSpec } from '../../src/shared/contracts/task';
import { waitFor } from '../helpers/project';
import { testConfig, useTestWorker } from '../helpers/temporal';
import { agentResult, passingOutput, settingsFor, sleep, uniqueId, type Fakes } from './fakes';

/**
 * pipelineWorkflow on a real dev server with fake activities: backlog order,
 * earlier outcomes, re-reads, continue-as-new, limits and the signals. The fake
 * outcome store behaves like the real one: readBacklog returns what
 * recordItemOutcome recorded.
 */

interface Project {
  id: string;
  settings: PipelineSettings;
  /** The backlog readBacklog returns on its n-th call (0-based). */
  backlog: (n: number) => BacklogItem[];
  outcomes: Record<string, ItemOutcomeRecord>;
  reads: ReadBacklogInput[];
  recorded: ItemOutcomeRecord[];
  tasks: TaskSpec[];
  agent: (task: TaskSpec) => RunAgentTaskResult | Promise<RunAgentTaskResult>;
  /** Worktree and coverage steps, with when they ran (real time). */
  steps: { name: string; key: string; start: number; end: number }[];
  /** How long closeWorktree (the merge) takes. */
  closeMs: number;
  /** Items whose closeWorktree has begun. */
  merging: string[];
  /** Backlog reads (`read`) and agent runs (the item key), in the order they happened. */
  sequence: string[];
}

const projects = new Map<string, Project>();
const projectOfItem = new Map<string, Project>();

const fakes: Fakes = {
  async readBacklog(input) {
    const p = projects.get(path.basename(input.projectRoot));
    if (!p) throw ApplicationFailure.nonRetryable(`no project for ${input.projectRoot}`);
    const n = p.reads.length;
    p.reads.push(input);
    p.sequence.push('read');
    const items = p.backlog(n);
    for (const i of items) projectOfItem.set(i.key, p);
    return { items, warnings: [], outcomes: { ...p.outcomes } };
  },
  async recordItemOutcome(input) {
    const p = projects.get(path.basename(path.dirname(input.stateDir)));
    if (!p) throw ApplicationFailure.nonRetryable(`no project for ${input.stateDir}`);
    p.recorded.push(input.record);
    p.outcomes[input.record.key] = input.record;
    return { written: true };
  },
  async runAgentTask(input) {
    const p = projectOfItem.get(input.task.item_key ?? '');
    if (!p) throw ApplicationFailure.nonRetryable(`no project for item ${input.task.item_key}`);
    p.tasks.push(input.task);
    p.sequence.push(input.task.item_key ?? '');
    return p.agent(input.task);
  },
  async finishTask() {
    return { metricsLineWritten: true };
  },
  async prepareWorktree(input) {
    const start = Date.now();
    projectOfState(input.stateDir).steps.push({ name: 'prepareWorktree', key: input.itemKey, start, end: Date.now() });
    return {
      path: `${input.stateDir}/worktrees/${input.itemKey}`,
      branch: `nightshift/${input.itemKey}`,
      created: true,
    };
  },
  async closeWorktree(input) {
    const p = projectOfState(input.stateDir);
    const start = Date.now();
    p.merging.push(input.itemKey);
    await sleep(p.closeMs);
    p.steps.push({ name: 'closeWorktree', key: input.itemKey, start, end: Date.now() });
    return { merged: input.merge, fastForward: false, reason: null };
  },
  async updateCoverage(input) {
    const start = Date.now();
    projectOfState(input.stateDir).steps.push({ name: 'updateCoverage', key: input.itemKey, start, end: Date.now() });
    return { changes: 0, skipped: null, commitSha: null };
  },
  async runTestCommand() {
    throw ApplicationFailure.nonRetryable('no test command in these tests');
  },
};

function projectOfState(stateDir: string): Project {
  const p = projects.get(path.basename(path.dirname(stateDir)));
  if (!p) throw ApplicationFailure.nonRetryable(`no project for ${stateDir}`);
  return p;
}

const config = testConfig();
const fixture = useTestWorker(config, fakes);

function project(
  opts: {
    settings?: Partial<PipelineSettings>;
    agent?: Project['agent'];
    outcomes?: Record<string, ItemOutcomeRecord>;
  } = {},
): Project {
  const id = uniqueId('proj');
  const p: Project = {
    id,
    settings: settingsFor(id, opts.settings),
    backlog: () => [],
    outcomes: { ...opts.outcomes },
    reads: [],
    recorded: [],
    tasks: [],
    agent: opts.agent ?? ((task) => agentResult(passingOutput(task))),
    steps: [],
    closeMs: 0,
    merging: [],
    sequence: [],
  };
  projects.set(id, p);
  return p;
}

/**
 * Two items at once in worktrees: each task of an item whose name ends in `slow` takes `slowItemMs`, each merge
 * `closeMs`.
 */
function worktreeProject(o: { slowItemMs: number; closeMs: number }): Project {
  const p = project({
    settings: { parallelItems: 2, baseBranch: 'main' },
    agent: async (task) => {
      if (task.item_key?.endsWith('-slow')) await sleep(o.slowItemMs);
      return agentResult(passingOutput(task));
    },
  });
  p.closeMs = o.closeMs;
  return p;
}

function items(p: Project, ...names: string[]): BacklogItem[] {
  return names.map((name, i) => ({
    key: `${p.id}-${name}`,
    text: `Backlog item ${name} of ${p.id}`,
    source: 'product',
    file: p.settings.productBacklog,
    line: i + 3,
  }));
}

function inputFor(p: Project, extra: Partial<PipelineInput> = {}): PipelineInput {
  return { projectId: p.id, settings: p.settings, ...extra };
}

function start(p: Project, extra: Partial<PipelineInput> = {}) {
  return fixture.client().client.workflow.start('pipelineWorkflow', {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: `pipeline-${p.id}`,
    args: [inputFor(p, extra)],
  });
}

async function run(p: Project, extra: Partial<PipelineInput> = {}): Promise<PipelineResult> {
  return (await fixture.client().client.workflow.execute('pipelineWorkflow', {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: `pipeline-${p.id}`,
    args: [inputFor(p, extra)],
  })) as PipelineResult;
}

/** The item keys in the order their first task ran. */
const itemsInRunOrder = (p: Project) => [...new Set(p.tasks.map((x) => x.item_key))];
const tasksOf = (p: Project, key: string) =>
  p.tasks.filter((x) => x.item_key === key).map((x) => `${x.task_type}#${x.iteration}`);
const FULL = ['spec#1', 'impl#1', 'test#1', 'review#1'];

describe('pipelineWorkflow', () => {
  test('when run once over a backlog, then every item runs once in backlog order and its outcome is recorded as passed', async () => {
    const p = project();
    const backlog = items(p, 'a', 'b', 'c');
    p.backlog = () => backlog;
    const result = await run(p, { once: true });

    expect(result).toEqual({ reason: 'once', itemsPassed: 3, itemsFailed: 0, tasksRun: 12 });
    expect(itemsInRunOrder(p)).toEqual(backlog.map((i) => i.key));
    for (const i of backlog) {
      expect(tasksOf(p, i.key)).toEqual(FULL);
      expect(p.tasks.find((x) => x.item_key === i.key && x.task_type === 'spec')!.direction).toBe(
        buildDirection('spec', i.text, 1),
      );
    }
    expect(p.recorded.map((r) => [r.key, r.outcome, r.position])).toEqual(backlog.map((i) => [i.key, 'passed', null]));
    expect(p.reads[0]).toEqual({
      projectRoot: p.settings.projectRoot,
      stateDir: p.settings.stateDir,
      productBacklog: p.settings.productBacklog,
      metaBacklog: p.settings.metaBacklog,
      metaRatio: p.settings.metaRatio,
    });
  });

  test('when items run in worktrees, then a finished item is merged while the next one starts, merges run one at a time and each outcome is recorded after its merge', async () => {
    const p = worktreeProject({ slowItemMs: 300, closeMs: 1500 });
    const backlog = items(p, 'a', 'slow', 'c', 'd');
    p.backlog = () => backlog;
    const result = await run(p, { once: true });

    expect(result).toEqual({ reason: 'once', itemsPassed: 4, itemsFailed: 0, tasksRun: 16 });
    const [a, , c] = backlog.map((i) => i.key);
    const step = (name: string, key: string) => p.steps.find((x) => x.name === name && x.key === key)!;
    // c takes the slot a left at once: it does not wait for a's merge (1.5 s) to end
    expect(step('prepareWorktree', c).start).toBeLessThan(step('closeWorktree', a).end);
    const merges = p.steps.filter((x) => x.name === 'closeWorktree').sort((x, y) => x.start - y.start);
    expect(merges.map((m) => m.key).sort()).toEqual(backlog.map((i) => i.key).sort());
    for (let i = 1; i < merges.length; i++) expect(merges[i].start).toBeGreaterThanOrEqual(merges[i - 1].end);
    expect(p.recorded.map((r) => [r.key, r.outcome])).toEqual(merges.map((m) => [m.key, 'passed']));
    for (const m of merges) expect(step('updateCoverage', m.key).start).toBeGreaterThanOrEqual(m.end);
  });

  test('when a finished item waits for its merge, then the status names no ended workflow for a query and shows how the item ended', async () => {
    const p = worktreeProject({ slowItemMs: 1500, closeMs: 3000 });
    const backlog = items(p, 'a', 'slow');
    p.backlog = () => backlog;
    const handle = await start(p, { once: true });
    const [a, slow] = backlog.map((i) => i.key);
    await waitFor(() => p.merging.includes(a), 30_000, "a's merge");
    const status = await handle.query(pipelineStatusQuery);
    const { client } = fixture.client();
    expect((await client.workflow.getHandle(itemWorkflowId(p.id, a)).describe()).status.name).toBe('COMPLETED');
    // a's workflow has ended: querying it would replay its history on a worker
    expect(status.items.find((i) => i.key === a)).toMatchObject({ state: 'running', workflowId: null, iteration: 1 });
    expect(status.items.find((i) => i.key === slow)).toMatchObject({
      state: 'running',
      workflowId: itemWorkflowId(p.id, slow),
    });
    // the status's item query: answered by a running item; an ended one is rejected by the server, not replayed by the
    // worker
    expect(await queryRunningItem(fixture.client(), itemWorkflowId(p.id, slow), 5000)).toMatchObject({ itemKey: slow });
    expect(await queryRunningItem(fixture.client(), itemWorkflowId(p.id, a), 5000)).toBeNull();
    expect(await handle.result()).toEqual({ reason: 'once', itemsPassed: 2, itemsFailed: 0, tasksRun: 8 });
  });

  test('when several slots are free at once, then one backlog read starts them all, and the backlog is read again before the run ends', async () => {
    const p = project({ settings: { parallelItems: 3 } });
    const backlog = items(p, 'a', 'b', 'c', 'd', 'e', 'f');
    p.backlog = () => backlog;
    const result = await run(p, { once: true });

    expect(result).toEqual({ reason: 'once', itemsPassed: 6, itemsFailed: 0, tasksRun: 24 });
    const c = backlog[2].key;
    // a, b and c start back to back: not a read per start (the reads before c's first task)
    expect(p.sequence.slice(0, p.sequence.indexOf(c)).filter((x) => x === 'read').length).toBeLessThanOrEqual(2);
    expect(p.reads.length).toBeLessThan(backlog.length);
    expect(p.sequence[p.sequence.length - 1]).toBe('read'); // nothing pending: read once more before ending
  });

  test('when every slot is free at once in worktrees, then one workflow task starts them all, and items that finish together are each merged once, one merge at a time, in the order they finished', async () => {
    const p = project({ settings: { parallelItems: 4, baseBranch: 'main' } });
    p.closeMs = 200;
    const backlog = items(p, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i');
    p.backlog = () => backlog;
    const handle = await start(p, { once: true });
    const result = (await handle.result()) as PipelineResult;

    expect(result).toEqual({ reason: 'once', itemsPassed: 9, itemsFailed: 0, tasksRun: 36 });
    const events = (await fixture.client().client.workflow.getHandle(handle.workflowId).fetchHistory()).events ?? [];
    // The first pass fills the four slots: four child starts sent by one workflow task, not one per loop pass.
    const starts = events.flatMap((e) =>
      e.startChildWorkflowExecutionInitiatedEventAttributes
        ? [
            {
              task: String(e.startChildWorkflowExecutionInitiatedEventAttributes.workflowTaskCompletedEventId),
              id: e.startChildWorkflowExecutionInitiatedEventAttributes.workflowId!,
            },
          ]
        : [],
    );
    expect(starts.filter((x) => x.task === starts[0].task).map((x) => x.id)).toEqual(
      backlog.slice(0, 4).map((i) => itemWorkflowId(p.id, i.key)),
    );
    // Nothing started twice, every item ran its tasks once.
    expect(starts.map((x) => x.id).sort()).toEqual(backlog.map((i) => itemWorkflowId(p.id, i.key)).sort());
    for (const i of backlog) expect(tasksOf(p, i.key)).toEqual(FULL);
    // Merges: each item once, never two at a time, in the order the items' workflows completed.
    const completed = events.flatMap(
      (e) => e.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId ?? [],
    );
    const merges = p.steps.filter((x) => x.name === 'closeWorktree').sort((x, y) => x.start - y.start);
    expect(merges.map((m) => itemWorkflowId(p.id, m.key))).toEqual(completed);
    for (let i = 1; i < merges.length; i++) expect(merges[i].start).toBeGreaterThanOrEqual(merges[i - 1].end);
    // Each outcome recorded once, after its own merge; coverage after its own merge.
    expect(p.recorded.map((r) => r.key).sort()).toEqual(backlog.map((i) => i.key).sort());
    expect(p.recorded.every((r) => r.outcome === 'passed')).toBe(true);
    for (const m of merges)
      expect(p.steps.find((x) => x.name === 'updateCoverage' && x.key === m.key)!.start).toBeGreaterThanOrEqual(m.end);
  });

  test('when an item fails all its iterations, then it is recorded failed and the next item still runs', async () => {
    const p = project({ settings: { maxIterations: 1 } });
    const [bad, good] = items(p, 'bad', 'good');
    p.backlog = () => [bad, good];
    p.agent = (task) =>
      agentResult(
        task.task_type === 'review' && task.item_key === bad.key ? 'VERDICT: fail\nbroken' : passingOutput(task),
      );
    const result = await run(p, { once: true });

    expect(result).toMatchObject({ reason: 'once', itemsPassed: 1, itemsFailed: 1, tasksRun: 8 });
    expect(p.recorded.map((r) => [r.key, r.outcome])).toEqual([
      [bad.key, 'failed'],
      [good.key, 'passed'],
    ]);
  });

  test('when earlier runs finished some items and stopped one, then finished items are skipped and the stopped one resumes at its phase', async () => {
    const at = '2026-03-09T22:00:00.000Z';
    const p = project();
    const [done, stopped, failed, fresh] = items(p, 'done', 'stopped', 'failed', 'fresh');
    p.outcomes = {
      [done.key]: { key: done.key, outcome: 'passed', position: null, at },
      [stopped.key]: {
        key: stopped.key,
        outcome: 'stopped',
        position: { phase: 'impl', iteration: 2, lastOutput: 'review=fail tests=skipped. missing tests' },
        at,
      },
      [failed.key]: { key: failed.key, outcome: 'failed', position: null, at },
    };
    p.backlog = () => [done, stopped, failed, fresh];
    const result = await run(p, { once: true });

    expect(result).toMatchObject({ reason: 'once', tasksRun: 7 });
    expect(itemsInRunOrder(p)).toEqual([stopped.key, fresh.key]);
    expect(tasksOf(p, stopped.key)).toEqual(['impl#2', 'test#2', 'review#2']);
    expect(p.tasks[0].direction).toBe(
      buildDirection('impl', stopped.text, 2, 'review=fail tests=skipped. missing tests'),
    );
    expect(tasksOf(p, fresh.key)).toEqual(FULL);
    expect(p.recorded.map((r) => [r.key, r.outcome])).toEqual([
      [stopped.key, 'passed'],
      [fresh.key, 'passed'],
    ]);
  });

  test('when an item is added to the backlog while another runs, then the re-read picks it up before a once run ends', async () => {
    const p = project();
    const [first, added] = items(p, 'first', 'added');
    p.backlog = (n) => (n === 0 ? [first] : [first, added]);
    const result = await run(p, { once: true });

    expect(result).toMatchObject({ reason: 'once', itemsPassed: 2, tasksRun: 8 });
    expect(itemsInRunOrder(p)).toEqual([first.key, added.key]);
    expect(tasksOf(p, first.key)).toEqual(FULL);
    expect(tasksOf(p, added.key)).toEqual(FULL);
    expect(p.reads.length).toBeGreaterThanOrEqual(2);
  });

  test('when the history passes continueAsNewEvents, then the pipeline continues as new and keeps its state: every item runs exactly once', async () => {
    const p = project({ settings: { continueAsNewEvents: 30 } });
    const backlog = items(p, '1', '2', '3', '4', '5', '6');
    p.backlog = () => backlog;
    const handle = await start(p, { once: false, maxItems: 6 });
    const result = (await handle.result()) as PipelineResult;

    expect(result).toEqual({ reason: 'max_items', itemsPassed: 6, itemsFailed: 0, tasksRun: 24 });
    expect(itemsInRunOrder(p)).toEqual(backlog.map((i) => i.key));
    for (const i of backlog) expect(tasksOf(p, i.key)).toEqual(FULL);
    expect(p.recorded.map((r) => r.key)).toEqual(backlog.map((i) => i.key));

    // More than one run: the first one ended by continuing as new, and the chain moved on.
    const firstRun = handle.firstExecutionRunId;
    const history = await fixture.client().client.workflow.getHandle(handle.workflowId, firstRun).fetchHistory();
    const events = history.events ?? [];
    expect(events[events.length - 1].workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    const latest = await fixture.client().client.workflow.getHandle(handle.workflowId).describe();
    expect(latest.runId).not.toBe(firstRun);
    const status = await fixture.client().client.workflow.getHandle(handle.workflowId).query(pipelineStatusQuery);
    expect(status.continueAsNewCount).toBeGreaterThan(0);
    expect(status.itemsByState).toMatchObject({ passed: 6, pending: 0, running: 0, failed: 0 });
    expect(status.tasksRun).toBe(24);
  });

  test('when maxItems is 2 with 3 items, then the pipeline ends with max_items after exactly 2 items', async () => {
    const p = project();
    const backlog = items(p, 'a', 'b', 'c');
    p.backlog = () => backlog;
    const result = await run(p, { maxItems: 2 });

    expect(result).toEqual({ reason: 'max_items', itemsPassed: 2, itemsFailed: 0, tasksRun: 8 });
    expect(itemsInRunOrder(p)).toEqual([backlog[0].key, backlog[1].key]);
    expect(p.recorded.map((r) => r.key)).toEqual([backlog[0].key, backlog[1].key]);
  });

  test('when stopped while idle on an empty backlog, then it ends with reason stopped', async () => {
    const p = project({ settings: { backlogPollSeconds: 1 } });
    const handle = await start(p, { once: false });
    try {
      await waitFor(() => p.reads.length >= 1, 10_000, 'the first backlog read');
      expect(await handle.query(pipelineStatusQuery)).toMatchObject({
        state: 'idle',
        paused: false,
        stopRequested: false,
      });
      await handle.signal(stopSignal);
      const result = (await handle.result()) as PipelineResult;
      expect(result).toEqual({ reason: 'stopped', itemsPassed: 0, itemsFailed: 0, tasksRun: 0 });
      expect(p.tasks).toHaveLength(0);
    } finally {
      await handle.terminate().catch(() => undefined);
    }
  });

  test('when paused, then no item starts although the backlog has items, and after resume the item runs', async () => {
    const p = project({ settings: { backlogPollSeconds: 1 } });
    const [item] = items(p, 'later');
    let backlog: BacklogItem[] = [];
    p.backlog = () => backlog;
    const handle = await start(p, { once: false, maxItems: 1 });
    try {
      await waitFor(() => p.reads.length >= 1, 10_000, 'the first backlog read');
      await handle.signal(pauseSignal);
      await waitFor(async () => (await handle.query(pipelineStatusQuery)).paused, 10_000, 'the paused status');
      backlog = [item];
      await sleep(1500); // more than one poll interval
      expect(p.tasks).toHaveLength(0);
      expect(await handle.query(pipelineStatusQuery)).toMatchObject({
        state: 'paused',
        itemsByState: { running: 0, passed: 0 },
      });

      await handle.signal(resumeSignal);
      const result = (await handle.result()) as PipelineResult;
      expect(result).toEqual({ reason: 'max_items', itemsPassed: 1, itemsFailed: 0, tasksRun: 4 });
      expect(tasksOf(p, item.key)).toEqual(FULL);
    } finally {
      await handle.terminate().catch(() => undefined);
    }
  });

  test('when stopped while an item runs, then the stop reaches the item, its position is recorded and the pipeline ends stopped', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = project();
    const [item, next] = items(p, 'busy', 'next');
    p.backlog = () => [item, next];
    p.agent = async (task) => {
      if (task.task_type === 'impl') await gate;
      return agentResult(passingOutput(task));
    };
    const handle = await start(p, { once: true });
    try {
      await waitFor(() => p.tasks.some((x) => x.task_type === 'impl'), 20_000, 'the impl task to start');
      await handle.signal(stopSignal);
      await waitFor(async () => (await handle.query(pipelineStatusQuery)).stopRequested, 10_000, 'the stopping status');
      release();
      const result = (await handle.result()) as PipelineResult;

      expect(result).toMatchObject({ reason: 'stopped', itemsPassed: 0, itemsFailed: 0, tasksRun: 2 });
      expect(tasksOf(p, item.key)).toEqual(['spec#1', 'impl#1']);
      expect(tasksOf(p, next.key)).toEqual([]);
      expect(p.recorded).toEqual([
        {
          key: item.key,
          outcome: 'stopped',
          position: { phase: 'test', iteration: 1, lastOutput: '' },
          at: expect.any(String),
          reason: 'stop requested',
        },
      ]);
    } finally {
      release();
      await handle.terminate().catch(() => undefined);
    }
  });

  test('when the hours limit passes while an item runs, then the item is stopped at its position and the pipeline ends with deadline', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = project();
    const [item] = items(p, 'slow');
    p.backlog = () => [item];
    p.agent = async (task) => {
      if (task.task_type === 'impl') await gate;
      return agentResult(passingOutput(task));
    };
    const handle = await start(p, { once: true, hours: 0.0003 }); // 1.08 s
    try {
      await waitFor(() => p.tasks.some((x) => x.task_type === 'impl'), 20_000, 'the impl task to start');
      await waitFor(
        async () => (await handle.query(pipelineStatusQuery)).stopRequested,
        10_000,
        'the deadline to stop the pipeline',
      );
      release();
      const result = (await handle.result()) as PipelineResult;

      expect(result).toMatchObject({ reason: 'deadline', itemsPassed: 0, tasksRun: 2 });
      expect(tasksOf(p, item.key)).toEqual(['spec#1', 'impl#1']);
      expect(p.recorded).toEqual([
        {
          key: item.key,
          outcome: 'stopped',
          position: { phase: 'test', iteration: 1, lastOutput: '' },
          at: expect.any(String),
          reason: 'stop requested',
        },
      ]);
    } finally {
      release();
      await handle.terminate().catch(() => undefined);
    }
  });

  test('when the hours limit passes on an idle pipeline, then it ends with reason deadline', async () => {
    const p = project({ settings: { backlogPollSeconds: 30 } });
    const started = Date.now();
    const result = await run(p, { once: false, hours: 0.0004 }); // 1.44 s

    expect(result).toEqual({ reason: 'deadline', itemsPassed: 0, itemsFailed: 0, tasksRun: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
