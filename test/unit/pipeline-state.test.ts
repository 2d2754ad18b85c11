import { combineBacklogs } from '../../src/backlog/combine';
import { itemKey } from '../../src/backlog/parse';
import type {
  BacklogItem,
  ItemOutcomeRecord,
  ItemPosition,
  ItemResult,
  PipelineCarriedState,
  ReadBacklogResult,
} from '../../src/shared/contracts/pipeline';
import {
  applyItemResult,
  compactForContinueAsNew,
  countByState,
  initialState,
  mergeBacklog,
  nextPendingItem,
  statusView,
  type ChildrenView,
} from '../../src/workflows/pipeline-state';

const NOW = '2026-03-10T12:00:00.000Z';

const item = (text: string, source: 'product' | 'meta' = 'product', line = 1): BacklogItem => ({
  key: itemKey(text),
  text,
  source,
  file: source === 'product' ? 'p.md' : 'm.md',
  line,
});
const backlog = (items: BacklogItem[], outcomes: Record<string, ItemOutcomeRecord> = {}): ReadBacklogResult => ({
  items,
  warnings: [],
  outcomes,
});
const fresh = (): PipelineCarriedState => initialState(NOW, undefined);
const extra = { runStartedAt: NOW, historyLength: 42, workflowIdOf: (key: string) => `wf-${key}` };
const view = (s: PipelineCarriedState, children: Partial<ChildrenView> = {}) =>
  statusView(s, {
    ...extra,
    children: { running: new Set<string>(), ended: new Map(), waiting: new Set<string>(), ...children },
  });

const A = item('Item A');
const B = item('Item B');
const C = item('Item C');

describe('initialState', () => {
  test('when hours are given, then the deadline is start + hours; without hours there is none', () => {
    expect(initialState(NOW, 2).deadline).toBe('2026-03-10T14:00:00.000Z');
    expect(initialState(NOW, 0).deadline).toBeNull();
    expect(initialState(NOW, undefined).deadline).toBeNull();
    expect(initialState(NOW, undefined, true).paused).toBe(true);
    expect(fresh()).toMatchObject({
      items: {},
      order: [],
      stopRequested: false,
      continueAsNewCount: 0,
      itemsFinished: 0,
      tasksRun: 0,
      startedAt: NOW,
    });
  });
});

