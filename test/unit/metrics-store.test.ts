import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateMetrics } from '../../bench/gen-metrics';
import {
  aggregate,
  emptyAggregates,
  parseMetricLine,
  percentiles,
  type MetricRecord,
} from '../../src/metrics/aggregate';
import type { GroupUsage, MetricsBreakdown, MetricsTotalsRow } from '../../src/metrics/breakdown';
import { MetricColumns, NO_VALUE } from '../../src/metrics/columns';
import { ingestLines } from '../../src/metrics/line-scan';
import { pyRound } from '../../src/metrics/py-round';
import { breakdownColumns } from '../../src/metrics/day-range';
import { metricLine } from '../../src/metrics/record';
import { MetricsStore } from '../../src/metrics/store';
import type { TaskRecord } from '../../src/shared/contracts/task';

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

    fs.appendFileSync(
      file,
      rec({ task_type: 'test', status: 'failed', duration_seconds: 612.5, model: 'x' }) +
        'not json\n' +
        rec({ task_type: 'heal', duration_seconds: 88.1 }),
    );
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
    fs.writeFileSync(
      replacement,
      rec({ status: 'failed', model: 'z' }) +
        rec({ status: 'failed', model: 'z' }) +
        rec({ status: 'failed', model: 'z' }),
    );
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
    fs.writeFileSync(
      file,
      rec({ model: 'short' }) +
        rec({ model: longModel, duration_seconds: 7 }) +
        rec({ model: 'after', status: 'failed' }),
    );
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
    expect(Object.keys(obj).slice(0, 6)).toEqual([
      'task_id',
      'task_type',
      'model',
      'duration_seconds',
      'status',
      'created_at',
    ]);
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

  test('when the agent reported tokens and cost, then they follow the existing keys; when it did not, the line is what it always was', () => {
    const when = new Date('2026-03-10T11:05:06.789Z');
    const plain =
      '{"task_id":"task_0123456789abcdef","task_type":"review","model":"claude/sonnet","duration_seconds":12.3,"status":"completed","created_at":"2026-03-10T11:05:06.789+00:00","item_key":"x-0123456789","iteration":2,"exit_code":0}\n';
    expect(metricLine(task, 12.345, when)).toBe(plain);
    expect(metricLine({ ...task, tokens_in: null, tokens_out: undefined, cost_usd: null }, 12.345, when)).toBe(plain);
    expect(metricLine({ ...task, tokens_in: NaN, tokens_out: Infinity }, 12.345, when)).toBe(plain);

    const full = metricLine({ ...task, tokens_in: 15_230, tokens_out: 2_045, cost_usd: 0.0831 }, 12.345, when);
    expect(full).toBe(plain.replace(/}\n$/, ',"tokens_in":15230,"tokens_out":2045,"cost_usd":0.0831}\n'));
    expect(full.indexOf('\n')).toBe(full.length - 1);
    expect(Object.keys(JSON.parse(full))).toEqual([
      'task_id',
      'task_type',
      'model',
      'duration_seconds',
      'status',
      'created_at',
      'item_key',
      'iteration',
      'exit_code',
      'tokens_in',
      'tokens_out',
      'cost_usd',
    ]);
    // a CLI that reports tokens only (Codex) gives no cost key, and a zero is a figure, not an absence
    expect(Object.keys(JSON.parse(metricLine({ ...task, tokens_in: 0, tokens_out: 7 }, 1, when))).slice(9)).toEqual([
      'tokens_in',
      'tokens_out',
    ]);
    expect(Object.keys(JSON.parse(metricLine({ ...task, cost_usd: 0 }, 1, when))).slice(9)).toEqual(['cost_usd']);
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

const DAY = 86_400_000;

/** Every complete line of a file through the reference parser: what a naive full re-parse sees. */
function naiveRecords(file: string): { records: MetricRecord[]; skipped: number } {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const records: MetricRecord[] = [];
  let skipped = 0;
  for (const line of text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .slice(0, -1)) {
    const r = parseMetricLine(line);
    if (r === null) skipped++;
    else if (r !== undefined) records.push(r);
  }
  return { records, skipped };
}

/** The reference aggregation over a naive full re-parse, as JSON (key order included). */
function naiveAggregates(file: string, windowDays: number, now: number, parsed = naiveRecords(file)): string {
  return JSON.stringify(aggregate(parsed.records, { now, windowDays, skipped: parsed.skipped }));
}

/** A sum of reported figures: NaN (not reported) until the first one. */
const plus = (sum: number, v: number) => (Number.isNaN(v) ? sum : Number.isNaN(sum) ? v : sum + v);
const orNull = (v: number) => (Number.isNaN(v) ? null : v);

function naiveBreakdown(records: MetricRecord[], windowDays: number, now: number): MetricsBreakdown {
  const cutoff = now - windowDays * DAY;
  const first = Math.floor(cutoff / DAY);
  const days = Array.from({ length: Math.floor(now / DAY) - first + 1 }, (_, k) => ({
    date: new Date((first + k) * DAY).toISOString().slice(0, 10),
    completed: 0,
    failed: 0,
    total: 0,
    rate: 0,
  }));
  type Group = { count: number; durations: number[]; usage: number; tokensIn: number; tokensOut: number; cost: number };
  const types = new Map<string, Group>();
  const models = new Map<string, Group>();
  const group = (m: typeof types, key: string) =>
    m.get(key) ?? m.set(key, { count: 0, durations: [], usage: 0, tokensIn: NaN, tokensOut: NaN, cost: NaN }).get(key)!;
  for (const r of records) {
    if (r.at < cutoff) continue;
    const day = days[Math.floor(r.at / DAY) - first];
    if (day) {
      day.total++;
      if (r.status === 'completed') day.completed++;
      if (r.status === 'failed') day.failed++;
    }
    for (const g of [group(types, r.taskType), group(models, r.model)]) {
      g.count++;
      if (r.duration !== null) g.durations.push(r.duration);
      if (Number.isNaN(r.tokensIn) && Number.isNaN(r.tokensOut) && Number.isNaN(r.costUsd)) continue;
      g.usage++;
      g.tokensIn = plus(g.tokensIn, r.tokensIn);
      g.tokensOut = plus(g.tokensOut, r.tokensOut);
      g.cost = plus(g.cost, r.costUsd);
    }
  }
  for (const d of days) d.rate = d.completed + d.failed ? pyRound(d.completed / (d.completed + d.failed), 2) : 0;
  const out = (m: typeof types) =>
    Object.fromEntries(
      [...m].map(([k, g]) => [
        k,
        {
          count: g.count,
          p50_seconds: percentiles(g.durations).p50,
          p95_seconds: percentiles(g.durations).p95,
          usage_count: g.usage,
          tokens_in: orNull(g.tokensIn),
          tokens_out: orNull(g.tokensOut),
          cost_usd: orNull(Math.round(g.cost * 1e6) / 1e6),
        },
      ]),
    );
  return { window_days: windowDays, days, by_task_type: out(types), by_model: out(models) };
}

function naiveTotals(records: MetricRecord[], bounds: number[]): MetricsTotalsRow[] {
  const rows = new Map<string, MetricsTotalsRow>();
  for (const r of records) {
    const labels = { task_type: r.taskType, status: r.status ?? 'unknown', model: r.model };
    const key = JSON.stringify(labels);
    const row =
      rows.get(key) ??
      rows
        .set(key, {
          ...labels,
          count: 0,
          durationCount: 0,
          durationSum: 0,
          usageCount: 0,
          tokensIn: NaN,
          tokensOut: NaN,
          costUsd: NaN,
          bucketCounts: bounds.map(() => 0),
        })
        .get(key)!;
    row.count++;
    if (!(Number.isNaN(r.tokensIn) && Number.isNaN(r.tokensOut) && Number.isNaN(r.costUsd))) {
      row.usageCount++;
      row.tokensIn = plus(row.tokensIn, r.tokensIn);
      row.tokensOut = plus(row.tokensOut, r.tokensOut);
      row.costUsd = plus(row.costUsd, r.costUsd);
    }
    if (r.duration === null) continue;
    row.durationCount++;
    row.durationSum += r.duration;
    bounds.forEach((b, i) => (row.bucketCounts[i] += r.duration! <= b ? 1 : 0));
  }
  return [...rows.values()];
}

/** Lines that must be read exactly as parseMetricLine reads them, each stamped `at` (ISO with offset). */
function edgeLines(at: string): string[] {
  const base = {
    task_id: 'task_00000000000000ee',
    task_type: 'impl',
    model: 'cursor/auto',
    duration_seconds: 12.5,
    status: 'completed',
    created_at: at,
  };
  const spaced = (o: Record<string, unknown>) =>
    JSON.stringify(o).replace(/","/g, '", "').replace(/":/g, '": ').replace(/,"/g, ', "');
  const naive = at.replace(/(Z|[+-]\d\d:\d\d)$/, '');
  return [
    '',
    '   ',
    '\t',
    'not json',
    '{"task_id": "task_broken", "status": "compl',
    '[1,2]',
    '42',
    '"just a string"',
    'null',
    '{}',
    JSON.stringify({ ...base, created_at: undefined }),
    JSON.stringify({ ...base, created_at: null }),
    JSON.stringify({ ...base, created_at: 1_700_000_000 }),
    JSON.stringify({ ...base, created_at: naive }),
    JSON.stringify({ ...base, created_at: naive + 'Z' }),
    JSON.stringify({ ...base, created_at: naive + 'z' }),
    JSON.stringify({ ...base, created_at: naive.replace('T', ' ') + '+00:00' }),
    JSON.stringify({ ...base, created_at: naive.slice(0, 19) + '.123456789+00:00' }),
    JSON.stringify({ ...base, created_at: naive.slice(0, 19) + '.1234567890+00:00' }),
    JSON.stringify({ ...base, created_at: naive.slice(0, 19) + ',5+00:00' }),
    JSON.stringify({ ...base, created_at: naive.slice(0, 16) + '+00:00' }),
    JSON.stringify({ ...base, created_at: naive.slice(0, 19) + '+05:30' }),
    JSON.stringify({ ...base, created_at: naive.slice(0, 19) + '-08:00' }),
    JSON.stringify({ ...base, created_at: naive.slice(0, 19) + '+0530' }),
    JSON.stringify({ ...base, created_at: naive.slice(0, 19) + '+05:30:15' }),
    JSON.stringify({ ...base, created_at: naive.slice(0, 19) + '-00:00' }),
    JSON.stringify({ ...base, created_at: '2026-02-30T10:00:00+00:00' }),
    JSON.stringify({ ...base, created_at: '2026-13-01T10:00:00+00:00' }),
    JSON.stringify({ ...base, created_at: naive.slice(0, 11) + '24:00:00+00:00' }),
    JSON.stringify({ ...base, created_at: naive.slice(0, 11) + '23:60:00+00:00' }),
    JSON.stringify({ ...base, created_at: naive.slice(0, 11) + '23:59:60+00:00' }),
    JSON.stringify({ ...base, created_at: naive.slice(0, 11) + '23:59:59.999+00:00' }),
    JSON.stringify({ ...base, created_at: '2026-00-10T10:00:00+00:00' }),
    JSON.stringify({ ...base, created_at: '2026-01-32T10:00:00+00:00' }),
    JSON.stringify({ ...base, created_at: '2026-01-00T10:00:00+00:00' }),
    JSON.stringify({ ...base, created_at: '2024-02-29T10:00:00+00:00' }),
    JSON.stringify({ ...base, created_at: '2025-02-29T10:00:00+00:00' }),
    JSON.stringify({ ...base, created_at: '2026-03-10T10:00:00+0a:00' }),
    JSON.stringify({ ...base, created_at: '2026-03-10T10:00:00+00:00Z' }),
    JSON.stringify({ ...base, created_at: '2026-03-10T10:00:00.Z' }),
    JSON.stringify({ ...base, created_at: '0050-01-01T00:00:00+00:00' }),
    JSON.stringify({ ...base, created_at: at + ' ' }),
    JSON.stringify({ ...base, duration_seconds: '12' }),
    JSON.stringify({ ...base, duration_seconds: true }),
    JSON.stringify({ ...base, duration_seconds: false }),
    JSON.stringify({ ...base, duration_seconds: null }),
    JSON.stringify({ ...base, duration_seconds: undefined }),
    JSON.stringify({ ...base, duration_seconds: -0 }).replace('"duration_seconds":0', '"duration_seconds":-0'),
    JSON.stringify({ ...base, duration_seconds: 0 }).replace('"duration_seconds":0', '"duration_seconds":-0.0'),
    JSON.stringify({ ...base, duration_seconds: 0 }),
    JSON.stringify(base).replace('12.5', '1e2'),
    JSON.stringify(base).replace('12.5', '1E400'),
    JSON.stringify(base).replace('12.5', '12345678901234567'),
    JSON.stringify(base).replace('12.5', '0.10'),
    JSON.stringify(base).replace('12.5', '50.0'),
    JSON.stringify(base).replace('12.5', '012'),
    JSON.stringify(base).replace('12.5', '1.'),
    JSON.stringify(base).replace('12.5', '.5'),
    JSON.stringify(base).replace('12.5', '-612.5'),
    JSON.stringify({ ...base, task_type: undefined, model: undefined }),
    JSON.stringify({ ...base, task_type: null }),
    JSON.stringify({ ...base, task_type: 7 }),
    JSON.stringify({ ...base, model: ['x'] }),
    JSON.stringify({ ...base, task_type: 'constructor', model: '__proto__' }),
    JSON.stringify({ ...base, task_type: 'toString', model: 'hasOwnProperty' }),
    JSON.stringify({ ...base, task_type: '123', model: '7' }),
    JSON.stringify({ ...base, task_type: 'été', model: 'modèle ✓' }),
    JSON.stringify(base).replace('"impl"', '"\\u0069mpl"'),
    JSON.stringify(base).replace('"task_type"', '"t\\u0061sk_type"').replace('"impl"', '"spec"'),
    JSON.stringify(base).replace('"cursor/auto"', '"tab\\there"'),
    JSON.stringify(base).replace('"cursor/auto"', '"raw\ttab"'),
    JSON.stringify(base).replace('"cursor/auto"', '"del\x7fchar"'),
    JSON.stringify({ ...base, task_id: 'task_é' }),
    JSON.stringify({ ...base, status: null }),
    JSON.stringify({ ...base, status: 'unknown' }),
    JSON.stringify({ ...base, status: 'needs_decision' }),
    JSON.stringify({ ...base, status: 3 }),
    JSON.stringify({ ...base, status: 'failed' }),
    JSON.stringify(base).replace('{', '{"created_at":"garbage",'),
    JSON.stringify({ ...base, created_at: 'garbage' }).replace(/}$/, `,"created_at":"${at}"}`),
    JSON.stringify(base).replace(/}$/, ',"created_at":"garbage"}'),
    JSON.stringify(base).replace(/}$/, ',"status":"failed","duration_seconds":99.9}'),
    JSON.stringify(base).replace(/}$/, ',"item_key":"x-1","iteration":2,"exit_code":null}'),
    JSON.stringify({
      ...base,
      item_key: 'x-1',
      iteration: 1,
      exit_code: 0,
      tokens_in: 1200,
      tokens_out: 340,
      cost_usd: 0.0123,
    }),
    JSON.stringify({ ...base, tokens_in: 5 }),
    JSON.stringify({ ...base, cost_usd: 0 }),
    JSON.stringify({ ...base, tokens_in: -5, tokens_out: 1.5, cost_usd: -0.01 }),
    JSON.stringify({ ...base, tokens_in: '1200', tokens_out: true, cost_usd: '0.5' }),
    JSON.stringify({ ...base, tokens_in: null, tokens_out: null, cost_usd: null }),
    JSON.stringify({ ...base, tokens_in: 1e9, tokens_out: 1e9 + 1, cost_usd: 1e6 }),
    JSON.stringify({ ...base, tokens_in: 1e300, cost_usd: 1e7 }),
    JSON.stringify(base).replace(/}$/, ',"tokens_in":1E400,"tokens_out":-0,"cost_usd":2.5e-3}'),
    JSON.stringify(base).replace(/}$/, ',"tokens_in":12345678901234567890,"tokens_out":1e2,"cost_usd":0.10}'),
    JSON.stringify(base).replace(/}$/, ',"tokens_in":7,"tokens_in":"x","cost_usd":1,"cost_usd":2}'),
    JSON.stringify({ ...base, tokens_in: 10, cost_usd: { usd: 1 } }),
    JSON.stringify({ ...base, model: 'modèle', tokens_in: 10, tokens_out: 20, cost_usd: 0.5 }),
    spaced({ ...base, tokens_in: 10, tokens_out: 20, cost_usd: 0.5 }),
    JSON.stringify(base).replace(/}$/, ',"extra":{"nested":[1,{"a":null}]}}'),
    JSON.stringify(base).replace(/}$/, ',}'),
    spaced(base),
    spaced({ ...base, model: 'ollama/glm-4.7-flash:latest', duration_seconds: 3 }),
    spaced(base).replace(': ', ' : ').replace(', ', ' ,\t'),
    '  ' + JSON.stringify(base) + '  ',
    JSON.stringify(base) + '\r',
    '\ufeff' + JSON.stringify(base),
    '\u00a0' + JSON.stringify(base),
    JSON.stringify(base) + 'x',
    JSON.stringify(base) + '}',
  ];
}

