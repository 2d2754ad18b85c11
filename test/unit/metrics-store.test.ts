import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emptyAggregates } from '../../src/metrics/aggregate';
import { metricLine } from '../../src/metrics/record';
import { MetricsStore } from '../../src/metrics/store';
import type { TaskRecord } from '../../src/shared/types';

const NOW = Date.parse('2026-03-10T12:00:00Z');

let n = 0;
const rec = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({
    task_id: `task_${(++n).toString(16).padStart(16, '0')}`,
    task_type: 'impl',
    model: 'm',
    duration_seconds: 10,
    status: 'completed',
    created_at: new Date(NOW - 3_600_000).toISOString(),
    ...over,
  }) + '\n';

describe('MetricsStore', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-metrics-'));
    file = path.join(dir, 'metrics.jsonl');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const fresh = async () => JSON.stringify(await new MetricsStore(file).aggregates(7, NOW));

  test('when the file does not exist, then the zeroed structure is returned', async () => {
    expect(await new MetricsStore(file).aggregates(7, NOW)).toEqual(emptyAggregates(7, 0));
  });

  test('when lines are appended between calls, then they are picked up and equal a fresh full re-parse', async () => {
    const store = new MetricsStore(file);
    fs.writeFileSync(file, rec({ task_type: 'spec', duration_seconds: 64 }) + rec({ duration_seconds: 43.3 }));
    const first = await store.aggregates(7, NOW);
    expect(first.success_rate.total).toBe(2);
    expect(JSON.stringify(first)).toBe(await fresh());

    fs.appendFileSync(file, rec({ task_type: 'test', status: 'failed', duration_seconds: 612.5, model: 'x' }) + 'not json\n' + rec({ task_type: 'heal', duration_seconds: 88.1 }));
    const second = await store.aggregates(7, NOW);
    expect(second.success_rate).toEqual({ completed: 3, failed: 1, total: 4, rate: 0.75 });
    expect(second.execution_time).toEqual({ p50_seconds: 88, p95_seconds: 612 });
    expect(second.skipped_lines).toBe(1);
    expect(JSON.stringify(second)).toBe(await fresh());

    // a call with nothing new returns the same result
    expect(JSON.stringify(await store.aggregates(7, NOW))).toBe(JSON.stringify(second));
  });

  test('when the window changes between calls, then already-read records are re-aggregated with the new window', async () => {
    const store = new MetricsStore(file);
    fs.writeFileSync(file, rec({ created_at: new Date(NOW - 10 * 86_400_000).toISOString() }) + rec());
    expect((await store.aggregates(7, NOW)).success_rate.total).toBe(1);
    const month = await store.aggregates(30, NOW);
    expect(month.success_rate.total).toBe(2);
    expect(month.window_days).toBe(30);
  });

  test('when the last line has no newline yet, then it is not counted until completed', async () => {
    const store = new MetricsStore(file);
    const second = rec({ status: 'failed' });
    fs.writeFileSync(file, rec() + second.slice(0, 40));
    const partial = await store.aggregates(7, NOW);
    expect(partial.success_rate.total).toBe(1);
    expect(partial.skipped_lines).toBe(0);

    fs.appendFileSync(file, second.slice(40));
    const complete = await store.aggregates(7, NOW);
    expect(complete.success_rate).toEqual({ completed: 1, failed: 1, total: 2, rate: 0.5 });
    expect(complete.skipped_lines).toBe(0);
    expect(JSON.stringify(complete)).toBe(await fresh());
  });

  test('when the file is truncated, then the store starts over', async () => {
    const store = new MetricsStore(file);
    fs.writeFileSync(file, rec() + rec() + 'garbage\n' + rec());
    expect((await store.aggregates(7, NOW)).success_rate.total).toBe(3);
    fs.truncateSync(file, 0);
    fs.appendFileSync(file, rec({ status: 'failed' }));
    const after = await store.aggregates(7, NOW);
    expect(after.success_rate).toEqual({ completed: 0, failed: 1, total: 1, rate: 0 });
    expect(after.skipped_lines).toBe(0);
    expect(JSON.stringify(after)).toBe(await fresh());
  });

  test('when the file is replaced by another file (rename over it), then the store starts over', async () => {
    const store = new MetricsStore(file);
    fs.writeFileSync(file, rec() + rec());
    expect((await store.aggregates(7, NOW)).success_rate.total).toBe(2);
    const replacement = path.join(dir, 'new.jsonl');
    fs.writeFileSync(replacement, rec({ status: 'failed', model: 'z' }) + rec({ status: 'failed', model: 'z' }) + rec({ status: 'failed', model: 'z' }));
    fs.renameSync(replacement, file);
    const after = await store.aggregates(7, NOW);
    expect(after.success_rate).toEqual({ completed: 0, failed: 3, total: 3, rate: 0 });
    expect(Object.keys(after.by_model)).toEqual(['z']);
    expect(JSON.stringify(after)).toBe(await fresh());
  });

  test('when the file is deleted, then the store returns the zeroed structure', async () => {
    const store = new MetricsStore(file);
    fs.writeFileSync(file, rec());
    expect((await store.aggregates(7, NOW)).success_rate.total).toBe(1);
    fs.unlinkSync(file);
    expect(await store.aggregates(7, NOW)).toEqual(emptyAggregates(7, 0));
  });

  test('when the file has blank and whitespace-only lines, then they are not counted as skipped', async () => {
    fs.writeFileSync(file, '\n' + rec() + '\n   \n\t\n' + rec() + '\r\n');
    const result = await new MetricsStore(file).aggregates(7, NOW);
    expect(result.skipped_lines).toBe(0);
    expect(result.success_rate.total).toBe(2);
  });

  test('when a multi-byte UTF-8 line is longer than the read chunk, then it is decoded intact', async () => {
    const longModel = 'é✓'.repeat(1_100_000); // 2 + 3 bytes per pair: about 5.5 MB, longer than one 4 MiB chunk
    const store = new MetricsStore(file);
    fs.writeFileSync(file, rec({ model: 'short' }) + rec({ model: longModel, duration_seconds: 7 }) + rec({ model: 'after', status: 'failed' }));
    expect(fs.statSync(file).size).toBeGreaterThan(5 * 1024 * 1024);
    const result = await store.aggregates(7, NOW);
    expect(result.skipped_lines).toBe(0);
    expect(result.success_rate).toEqual({ completed: 2, failed: 1, total: 3, rate: 0.67 });
    expect(Object.keys(result.by_model)).toEqual(['short', longModel, 'after']);
    expect(result.by_model[longModel]).toEqual({ count: 1, avg_duration: 7 });
  });

  test('when a long multi-byte line arrives in pieces across calls, then it is decoded intact once complete', async () => {
    const longModel = 'ü'.repeat(2_500_000); // 5 MB
    const line = rec({ model: longModel });
    const buf = Buffer.from(line, 'utf8');
    const store = new MetricsStore(file);
    // cut in the middle of a two-byte character
    let cut = 4 * 1024 * 1024 + 1;
    while ((buf[cut] & 0xc0) !== 0x80) cut++;
    fs.writeFileSync(file, buf.subarray(0, cut));
    expect((await store.aggregates(7, NOW)).success_rate.total).toBe(0);
    fs.appendFileSync(file, buf.subarray(cut));
    const result = await store.aggregates(7, NOW);
    expect(result.skipped_lines).toBe(0);
    expect(Object.keys(result.by_model)).toEqual([longModel]);
  });
});

