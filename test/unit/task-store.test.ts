import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TaskRecord } from '../../src/shared/contracts/task';
import { isTaskId, taskLogPath } from '../../src/tasks/paths';
import { appendTaskSnapshot, TaskIndex, tasksFile } from '../../src/tasks/store';

const id = (n: number) => `task_${n.toString(16).padStart(16, '0')}`;

function task(n: number, over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: id(n),
    task_type: 'impl',
    status: 'pending',
    direction: `direction ${n}`,
    model: 'demo/demo-1',
    item_key: 'item-0123456789',
    iteration: 1,
    created_at: `2026-03-10T12:00:${String(n).padStart(2, '0')}.000Z`,
    started_at: null,
    finished_at: null,
    output: null,
    exit_code: null,
    decision_prompt: null,
    decision: null,
    ...over,
  };
}

describe('TaskIndex over appended snapshots', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-tasks-'));
  });
  afterEach(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  test('when no tasks file exists, then the index is empty', async () => {
    const index = new TaskIndex(stateDir);
    expect(await index.all()).toEqual([]);
    expect(await index.countByStatus()).toEqual({ total: 0, by_status: {} });
    expect(await index.get(id(1))).toBeUndefined();
  });

  test('when several requests read a large, growing file at once, then each sees every task', async () => {
    const file = tasksFile(stateDir);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const padding = 'x'.repeat(400); // > 4 MB in all, so one read takes several chunks
    fs.writeFileSync(
      file,
      Array.from({ length: 12_000 }, (_, n) => JSON.stringify(task(n, { direction: padding })) + '\n').join(''),
    );
    const index = new TaskIndex(stateDir);
    const reads = [index.all(), index.all(), index.all()];
    fs.appendFileSync(
      file,
      Array.from({ length: 500 }, (_, n) => JSON.stringify(task(12_000 + n, { direction: padding })) + '\n').join(''),
    );
    reads.push(index.all());
    const counts = (await Promise.all(reads)).map((r) => r.length);
    for (const c of counts) expect(c).toBeGreaterThanOrEqual(12_000);
    expect((await index.all()).length).toBe(12_500);
  });

  test('when a task has several snapshots, then the latest one wins', async () => {
    const index = new TaskIndex(stateDir);
    await appendTaskSnapshot(stateDir, task(1, { status: 'pending' }));
    expect((await index.get(id(1)))?.status).toBe('pending');
    await appendTaskSnapshot(stateDir, task(1, { status: 'running', started_at: '2026-03-10T12:01:00.000Z' }));
    await appendTaskSnapshot(stateDir, task(1, { status: 'completed', output: 'done and done', exit_code: 0 }));
    const t = await index.get(id(1));
    expect(t).toMatchObject({ status: 'completed', output: 'done and done', exit_code: 0 });
    expect(await index.all()).toHaveLength(1);
    // a fresh index reading the whole file agrees
    expect(await new TaskIndex(stateDir).get(id(1))).toEqual(t);
  });

  test('when tasks are listed, then they are newest first by created_at regardless of append order', async () => {
    await appendTaskSnapshot(stateDir, task(2));
    await appendTaskSnapshot(stateDir, task(5));
    await appendTaskSnapshot(stateDir, task(1));
    await appendTaskSnapshot(stateDir, task(3));
    const all = await new TaskIndex(stateDir).all();
    expect(all.map((t) => t.id)).toEqual([id(5), id(3), id(2), id(1)]);
  });

  test('when querying by status and type, then only matching tasks are returned with a total independent of paging', async () => {
    const specs: [number, Partial<TaskRecord>][] = [
      [1, { status: 'completed', task_type: 'spec' }],
      [2, { status: 'failed', task_type: 'impl' }],
      [3, { status: 'completed', task_type: 'impl' }],
      [4, { status: 'completed', task_type: 'impl' }],
      [5, { status: 'running', task_type: 'test' }],
      [6, { status: 'completed', task_type: 'impl' }],
    ];
    for (const [n, over] of specs) await appendTaskSnapshot(stateDir, task(n, over));
    const index = new TaskIndex(stateDir);

    expect(await index.query({ status: 'completed', limit: 20, offset: 0 })).toMatchObject({ total: 4 });
    expect((await index.query({ status: 'completed', limit: 20, offset: 0 })).tasks.map((t) => t.id)).toEqual([
      id(6),
      id(4),
      id(3),
      id(1),
    ]);
    expect((await index.query({ taskType: 'impl', limit: 20, offset: 0 })).tasks.map((t) => t.id)).toEqual([
      id(6),
      id(4),
      id(3),
      id(2),
    ]);

    const both = await index.query({ status: 'completed', taskType: 'impl', limit: 2, offset: 0 });
    expect(both.total).toBe(3);
    expect(both.tasks.map((t) => t.id)).toEqual([id(6), id(4)]);

    const page2 = await index.query({ status: 'completed', taskType: 'impl', limit: 2, offset: 2 });
    expect(page2.total).toBe(3);
    expect(page2.tasks.map((t) => t.id)).toEqual([id(3)]);

    const beyond = await index.query({ limit: 20, offset: 100 });
    expect(beyond).toEqual({ tasks: [], total: 6 });

    const all = await index.query({ limit: 3, offset: 1 });
    expect(all.total).toBe(6);
    expect(all.tasks.map((t) => t.id)).toEqual([id(5), id(4), id(3)]);
  });

  test('when counting by status, then each task is counted once by its latest status', async () => {
    await appendTaskSnapshot(stateDir, task(1, { status: 'running' }));
    await appendTaskSnapshot(stateDir, task(2, { status: 'failed' }));
    await appendTaskSnapshot(stateDir, task(3, { status: 'running' }));
    await appendTaskSnapshot(stateDir, task(1, { status: 'completed' }));
    await appendTaskSnapshot(stateDir, task(4, { status: 'needs_decision' }));
    expect(await new TaskIndex(stateDir).countByStatus()).toEqual({
      total: 4,
      by_status: { running: 1, failed: 1, completed: 1, needs_decision: 1 },
    });
  });

  test('when garbage or foreign lines are in the file, then they are ignored', async () => {
    await appendTaskSnapshot(stateDir, task(1, { status: 'running' }));
    fs.appendFileSync(
      tasksFile(stateDir),
      'this is not json\n{"id": "task_x"}\n[1,2,3]\nnull\n\n{"id":"task_0000000000000001","status":"failed"\n',
    );
    await appendTaskSnapshot(stateDir, task(2, { status: 'completed' }));
    const index = new TaskIndex(stateDir);
    const all = await index.all();
    expect(all.map((t) => [t.id, t.status])).toEqual([
      [id(2), 'completed'],
      [id(1), 'running'],
    ]);
    expect(await index.countByStatus()).toEqual({ total: 2, by_status: { completed: 1, running: 1 } });
  });

  test('when new snapshots are appended after a listing, then the next listing includes them (incremental refresh)', async () => {
    const index = new TaskIndex(stateDir);
    await appendTaskSnapshot(stateDir, task(1));
    expect((await index.all()).map((t) => t.id)).toEqual([id(1)]);
    await appendTaskSnapshot(stateDir, task(2, { status: 'running' }));
    await appendTaskSnapshot(stateDir, task(1, { status: 'failed' }));
    expect((await index.all()).map((t) => [t.id, t.status])).toEqual([
      [id(2), 'running'],
      [id(1), 'failed'],
    ]);
  });

  test('when snapshots are written, then the tasks file is <state dir>/tasks.jsonl with one JSON object per line', async () => {
    await appendTaskSnapshot(stateDir, task(1));
    await appendTaskSnapshot(stateDir, task(1, { status: 'running' }));
    expect(tasksFile(stateDir)).toBe(path.join(stateDir, 'tasks.jsonl'));
    const lines = fs.readFileSync(tasksFile(stateDir), 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[1])).toEqual(task(1, { status: 'running' }));
  });
});