/** A line as one record, read through the store's byte reader. */
function readOne(line: string): MetricRecord | null | undefined {
  const cols = new MetricColumns();
  const skipped = ingestLines(cols, Buffer.from(line + '\n', 'utf8'), 0, Buffer.byteLength(line) + 1);
  if (skipped) return null;
  if (cols.length === 0) return undefined;
  const d = cols.duration[0];
  const s = cols.status[0];
  const u = cols.usageLength ? 0 : -1;
  return {
    at: cols.at[0],
    taskType: cols.types.values[cols.type[0]],
    model: cols.models.values[cols.model[0]],
    duration: d === NO_VALUE ? null : cols.durations.values[d],
    status: s === NO_VALUE ? null : cols.statuses.values[s],
    tokensIn: u < 0 ? NaN : cols.tokensIn[u],
    tokensOut: u < 0 ? NaN : cols.tokensOut[u],
    costUsd: u < 0 ? NaN : cols.costUsd[u],
  };
}

/** -0 spelled out, so a comparison tells it from 0. */
const exact = (r: MetricRecord | null | undefined) =>
  r ? { ...r, duration: Object.is(r.duration, -0) ? '-0' : r.duration } : r;

describe('MetricsStore against a naive full re-parse', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-metrics-ref-'));
    file = path.join(dir, 'metrics.jsonl');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const generated = async (lines: number, now = NOW): Promise<string> => {
    const out = path.join(dir, `gen-${lines}.jsonl`);
    await generateMetrics(lines, out, { now: new Date(now), days: 14 });
    return fs.readFileSync(out, 'utf8');
  };
  const edges = (now: number) =>
    edgeLines(new Date(now - 2 * 3_600_000).toISOString().replace('Z', '+00:00')).join('\n') + '\n';

  test('when edge-case lines are read one by one, then each gives exactly what parseMetricLine gives', () => {
    const lines = [...edgeLines('2026-03-10T11:00:00.123456+00:00'), ...edgeLines('2026-03-10T11:00:00Z')];
    for (const line of lines)
      expect({ line, record: exact(readOne(line)) }).toEqual({ line, record: exact(parseMetricLine(line)) });
  });

  test('when lines are mutated at random, then the byte reader and parseMetricLine still agree line by line', () => {
    const seeds = [
      ...edgeLines('2026-03-10T11:00:00.123456+00:00').slice(-12),
      '{"task_id": "task_ca2b2f519359a114", "task_type": "impl", "model": "cursor/auto", "duration_seconds": 104.2, "status": "completed", "created_at": "2026-02-24T12:00:02.731070+00:00"}',
      metricLine(
        {
          id: 'task_0123456789abcdef',
          task_type: 'review',
          status: 'failed',
          direction: 'd',
          model: 'claude/sonnet',
          item_key: 'k',
          iteration: 1,
          created_at: '',
          started_at: null,
          finished_at: null,
          output: null,
          exit_code: 1,
          decision_prompt: null,
          decision: null,
        },
        7.25,
        new Date(NOW),
      ).trim(),
      metricLine(
        {
          id: 'task_0123456789abcdef',
          task_type: 'impl',
          status: 'completed',
          direction: 'd',
          model: 'codex/o3',
          item_key: 'k',
          iteration: 1,
          created_at: '',
          started_at: null,
          finished_at: null,
          output: null,
          exit_code: 0,
          decision_prompt: null,
          decision: null,
          tokens_in: 15230,
          tokens_out: 2045,
          cost_usd: 0.0831,
        },
        7.25,
        new Date(NOW),
      ).trim(),
    ];
    const pool = [
      ' ',
      '\t',
      '"',
      '\\',
      ',',
      ':',
      '{',
      '}',
      '[',
      ']',
      '0',
      '1',
      '9',
      '-',
      '.',
      'e',
      'E',
      '+',
      'Z',
      'z',
      'T',
      't',
      'n',
      'u',
      'l',
      'é',
      '\u0001',
      '\x7f',
      '\r',
      'x',
    ];
    let state = 12345;
    const next = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const disagreements: { line: string; ours: string; reference: string }[] = [];
    for (let i = 0; i < 20_000; i++) {
      let line = seeds[next(seeds.length)];
      for (let k = 1 + next(3); k > 0; k--) {
        const at = next(line.length + 1);
        const op = next(4);
        const ch = pool[next(pool.length)];
        if (op === 0) line = line.slice(0, at) + line.slice(at + 1);
        else if (op === 1) line = line.slice(0, at) + ch + line.slice(at);
        else if (op === 2) line = line.slice(0, at) + ch + line.slice(at + 1);
        else line = line.slice(0, at) + line.slice(at, at + 1 + next(12)) + line.slice(at);
      }
      line = line.replace(/\n/g, '');
      const [ours, reference] = [JSON.stringify(exact(readOne(line))), JSON.stringify(exact(parseMetricLine(line)))];
      if (ours !== reference) disagreements.push({ line, ours, reference });
    }
    expect(disagreements).toEqual([]);
  });

  test('when generated and edge-case lines arrive in pieces (cut mid-line), then every call equals the reference over the complete lines, for several windows and a moving now', async () => {
    const gen = (await generated(20_000)).split('\n');
    const content = Buffer.from(
      gen.slice(0, 9000).join('\n') + '\n' + edges(NOW) + gen.slice(9000, 20_000).join('\n') + edges(NOW),
      'utf8',
    );
    const store = new MetricsStore(file);
    const cuts = [0, 123_457, 1_600_003, content.indexOf('é') + 1, 2_900_000, content.length - 5, content.length];
    fs.writeFileSync(file, '');
    for (let c = 1; c < cuts.length; c++) {
      fs.appendFileSync(file, content.subarray(cuts[c - 1], cuts[c]));
      const parsed = naiveRecords(file);
      for (const now of [NOW, NOW + 3 * 3_600_000, NOW + 2 * DAY + 1, NOW - DAY]) {
        for (const w of [1, 7, 14, 30]) {
          const expected = naiveAggregates(file, w, now, parsed);
          expect(JSON.stringify(await store.aggregates(w, now))).toBe(expected);
          expect(JSON.stringify(await store.aggregates(w, now))).toBe(expected); // cached
        }
      }
    }
    expect((await store.aggregates(30, NOW)).skipped_lines).toBe(naiveRecords(file).skipped);
  });

  test.each([
    ['in file order', (lines: string[]) => lines],
    ['out of order', (lines: string[]) => [...lines].reverse()],
  ])(
    'when records are %s and now moves forward a little at a time, then records leave the window exactly when the reference drops them',
    async (_, order) => {
      fs.writeFileSync(file, order((await generated(5000)).trimEnd().split('\n')).join('\n') + '\n');
      const store = new MetricsStore(file);
      const parsed = naiveRecords(file);
      // step over the exact instants where records cross the 1-day cutoff, and just before them
      const instants = parsed.records.slice(2000, 2015).flatMap((r) => [r.at + DAY - 1, r.at + DAY, r.at + DAY + 1]);
      for (const now of [...instants, NOW]) {
        const expected = naiveAggregates(file, 1, now, parsed);
        expect(JSON.stringify(await store.aggregates(1, now))).toBe(expected);
        expect(JSON.stringify(await new MetricsStore(file).aggregates(1, now))).toBe(expected); // no cache
      }
    },
  );

  test('when lines keep arriving while now advances slowly, then each extended window equals the reference', async () => {
    const gen = (await generated(12_000, NOW + DAY)).split('\n');
    const store = new MetricsStore(file);
    fs.writeFileSync(file, gen.slice(0, 4000).join('\n') + '\n');
    let now = NOW;
    for (let from = 4000; from < gen.length; from += 700) {
      // a piece of the generated lines (its last line cut in two), and sometimes the edge cases, out of order
      const piece = gen.slice(from, from + 700).join('\n') + '\n' + (from % 2100 === 0 ? edges(now) : '');
      fs.appendFileSync(file, piece.slice(0, 50));
      fs.appendFileSync(file, piece.slice(50));
      const parsed = naiveRecords(file);
      for (const w of [1, 7])
        expect(JSON.stringify(await store.aggregates(w, now))).toBe(naiveAggregates(file, w, now, parsed));
      now += 30 * 60_000;
    }
  });

  test('when records leave the window one by one and model means sit on rounding ties, then avg_duration still equals the reference', async () => {
    // one record a minute; means of 0.1/0.2 and 0.25/0.35 pairs are exactly .x5 ties, others are huge or tiny
    const cycle = [0.1, 0.2, 0.25, 0.35, 1e9 + 0.3, 3e-9, 0.1, 0.2, 68.95, 0.05, 1234.55, 0.2];
    const lines = Array.from({ length: 600 }, (_, i) =>
      JSON.stringify({
        task_id: `task_${i}`,
        task_type: i % 3 ? 'impl' : 'spec',
        model: ['tie', 'mixed', 'tie', 'small'][i % 4],
        duration_seconds: cycle[i % cycle.length],
        status: 'completed',
        created_at: new Date(NOW - DAY + i * 60_000).toISOString(),
      }),
    );
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const store = new MetricsStore(file);
    const parsed = naiveRecords(file);
    const mismatches: string[] = [];
    for (let step = 0; step < 560; step += 1 + (step % 3)) {
      const now = NOW + step * 60_000 + 1;
      for (const w of [1]) {
        const [ours, reference] = [
          JSON.stringify(await store.aggregates(w, now)),
          naiveAggregates(file, w, now, parsed),
        ];
        if (ours !== reference) mismatches.push(`${step}: ${ours} != ${reference}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  test('when the file is truncated, rewritten or replaced, then the store starts over and equals the reference', async () => {
    const store = new MetricsStore(file);
    const text = await generated(3000);
    fs.writeFileSync(file, text);
    expect(JSON.stringify(await store.aggregates(7, NOW))).toBe(naiveAggregates(file, 7, NOW));
    fs.writeFileSync(file, edges(NOW)); // shorter: truncation
    expect(JSON.stringify(await store.aggregates(7, NOW))).toBe(naiveAggregates(file, 7, NOW));
    const replacement = path.join(dir, 'compacted.jsonl');
    fs.writeFileSync(replacement, text.split('\n').slice(1500).join('\n') + edges(NOW) + edges(NOW));
    fs.renameSync(replacement, file); // a new inode, longer than before
    expect(JSON.stringify(await store.aggregates(7, NOW))).toBe(naiveAggregates(file, 7, NOW));
    expect(JSON.stringify(await store.breakdown(7, NOW))).toBe(
      JSON.stringify(naiveBreakdown(naiveRecords(file).records, 7, NOW)),
    );
    fs.unlinkSync(file);
    expect(await store.aggregates(7, NOW)).toEqual(emptyAggregates(7, 0));
    fs.writeFileSync(file, edges(NOW));
    expect(JSON.stringify(await store.aggregates(7, NOW))).toBe(naiveAggregates(file, 7, NOW));
  });

  test('when breakdown() and totals() are asked, then they equal a naive computation, also after appends and as now moves', async () => {
    const store = new MetricsStore(file);
    const gen = (await generated(8000)).split('\n');
    fs.writeFileSync(file, gen.slice(0, 6000).join('\n') + '\n');
    const bounds = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
    const check = async (windowDays: number, now: number) => {
      const { records } = naiveRecords(file);
      expect(JSON.stringify(await store.breakdown(windowDays, now))).toBe(
        JSON.stringify(naiveBreakdown(records, windowDays, now)),
      );
      expect(JSON.stringify(await store.totals(bounds))).toBe(JSON.stringify(naiveTotals(records, bounds)));
    };
    for (const w of [1, 7, 14]) await check(w, NOW);
    fs.appendFileSync(file, gen.slice(6000).join('\n') + edges(NOW));
    for (const w of [1, 7, 30]) await check(w, NOW);
    await check(7, NOW + 36 * 3_600_000);
    await check(3, NOW - 5 * DAY);
    // unsorted bounds still count durations ≤ each bound
    const { records } = naiveRecords(file);
    expect(JSON.stringify(await store.totals([600, 10, 60]))).toBe(JSON.stringify(naiveTotals(records, [600, 10, 60])));
    // the per-group percentiles by sorting (used when a count per group and duration would be too big) agree too
    const cols = new MetricColumns();
    const bytes = fs.readFileSync(file);
    ingestLines(cols, bytes, 0, bytes.lastIndexOf(0x0a) + 1);
    for (const w of [1, 7, 30])
      expect(JSON.stringify(breakdownColumns(cols, { windowDays: w, now: NOW }, 0).value)).toBe(
        JSON.stringify(naiveBreakdown(records, w, NOW)),
      );
  });

  test('when the window has no records, then breakdown lists every day with zeros and no groups', async () => {
    const b = await new MetricsStore(file).breakdown(2, Date.parse('2026-03-10T12:00:00Z'));
    expect(b).toEqual({
      window_days: 2,
      days: ['2026-03-08', '2026-03-09', '2026-03-10'].map((date) => ({
        date,
        completed: 0,
        failed: 0,
        total: 0,
        rate: 0,
      })),
      by_task_type: {},
      by_model: {},
    });
    expect(await new MetricsStore(file).totals([1, 2])).toEqual([]);
  });

  test('when calls overlap, then appended lines are read once', async () => {
    const store = new MetricsStore(file);
    fs.writeFileSync(file, await generated(2000));
    const results = await Promise.all([
      store.aggregates(7, NOW),
      store.aggregates(7, NOW),
      store.breakdown(7, NOW),
      store.totals([10]),
    ]);
    expect(JSON.stringify(results[0])).toBe(naiveAggregates(file, 7, NOW));
    expect(JSON.stringify(results[1])).toBe(naiveAggregates(file, 7, NOW));
  });

  test('when many calls arrive together, then they share one read of the file; a call after that read began gets a later one', async () => {
    const store = new MetricsStore(file);
    fs.writeFileSync(file, await generated(2000));
    await store.aggregates(7, NOW);
    const reader = (store as unknown as { reader: { readBytes: (...a: unknown[]) => Promise<void> } }).reader;
    const original = reader.readBytes.bind(reader);
    let late: Promise<unknown> | null = null;
    const reads = jest.spyOn(reader, 'readBytes').mockImplementation(async (...args: unknown[]) => {
      await original(...args);
      // While the first shared read is still in progress, a line is written and then someone asks.
      if (!late) {
        fs.appendFileSync(file, rec());
        late = store.aggregates(7, NOW);
      }
    });
    const together = await Promise.all(Array.from({ length: 20 }, () => store.aggregates(7, NOW)));
    const after = (await late!) as { success_rate: { total: number } };
    expect(reads).toHaveBeenCalledTimes(2);
    expect(new Set(together.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(after.success_rate.total).toBe(together[0].success_rate.total + 1);
    expect(JSON.stringify(after)).toBe(naiveAggregates(file, 7, NOW));
  });

  test('when a caller tries to change a returned result, then it cannot, and later calls are not affected', async () => {
    const store = new MetricsStore(file);
    fs.writeFileSync(file, rec() + rec({ status: 'failed' }));
    const first = await store.aggregates(7, NOW);
    expect(() => (first.success_rate.completed = 99)).toThrow(TypeError);
    expect(() => ((first.by_task_type as Record<string, unknown>).x = 1)).toThrow(TypeError);
    expect((await store.aggregates(7, NOW)).success_rate.completed).toBe(1);
  });

  test('when nothing changed between calls, then the same result object comes back, and a new line gives a new one', async () => {
    const store = new MetricsStore(file);
    fs.writeFileSync(file, rec() + rec({ status: 'failed' }));
    const first = await store.aggregates(7, NOW);
    expect(await store.aggregates(7, NOW)).toBe(first);
    fs.appendFileSync(file, rec());
    const third = await store.aggregates(7, NOW);
    expect(third).not.toBe(first);
    expect(third.success_rate.completed).toBe(2);
    // the clock moved past the records: they leave the window, and the answer changes with them
    const later = await store.aggregates(7, NOW + 7 * DAY);
    expect(later.success_rate.total).toBe(0);
    expect(await store.aggregates(7, NOW + 7 * DAY)).toBe(later);
  });
});

describe('token and cost figures in the metrics store', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-metrics-usage-'));
    file = path.join(dir, 'metrics.jsonl');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const hourAgo = new Date(NOW - 3_600_000).toISOString().replace('Z', '+00:00');
  const line = (o: Record<string, unknown>) =>
    JSON.stringify({
      task_id: `task_${(++n).toString(16).padStart(16, '0')}`,
      task_type: 'impl',
      model: 'claude/sonnet',
      duration_seconds: 10,
      status: 'completed',
      created_at: hourAgo,
      ...o,
    }) + '\n';
  const group = (b: GroupUsage) => ({
    usage_count: b.usage_count,
    tokens_in: b.tokens_in,
    tokens_out: b.tokens_out,
    cost_usd: b.cost_usd,
  });

  const lines = [
    // seed-style lines without figures (the demo agent, and every line before the figures existed)
    '{"task_id": "task_a000000000000001", "task_type": "spec", "model": "claude/sonnet", "duration_seconds": 20.5, "status": "completed", "created_at": "' +
      hourAgo +
      '"}\n',
    line({ task_type: 'spec', item_key: 'k', iteration: 1, exit_code: 0 }),
    // Claude Code: both token counts and the cost
    line({ task_type: 'spec', tokens_in: 1000, tokens_out: 200, cost_usd: 0.1 }),
    line({ task_type: 'impl', tokens_in: 3000, tokens_out: 600, cost_usd: 0.2, status: 'failed' }),
    // Codex: token counts only
    line({ model: 'codex/o3', tokens_in: 500, tokens_out: 50 }),
    // aider through the reference parser (an escaped string), with a cost
    line({ model: 'aider/gpt', direction_note: 'a \\ b', tokens_in: 40, tokens_out: 4, cost_usd: 0.005 }),
    // implausible figures: ignored one by one, the record and its other figures still count
    line({ model: 'codex/o3', tokens_in: -5, tokens_out: 10, cost_usd: '0.3' }),
    line({ model: 'codex/o3', tokens_in: 1e300, tokens_out: 2.5, cost_usd: 1e12 }),
    line({ model: 'codex/o3', tokens_in: '7', tokens_out: true, cost_usd: -1 }),
    line({ model: 'codex/o3', tokens_in: null, tokens_out: null, cost_usd: null }),
    // outside the 7-day window
    line({
      task_type: 'spec',
      tokens_in: 99_999,
      tokens_out: 99_999,
      cost_usd: 99,
      created_at: new Date(NOW - 8 * DAY).toISOString(),
    }),
  ];

  test('when old and new lines are mixed, then breakdown sums the reported figures by model and task type, ignoring implausible values', async () => {
    fs.writeFileSync(file, lines.join(''));
    const b = await new MetricsStore(file).breakdown(7, NOW);
    expect(
      Object.fromEntries(Object.entries(b.by_model).map(([k, v]) => [k, { count: v.count, ...group(v) }])),
    ).toEqual({
      'claude/sonnet': { count: 4, usage_count: 2, tokens_in: 4000, tokens_out: 800, cost_usd: 0.3 },
      // Codex reported no cost at all: null, not 0
      'codex/o3': { count: 5, usage_count: 2, tokens_in: 500, tokens_out: 60, cost_usd: null },
      'aider/gpt': { count: 1, usage_count: 1, tokens_in: 40, tokens_out: 4, cost_usd: 0.005 },
    });
    expect(
      Object.fromEntries(Object.entries(b.by_task_type).map(([k, v]) => [k, { count: v.count, ...group(v) }])),
    ).toEqual({
      spec: { count: 3, usage_count: 1, tokens_in: 1000, tokens_out: 200, cost_usd: 0.1 },
      impl: { count: 7, usage_count: 4, tokens_in: 3540, tokens_out: 664, cost_usd: 0.205 },
    });
    // the durations beside them are what they were
    expect(b.by_task_type.spec).toMatchObject({ p50_seconds: 10, p95_seconds: 20 });
    // a 30-day window takes the old record in
    expect(group((await new MetricsStore(file).breakdown(30, NOW)).by_task_type.spec)).toEqual({
      usage_count: 2,
      tokens_in: 100_999,
      tokens_out: 100_199,
      cost_usd: 99.1,
    });
  });

  test('when lines carry figures, then GET /api/agent/metrics answers exactly what it answers for the same lines without them', async () => {
    fs.writeFileSync(file, lines.join(''));
    const withFigures = await new MetricsStore(file).aggregates(7, NOW);
    const stripped = path.join(dir, 'stripped.jsonl');
    fs.writeFileSync(stripped, lines.map((l) => l.replace(/,"(tokens_in|tokens_out|cost_usd)":[^,}]*/g, '')).join(''));
    expect(fs.readFileSync(stripped, 'utf8')).not.toContain('tokens');
    expect(JSON.stringify(withFigures)).toBe(JSON.stringify(await new MetricsStore(stripped).aggregates(7, NOW)));
    expect(withFigures.skipped_lines).toBe(0);
    expect(Object.keys(withFigures.by_model['claude/sonnet'])).toEqual(['count', 'avg_duration']);
  });

  test('when figures arrive in later appends, then totals() keeps adding them per (task type, status, model) row', async () => {
    const store = new MetricsStore(file);
    fs.writeFileSync(file, lines.slice(0, 4).join(''));
    const row = (rows: MetricsTotalsRow[], task_type: string, status: string, model: string) => {
      const r = rows.find((x) => x.task_type === task_type && x.status === status && x.model === model);
      return (
        r && {
          count: r.count,
          usageCount: r.usageCount,
          tokensIn: r.tokensIn,
          tokensOut: r.tokensOut,
          costUsd: r.costUsd,
        }
      );
    };
    let rows = await store.totals([10]);
    expect(row(rows, 'spec', 'completed', 'claude/sonnet')).toEqual({
      count: 3,
      usageCount: 1,
      tokensIn: 1000,
      tokensOut: 200,
      costUsd: 0.1,
    });
    expect(row(rows, 'impl', 'failed', 'claude/sonnet')).toEqual({
      count: 1,
      usageCount: 1,
      tokensIn: 3000,
      tokensOut: 600,
      costUsd: 0.2,
    });
    fs.appendFileSync(
      file,
      lines.slice(4).join('') + line({ task_type: 'spec', tokens_in: 1, tokens_out: 2, cost_usd: 0.25 }),
    );
    rows = await store.totals([10]);
    // no window: the 8-day-old record counts too
    expect(row(rows, 'spec', 'completed', 'claude/sonnet')).toEqual({
      count: 5,
      usageCount: 3,
      tokensIn: 101_000,
      tokensOut: 100_201,
      costUsd: 99.35,
    });
    expect(row(rows, 'impl', 'completed', 'codex/o3')).toEqual({
      count: 5,
      usageCount: 2,
      tokensIn: 500,
      tokensOut: 60,
      costUsd: NaN,
    });
    expect(row(rows, 'spec', 'completed', 'unknown')).toBeUndefined();
    expect(JSON.stringify(rows)).toBe(JSON.stringify(await new MetricsStore(file).totals([10])));
  });

  test('when the file is out of order, then the window still decides which figures count', async () => {
    fs.writeFileSync(file, [...lines].reverse().join(''));
    const b = await new MetricsStore(file).breakdown(7, NOW);
    expect(group(b.by_task_type.spec)).toEqual({ usage_count: 1, tokens_in: 1000, tokens_out: 200, cost_usd: 0.1 });
    expect(group(b.by_model['codex/o3'])).toEqual({ usage_count: 2, tokens_in: 500, tokens_out: 60, cost_usd: null });
    // a group whose records reported nothing has zero reports and null sums
    fs.writeFileSync(file, lines.slice(0, 2).join(''));
    expect(group((await new MetricsStore(file).breakdown(7, NOW)).by_task_type.spec)).toEqual({
      usage_count: 0,
      tokens_in: null,
      tokens_out: null,
      cost_usd: null,
    });
  });
});

describe('pyRound', () => {
  /** Exact decimal rounding, ties to even, of the double's exact binary value (BigInt only). */
  const exactRound = (x: number, n: number): number => {
    if (!Number.isFinite(x) || x === 0) return x;
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, Math.abs(x));
    const bits = view.getBigUint64(0);
    const e = Number((bits >> 52n) & 0x7ffn);
    const m = e === 0 ? bits & 0xfffffffffffffn : (bits & 0xfffffffffffffn) | (1n << 52n);
    const exp = e === 0 ? -1074 : e - 1075;
    if (exp >= 0) return x;
    const digits = m * 5n ** BigInt(-exp); // x = digits / 10^-exp
    if (-exp <= n) return x;
    const div = 10n ** BigInt(-exp - n);
    let q = digits / div;
    const twice = (digits % div) * 2n;
    if (twice > div || (twice === div && q % 2n === 1n)) q += 1n;
    return ((x < 0 ? -1 : 1) * Number(q)) / 10 ** n;
  };

  test('when many values are rounded, then the fast path agrees with exact decimal rounding (ties to even, -0 kept)', () => {
    let state = 99;
    const rand = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const values = [
      0.5,
      1.5,
      2.5,
      612.5,
      0.125,
      0.375,
      2.675,
      -0.04,
      -0.5,
      1e-7,
      68.95,
      68.85,
      1234567.25,
      2 ** 31 + 0.5,
    ];
    for (let i = 0; i < 20_000; i++) {
      const scale = 10 ** Math.floor(rand() * 12 - 4);
      values.push((rand() - 0.5) * scale, Math.round(rand() * 1e6) / 100 + 0.005, Math.exp(rand() * 10 - 3));
    }
    const wrong = values.flatMap((x) =>
      [0, 1, 2].filter((n) => !Object.is(pyRound(x, n), exactRound(x, n))).map((n) => [x, n]),
    );
    expect(wrong).toEqual([]);
  });
});