describe('mergeBacklog', () => {
  test('when items are new, then they join as pending in backlog order', () => {
    const s = fresh();
    mergeBacklog(s, backlog([A, B, C]));
    expect(s.order).toEqual([A.key, B.key, C.key]);
    expect(Object.values(s.items).map((i) => i.state)).toEqual(['pending', 'pending', 'pending']);
    expect(s.items[A.key]).toEqual({
      key: A.key,
      text: 'Item A',
      source: 'product',
      state: 'pending',
      iteration: 1,
      phase: null,
      startedAt: null,
      finishedAt: null,
      resume: null,
    });
  });

  test('when the file is edited and reordered, then known items keep their state and the order follows the file', () => {
    const s = fresh();
    mergeBacklog(s, backlog([A, B, C]));
    s.items[A.key].state = 'passed';
    s.items[B.key].state = 'running';
    s.items[B.key].iteration = 3;
    const D = item('Item D', 'meta');
    const renumbered: BacklogItem = { ...B, line: 9 };
    mergeBacklog(s, backlog([C, D, renumbered, A]));
    expect(s.order).toEqual([C.key, D.key, B.key, A.key]);
    expect(s.items[A.key].state).toBe('passed');
    expect(s.items[B.key]).toMatchObject({ state: 'running', iteration: 3 });
    expect(s.items[D.key]).toMatchObject({ state: 'pending', source: 'meta' });
  });

  test('when the text of a known item changes only in case/whitespace (same key), then the new text is kept and state too', () => {
    const s = fresh();
    mergeBacklog(s, backlog([A]));
    s.items[A.key].state = 'failed';
    const edited: BacklogItem = { ...A, text: 'item   a' };
    expect(edited.key).toBe(itemKey('item   a'));
    mergeBacklog(s, backlog([edited]));
    expect(s.items[A.key]).toMatchObject({ text: 'item   a', state: 'failed' });
  });

  test('when earlier runs recorded outcomes, then passed/failed items start finished and stopped items start pending with a resume position', () => {
    const position: ItemPosition = { phase: 'test', iteration: 2, lastOutput: 'tests failed' };
    const outcomes: Record<string, ItemOutcomeRecord> = {
      [A.key]: { key: A.key, outcome: 'passed', position: null, at: '2026-03-09T01:00:00.000Z' },
      [B.key]: {
        key: B.key,
        outcome: 'failed',
        position: { phase: 'impl', iteration: 6, lastOutput: 'x' },
        at: '2026-03-09T02:00:00.000Z',
      },
      [C.key]: { key: C.key, outcome: 'stopped', position, at: '2026-03-09T03:00:00.000Z' },
    };
    const s = fresh();
    mergeBacklog(s, backlog([A, B, C], outcomes));
    expect(s.items[A.key]).toMatchObject({ state: 'passed', finishedAt: '2026-03-09T01:00:00.000Z', resume: null });
    expect(s.items[B.key]).toMatchObject({
      state: 'failed',
      finishedAt: '2026-03-09T02:00:00.000Z',
      iteration: 6,
      resume: null,
    });
    expect(s.items[C.key]).toMatchObject({
      state: 'pending',
      finishedAt: null,
      iteration: 2,
      phase: 'test',
      resume: position,
    });
    expect(nextPendingItem(s)?.key).toBe(C.key);
  });

  test('when an outcome exists for an item already known in the carried state, then the carried state wins', () => {
    const s = fresh();
    mergeBacklog(s, backlog([A]));
    s.items[A.key].state = 'running';
    mergeBacklog(s, backlog([A], { [A.key]: { key: A.key, outcome: 'failed', position: null, at: NOW } }));
    expect(s.items[A.key].state).toBe('running');
  });
});

describe('nextPendingItem', () => {
  test('when items are pending, then the first in order is returned', () => {
    const s = fresh();
    mergeBacklog(s, backlog([A, B, C]));
    expect(nextPendingItem(s)?.key).toBe(A.key);
  });

  test('when earlier items are running, passed or failed, then they are skipped', () => {
    const s = fresh();
    mergeBacklog(s, backlog([A, B, C]));
    s.items[A.key].state = 'running';
    expect(nextPendingItem(s)?.key).toBe(B.key);
    s.items[B.key].state = 'passed';
    expect(nextPendingItem(s)?.key).toBe(C.key);
    s.items[C.key].state = 'failed';
    expect(nextPendingItem(s)).toBeNull();
  });

  test('when the order changes, then the next item follows the new order', () => {
    const s = fresh();
    mergeBacklog(s, backlog([A, B, C]));
    mergeBacklog(s, backlog([C, A, B]));
    expect(nextPendingItem(s)?.key).toBe(C.key);
  });

  test('when every runnable product item is blocked (waiting on a decision or failed), then a meta item takes the slot', () => {
    const products = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6'].map((t) => item(`Product ${t}`));
    const metas = ['M1', 'M2'].map((t) => item(`Meta ${t}`, 'meta'));
    const byKey = new Map([...products, ...metas].map((i) => [i.key, i]));
    const order = combineBacklogs(
      products.map((i) => i.key),
      metas.map((i) => i.key),
      0.2,
    ).map((k) => byKey.get(k)!);
    expect(order.map((i) => i.source)).toEqual([
      'product',
      'product',
      'product',
      'product',
      'meta',
      'product',
      'product',
      'meta',
    ]);
    const s = fresh();
    mergeBacklog(s, backlog(order));
    // P1 waits for a human decision (its workflow runs, its slot is free), P2 and P3 failed, P4 passed.
    s.items[products[0].key].state = 'running';
    s.items[products[1].key].state = 'failed';
    s.items[products[2].key].state = 'failed';
    s.items[products[3].key].state = 'passed';
    expect(nextPendingItem(s)?.text).toBe('Meta M1');
    s.items[metas[0].key].state = 'running';
    expect(nextPendingItem(s)?.text).toBe('Product P5'); // product again as soon as one is runnable
    s.items[products[4].key].state = 'failed';
    s.items[products[5].key].state = 'failed';
    expect(nextPendingItem(s)?.text).toBe('Meta M2');
  });

  test('when the product list is empty, then the meta items run in file order', () => {
    const metas = ['M1', 'M2'].map((t) => item(`Meta ${t}`, 'meta'));
    const s = fresh();
    mergeBacklog(s, backlog(combineBacklogs([], metas, 0.2)));
    expect(nextPendingItem(s)?.text).toBe('Meta M1');
  });

  test('when an item is no longer in the backlog order, then it is not picked even if pending', () => {
    const s = fresh();
    mergeBacklog(s, backlog([A, B]));
    mergeBacklog(s, backlog([B]));
    s.items[B.key].state = 'passed';
    expect(nextPendingItem(s)).toBeNull();
  });
});