describe('tasks/paths', () => {
  test('when an id is task_ plus 16 lowercase hex digits, then it is accepted', () => {
    expect(isTaskId('task_0123456789abcdef')).toBe(true);
    expect(isTaskId('task_ffffffffffffffff')).toBe(true);
  });

  test.each([
    ['uppercase hex', 'task_0123456789ABCDEF'],
    ['15 hex digits', 'task_0123456789abcde'],
    ['17 hex digits', 'task_0123456789abcdef0'],
    ['non-hex letters', 'task_0123456789abcdeg'],
    ['wrong prefix', 'Task_0123456789abcdef'],
    ['no prefix', '0123456789abcdef'],
    ['trailing newline', 'task_0123456789abcdef\n'],
    ['path traversal', '../etc/passwd'],
    ['embedded slash', 'task_0123456789abcdef/../x'],
    ['empty', ''],
  ])('when the id has %s, then it is rejected', (_label, value) => {
    expect(isTaskId(value)).toBe(false);
  });

  test('when the id is valid, then the log path is <state>/logs/tasks/<id>.log', () => {
    expect(taskLogPath('/state', 'task_0123456789abcdef')).toBe(
      path.join('/state', 'logs', 'tasks', 'task_0123456789abcdef.log'),
    );
  });

  test('when the id is not a task id, then taskLogPath throws', () => {
    expect(() => taskLogPath('/state', '../etc/passwd')).toThrow();
    expect(() => taskLogPath('/state', 'task_ABCDEF0123456789')).toThrow();
    expect(() => taskLogPath('/state', '')).toThrow();
  });
});