describe('metricLine', () => {
  const task: TaskRecord = {
    id: 'task_0123456789abcdef',
    task_type: 'review',
    status: 'completed',
    direction: 'Review the implementation for: x.',
    model: 'claude/sonnet',
    item_key: 'x-0123456789',
    iteration: 2,
    created_at: '2026-03-10T11:00:00.000Z',
    started_at: null,
    finished_at: null,
    output: 'VERDICT: pass',
    exit_code: 0,
    decision_prompt: null,
    decision: null,
  };

  test('when a line is built, then it is one JSON line with the contract key order first, then extra keys', () => {
    const out = metricLine(task, 12.345, new Date('2026-03-10T11:05:06.789Z'));
    expect(out.endsWith('\n')).toBe(true);
    expect(out.indexOf('\n')).toBe(out.length - 1);
    const obj = JSON.parse(out);
    expect(Object.keys(obj).slice(0, 6)).toEqual(['task_id', 'task_type', 'model', 'duration_seconds', 'status', 'created_at']);
    expect(obj).toEqual({
      task_id: 'task_0123456789abcdef',
      task_type: 'review',
      model: 'claude/sonnet',
      duration_seconds: 12.3,
      status: 'completed',
      created_at: '2026-03-10T11:05:06.789+00:00',
      item_key: 'x-0123456789',
      iteration: 2,
      exit_code: 0,
    });
  });

  test('when durations are rounded, then they have one decimal place', () => {
    const d = (s: number) => JSON.parse(metricLine(task, s, new Date(0))).duration_seconds;
    expect(d(0.04)).toBe(0);
    expect(d(1.26)).toBe(1.3);
    expect(d(612.49)).toBe(612.5);
    expect(d(3)).toBe(3);
  });

  test('when created_at is written, then it is ISO 8601 UTC ending with +00:00 and parses back to the same instant', () => {
    const when = new Date('2026-11-22T01:03:42.865Z');
    const created = JSON.parse(metricLine(task, 1, when)).created_at as string;
    expect(created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$/);
    expect(Date.parse(created)).toBe(when.getTime());
  });

  test('when a written line is read by the store, then it is counted', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-metricline-'));
    try {
      const file = path.join(dir, 'm.jsonl');
      fs.writeFileSync(file, metricLine({ ...task, status: 'failed' }, 5, new Date(NOW - 1000)));
      const result = await new MetricsStore(file).aggregates(7, NOW);
      expect(result.success_rate).toEqual({ completed: 0, failed: 1, total: 1, rate: 0 });
      expect(result.by_model).toEqual({ 'claude/sonnet': { count: 1, avg_duration: 5 } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