describe('applyItemResult', () => {
  const setup = () => {
    const s = fresh();
    mergeBacklog(s, backlog([A]));
    const rec = s.items[A.key];
    rec.state = 'running';
    rec.startedAt = NOW;
    return rec;
  };

  test('when an item passed, then it is passed with finishedAt and no resume', () => {
    const rec = setup();
    applyItemResult(
      rec,
      {
        outcome: 'passed',
        iteration: 2,
        tasksRun: 6,
        position: { phase: 'review', iteration: 2, lastOutput: '' },
        reason: 'ok',
      },
      '2026-03-10T13:00:00.000Z',
    );
    expect(rec).toMatchObject({
      state: 'passed',
      iteration: 2,
      phase: 'review',
      finishedAt: '2026-03-10T13:00:00.000Z',
      resume: null,
    });
  });

  test('when an item failed, then it is failed with finishedAt', () => {
    const rec = setup();
    applyItemResult(
      rec,
      { outcome: 'failed', iteration: 6, tasksRun: 20, position: null, reason: 'max iterations' },
      '2026-03-10T14:00:00.000Z',
    );
    expect(rec).toMatchObject({ state: 'failed', iteration: 6, finishedAt: '2026-03-10T14:00:00.000Z', resume: null });
  });

  test('when an item was stopped, then it goes back to pending with its resume position and is not finished', () => {
    const rec = setup();
    const position: ItemPosition = { phase: 'impl', iteration: 3, lastOutput: 'review=fail' };
    applyItemResult(
      rec,
      { outcome: 'stopped', iteration: 3, tasksRun: 4, position, reason: 'stop requested' },
      '2026-03-10T15:00:00.000Z',
    );
    expect(rec).toMatchObject({ state: 'pending', iteration: 3, phase: 'impl', finishedAt: null, resume: position });
  });
});

describe('compactForContinueAsNew', () => {
  test('when compacting, then finished items are dropped, pending/running kept and the counter incremented, without mutating the input', () => {
    const s = fresh();
    const D = item('Item D');
    mergeBacklog(s, backlog([A, B, C, D]));
    s.items[A.key].state = 'passed';
    s.items[B.key].state = 'failed';
    s.items[C.key].state = 'running';
    s.tasksRun = 7;
    s.itemsFinished = 2;
    const next = compactForContinueAsNew(s);
    expect(Object.keys(next.items).sort()).toEqual([C.key, D.key].sort());
    expect(next.items[C.key].state).toBe('running');
    expect(next.items[D.key].state).toBe('pending');
    expect(next.continueAsNewCount).toBe(1);
    expect(next.tasksRun).toBe(7);
    expect(next.itemsFinished).toBe(2);
    expect(next.startedAt).toBe(NOW);
    expect(s.continueAsNewCount).toBe(0);
    expect(Object.keys(s.items)).toHaveLength(4);
    expect(compactForContinueAsNew(next).continueAsNewCount).toBe(2);
  });

  test('when a compacted state is merged with the backlog and earlier outcomes, then finished items come back finished', () => {
    const s = fresh();
    mergeBacklog(s, backlog([A, B]));
    s.items[A.key].state = 'passed';
    const next = compactForContinueAsNew(s);
    mergeBacklog(next, backlog([A, B], { [A.key]: { key: A.key, outcome: 'passed', position: null, at: NOW } }));
    expect(next.order).toEqual([A.key, B.key]);
    expect(next.items[A.key].state).toBe('passed');
    expect(nextPendingItem(next)?.key).toBe(B.key);
  });
});

