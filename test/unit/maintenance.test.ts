import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cleanupTaskLogs } from '../../src/maintenance/cleanup';
import { compactMetrics } from '../../src/maintenance/compact-metrics';
import { appendTaskSnapshot } from '../../src/tasks/store';
import type { TaskRecord } from '../../src/shared/contracts/task';

const DAY = 86_400_000;
const id = (n: number) => `task_${n.toString(16).padStart(16, '0')}`;

function stateDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-maint-'));
  mkdirSync(path.join(dir, 'logs', 'tasks'), { recursive: true });
  return dir;
}

function logFile(dir: string, n: number, ageDays: number): string {
  const f = path.join(dir, 'logs', 'tasks', `${id(n)}.log`);
  writeFileSync(f, 'log');
  const t = new Date(Date.now() - ageDays * DAY);
  utimesSync(f, t, t);
  return f;
}

describe('cleanupTaskLogs', () => {
  test('when logs are older than the limit, then they are removed, but never the log of a running or waiting task', async () => {
    const dir = stateDir();
    const old = logFile(dir, 1, 20);
    const running = logFile(dir, 2, 20);
    const waiting = logFile(dir, 3, 20);
    const fresh = logFile(dir, 4, 2);
    const base = {
      task_type: 'impl',
      direction: 'd',
      model: 'm',
      item_key: null,
      iteration: 1,
      created_at: new Date().toISOString(),
      started_at: null,
      finished_at: null,
      output: null,
      exit_code: null,
      decision_prompt: null,
      decision: null,
    } as const;
    await appendTaskSnapshot(dir, { ...base, id: id(2), status: 'running' } as TaskRecord);
    await appendTaskSnapshot(dir, { ...base, id: id(3), status: 'needs_decision' } as TaskRecord);
    const r = await cleanupTaskLogs({ stateDir: dir, keepDays: 14 });
    expect(r.removed).toEqual([old]);
    expect(readdirSync(path.dirname(old)).sort()).toEqual(
      [running, waiting, fresh].map((f) => path.basename(f)).sort(),
    );
    expect((await cleanupTaskLogs({ stateDir: dir, keepDays: 14 })).removed).toEqual([]);
  });

  test('when keep-days is 0, then every finished log goes but live ones stay', async () => {
    const dir = stateDir();
    logFile(dir, 1, 0);
    const r = await cleanupTaskLogs({ stateDir: dir, keepDays: 0, now: Date.now() + 1000 });
    expect(r.removed).toHaveLength(1);
  });
});

describe('compactMetrics', () => {
  const line = (n: number, ageDays: number) =>
    JSON.stringify({
      task_id: id(n),
      task_type: 'impl',
      model: 'm',
      duration_seconds: 1,
      status: 'completed',
      created_at: new Date(Date.now() - ageDays * DAY).toISOString(),
    });

  test('when lines are older than the window, then they move to a dated archive and no line is lost or doubled', async () => {
    const dir = stateDir();
    const file = path.join(dir, 'logs', 'metrics.jsonl');
    const lines = [line(1, 40), line(2, 35), 'garbage that is not ours to judge', line(3, 3), line(4, 1)];
    writeFileSync(file, lines.join('\n') + '\n');
    const r = await compactMetrics({ metricsFile: file, keepDays: 30 });
    expect(r).toMatchObject({ archived: 2, kept: 3 });
    const store = readFileSync(file, 'utf8').trim().split('\n');
    const archive = readFileSync(r.archiveFile!, 'utf8').trim().split('\n');
    expect(path.basename(r.archiveFile!)).toMatch(/^metrics-archive-\d{4}-\d\d-\d\d\.jsonl$/);
    expect([...store, ...archive].sort()).toEqual([...lines].sort());
    expect(await compactMetrics({ metricsFile: file, keepDays: 30 })).toMatchObject({ archived: 0, kept: 3 });
    expect(readFileSync(file, 'utf8').trim().split('\n').sort()).toEqual(store.sort());
  });

  test('when something other than a file stands where the store should be, then compaction leaves it alone', async () => {
    const dir = stateDir();
    const file = path.join(dir, 'logs', 'metrics.jsonl');
    mkdirSync(file);
    expect(await compactMetrics({ metricsFile: file, keepDays: 30 })).toEqual({
      archived: 0,
      kept: 0,
      archiveFile: null,
    });
    expect(readdirSync(path.join(dir, 'logs')).sort()).toEqual(['metrics.jsonl', 'tasks']);
  });

  test('when writers append while it compacts, then every appended line is kept', async () => {
    const dir = stateDir();
    const file = path.join(dir, 'logs', 'metrics.jsonl');
    writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => line(i, i % 2 ? 40 : 1)).join('\n') + '\n');
    const writer = promisify(execFile)(process.execPath, [
      '-e',
      `const { appendLine } = require(${JSON.stringify(path.resolve(__dirname, '../../lib/util/jsonl.js'))});
       (async () => { for (let i = 0; i < 2000; i++) await appendLine(${JSON.stringify(file)}, ${JSON.stringify(line(0, 0)).replace(/task_0+/, 'task_new')}.replace('task_new', 'task_' + (9000000000000000 + i))); })();`,
    ]);
    const r = await compactMetrics({ metricsFile: file, keepDays: 30 });
    await writer;
    const store = readFileSync(file, 'utf8').trim().split('\n');
    const archive = readFileSync(r.archiveFile!, 'utf8').trim().split('\n');
    expect(archive).toHaveLength(10_000);
    expect(store).toHaveLength(10_000 + 2000);
    expect(new Set([...store, ...archive]).size).toBe(22_000);
  });
});