describe('statusView / countByState', () => {
  test('when items are in different states, then they are counted by state and listed in order', () => {
    const s = fresh();
    const D = item('Item D', 'meta');
    mergeBacklog(s, backlog([A, B, C, D]));
    s.items[A.key].state = 'passed';
    s.items[B.key].state = 'running';
    s.items[B.key].phase = 'impl';
    s.items[C.key].state = 'failed';
    expect(countByState(s)).toEqual({ pending: 1, running: 1, passed: 1, failed: 1 });
    const v = view(s, { running: new Set([B.key]) });
    expect(v.itemsByState).toEqual({ pending: 1, running: 1, passed: 1, failed: 1 });
    expect(v.items.map((i) => i.key)).toEqual([A.key, B.key, C.key, D.key]);
    expect(v.items[1]).toEqual({
      key: B.key,
      text: 'Item B',
      source: 'product',
      state: 'running',
      iteration: 1,
      phase: 'impl',
      workflowId: `wf-${B.key}`,
      waitingDecision: false,
    });
    expect(v.items.filter((i) => i.workflowId !== null)).toHaveLength(1);
    // a running item that waits for a human decision is marked so
    expect(view(s, { running: new Set([B.key]), waiting: new Set([B.key]) }).items[1].waitingDecision).toBe(true);
    expect(v.items[3].source).toBe('meta');
    expect(v.state).toBe('running');
    expect(v.historyLength).toBe(42);
    expect(v.runStartedAt).toBe(NOW);
  });

  test('when nothing runs, then the state is idle; paused and stopping take precedence', () => {
    const s = fresh();
    mergeBacklog(s, backlog([A]));
    expect(view(s).state).toBe('idle');
    s.items[A.key].state = 'running';
    s.paused = true;
    expect(view(s).state).toBe('paused');
    s.stopRequested = true;
    expect(view(s).state).toBe('stopping');
  });

  test("when an item's workflow has ended and the item waits to be settled, then it is not named for a query and shows how it ended", () => {
    const s = fresh();
    mergeBacklog(s, backlog([A, B, C]));
    for (const key of [A.key, B.key, C.key]) s.items[key].state = 'running';
    s.items[A.key].phase = 'spec';
    const ended = new Map<string, ItemResult>([
      [A.key, { outcome: 'passed', iteration: 2, tasksRun: 7, position: null, reason: 'review passed' }],
      [
        B.key,
        {
          outcome: 'stopped',
          iteration: 3,
          tasksRun: 2,
          position: { phase: 'test', iteration: 3, lastOutput: '' },
          reason: 'stopped',
        },
      ],
    ]);
    const v = view(s, { running: new Set([C.key]), ended });
    expect(v.items.map((i) => i.workflowId)).toEqual([null, null, `wf-${C.key}`]);
    expect(v.items.map((i) => [i.state, i.iteration, i.phase])).toEqual([
      ['running', 2, 'spec'],
      ['running', 3, 'test'],
      ['running', 1, null],
    ]);
    // still counted as running until settled
    expect(v.itemsByState.running).toBe(3);
    // an ended result is shown for a running item only
    s.items[A.key].state = 'passed';
    expect(view(s, { ended }).items[0].iteration).toBe(1);
  });

  test('when items are dropped from the order, then they are not counted', () => {
    const s = fresh();
    mergeBacklog(s, backlog([A, B]));
    mergeBacklog(s, backlog([B]));
    expect(countByState(s)).toEqual({ pending: 1, running: 0, passed: 0, failed: 0 });
    expect(view(s).items.map((i) => i.key)).toEqual([B.key]);
  });
});
