import fs from 'node:fs';
import {
  aggregate,
  parseAwareTimestamp,
  parseMetricLine,
  percentiles,
  type MetricRecord,
} from '../../src/metrics/aggregate';
import { pyRound } from '../../src/metrics/py-round';

const SAMPLE_JSONL = '/work/shared/seed-formats/metrics.generated.jsonl';
const SAMPLE_AGGREGATES = '/work/shared/seed-formats/metrics-aggregates.generated.json';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const DAY = 86_400_000;

/** Aggregates JSONL text the way the metrics store does: blank lines ignored, malformed lines counted. */
function aggregateText(text: string, opts: { now: number; windowDays?: number }) {
  const records: MetricRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    const r = parseMetricLine(line);
    if (r === null) skipped++;
    else if (r !== undefined) records.push(r);
  }
  return aggregate(records, { ...opts, skipped });
}

const line = (fields: Record<string, unknown>) => JSON.stringify(fields);
const rec = (over: Record<string, unknown> = {}) =>
  line({
    task_id: 'task_0000000000000001',
    task_type: 'impl',
    model: 'm',
    duration_seconds: 10,
    status: 'completed',
    created_at: new Date(NOW - 3_600_000).toISOString(),
    ...over,
  });

describe('percentiles', () => {
  test.each([
    [[10, 20], 20, 20],
    [[10, 20, 30], 20, 30],
    [Array.from({ length: 20 }, (_, i) => i + 1), 11, 20],
    [[42], 42, 42],
    [[0.5, 1.5, 2.5], 2, 2],
    [[612.5, 43.3, 88.1, 64], 88, 612],
    [[], 0, 0],
  ])('when durations are %j, then p50 is %p and p95 is %p', (durations, p50, p95) => {
    expect(percentiles(durations)).toEqual({ p50, p95 });
  });

  test('when durations are unsorted numbers of different magnitudes, then they are sorted numerically (not as strings)', () => {
    expect(percentiles([100, 9, 20])).toEqual({ p50: 20, p95: 100 });
  });
});

describe('pyRound (Python round, half to even on the exact binary value)', () => {
  test.each([
    [612.5, 0, 612],
    [1.5, 0, 2],
    [2.5, 0, 2],
    [3.5, 0, 4],
    [0.125, 2, 0.12],
    [0.375, 2, 0.38],
    [2.675, 2, 2.67],
    [53.65, 1, 53.6],
    [0.75, 2, 0.75],
    [2 / 3, 2, 0.67],
    [-2.5, 0, -2],
    [-1.5, 0, -2],
    [-3.5, 0, -4],
    [-0.125, 2, -0.12],
    [-2.675, 2, -2.67],
    [7, 1, 7],
  ])('when rounding %p to %p digits, then the result is %p', (x, nd, expected) => {
    expect(pyRound(x, nd)).toBe(expected);
  });

  test('when given 0, NaN or infinities, then they are returned unchanged', () => {
    expect(pyRound(0, 2)).toBe(0);
    expect(pyRound(Number.NaN)).toBeNaN();
    expect(pyRound(Infinity)).toBe(Infinity);
  });
});

describe('aggregate: the seed sample', () => {
  test('when the four-record sample is aggregated just after its timestamps, then it equals the reference output plus skipped_lines 0 and window_days 7', () => {
    const text = fs.readFileSync(SAMPLE_JSONL, 'utf8');
    const expected = JSON.parse(fs.readFileSync(SAMPLE_AGGREGATES, 'utf8'));
    const result = aggregateText(text, { now: Date.parse('2026-11-22T01:04:00Z') });
    expect(result).toEqual({ ...expected, skipped_lines: 0, window_days: 7 });
    expect(result.execution_time).toEqual({ p50_seconds: 88, p95_seconds: 612 });
    // key order of by_task_type and by_model is first appearance, as in the reference output
    expect(Object.keys(result.by_task_type)).toEqual(['spec', 'impl', 'test', 'heal']);
    expect(Object.keys(result.by_model)).toEqual(Object.keys(expected.by_model));
    expect(JSON.stringify(result)).toBe(JSON.stringify({ ...expected, skipped_lines: 0, window_days: 7 }));
  });

  test('when the sample is aggregated more than 7 days after its timestamps, then the default window excludes everything', () => {
    const text = fs.readFileSync(SAMPLE_JSONL, 'utf8');
    const result = aggregateText(text, { now: Date.parse('2026-11-30T01:04:00Z') });
    expect(result.success_rate.total).toBe(0);
    expect(result.by_model).toEqual({});
  });
});

describe('aggregate: structure and window', () => {
  test('when there are no records, then the exact zeroed structure is returned', () => {
    const result = aggregate([], { now: NOW });
    expect(result).toEqual({
      success_rate: { completed: 0, failed: 0, total: 0, rate: 0 },
      execution_time: { p50_seconds: 0, p95_seconds: 0 },
      by_task_type: {},
      by_model: {},
      skipped_lines: 0,
      window_days: 7,
    });
    expect(Object.keys(result)).toEqual([
      'success_rate',
      'execution_time',
      'by_task_type',
      'by_model',
      'skipped_lines',
      'window_days',
    ]);
  });

  test('when records are older than 7 days, then they are excluded; with window_days 30 they are included', () => {
    const text = [
      rec({
        created_at: new Date(NOW - 8 * DAY).toISOString(),
        task_type: 'spec',
        duration_seconds: 500,
        status: 'failed',
      }),
      rec({ created_at: new Date(NOW - 1 * DAY).toISOString(), task_type: 'impl', duration_seconds: 10 }),
    ].join('\n');
    const week = aggregateText(text, { now: NOW });
    expect(week.success_rate).toEqual({ completed: 1, failed: 0, total: 1, rate: 1 });
    expect(Object.keys(week.by_task_type)).toEqual(['impl']);
    expect(week.execution_time).toEqual({ p50_seconds: 10, p95_seconds: 10 });
    expect(week.window_days).toBe(7);

    const month = aggregateText(text, { now: NOW, windowDays: 30 });
    expect(month.success_rate).toEqual({ completed: 1, failed: 1, total: 2, rate: 0.5 });
    expect(Object.keys(month.by_task_type)).toEqual(['spec', 'impl']);
    expect(month.execution_time).toEqual({ p50_seconds: 500, p95_seconds: 500 });
    expect(month.window_days).toBe(30);
  });

  test('when a record is exactly at the window boundary, then it is kept', () => {
    const result = aggregateText(rec({ created_at: new Date(NOW - 7 * DAY).toISOString() }), { now: NOW });
    expect(result.success_rate.total).toBe(1);
  });

  test('when task types first appear in a given order, then by_task_type keys follow first appearance', () => {
    const text = ['review', 'spec', 'review', 'heal', 'impl', 'spec'].map((t) => rec({ task_type: t })).join('\n');
    expect(Object.keys(aggregateText(text, { now: NOW }).by_task_type)).toEqual(['review', 'spec', 'heal', 'impl']);
  });

  test('when task_type or model is missing, then it is counted under "unknown"', () => {
    const r = JSON.parse(rec());
    delete r.task_type;
    delete r.model;
    const result = aggregateText(JSON.stringify(r), { now: NOW });
    expect(result.by_task_type).toEqual({ unknown: { count: 1, completed: 1, failed: 0, success_rate: 1 } });
    expect(result.by_model).toEqual({ unknown: { count: 1, avg_duration: 10 } });
  });

  test('when statuses other than completed/failed appear, then they count in by_task_type count but not in success rates', () => {
    const text = [
      rec({ status: 'completed' }),
      rec({ status: 'failed' }),
      rec({ status: 'running' }),
      rec({ status: 'needs_decision' }),
      rec({ status: 'failed' }),
    ].join('\n');
    const result = aggregateText(text, { now: NOW });
    expect(result.success_rate).toEqual({ completed: 1, failed: 2, total: 3, rate: 0.33 });
    expect(result.by_task_type.impl).toEqual({ count: 5, completed: 1, failed: 2, success_rate: 0.33 });
    expect(result.by_model.m.count).toBe(5);
  });

  test('when a type has only unfinished statuses, then its success_rate is 0', () => {
    const result = aggregateText(rec({ status: 'running' }), { now: NOW });
    expect(result.by_task_type.impl).toEqual({ count: 1, completed: 0, failed: 0, success_rate: 0 });
    expect(result.success_rate).toEqual({ completed: 0, failed: 0, total: 0, rate: 0 });
  });
});

describe('aggregate: value edge cases', () => {
  test("when created_at uses a 'Z' suffix, then it is accepted", () => {
    const result = aggregateText(rec({ created_at: '2026-03-10T11:00:00Z' }), { now: NOW });
    expect(result.success_rate.total).toBe(1);
    expect(result.skipped_lines).toBe(0);
  });

  test('when a duration is a boolean, then true counts as 1 and false as 0', () => {
    const result = aggregateText(
      [rec({ duration_seconds: true, model: 'a' }), rec({ duration_seconds: false, model: 'b' })].join('\n'),
      { now: NOW },
    );
    expect(result.by_model).toEqual({ a: { count: 1, avg_duration: 1 }, b: { count: 1, avg_duration: 0 } });
    expect(result.execution_time).toEqual({ p50_seconds: 1, p95_seconds: 1 });
  });

  test('when a duration is a string, then it is excluded from percentiles but counted, and its model gets avg_duration integer 0', () => {
    const text = [
      rec({ duration_seconds: '99', model: 'strmodel', task_type: 'spec' }),
      rec({ duration_seconds: 30, model: 'num' }),
      rec({ duration_seconds: 50, model: 'num' }),
    ].join('\n');
    const result = aggregateText(text, { now: NOW });
    expect(result.execution_time).toEqual({ p50_seconds: 50, p95_seconds: 50 });
    expect(result.by_model.strmodel).toEqual({ count: 1, avg_duration: 0 });
    expect(JSON.stringify(result.by_model.strmodel)).toBe('{"count":1,"avg_duration":0}');
    expect(result.by_model.num).toEqual({ count: 2, avg_duration: 40 });
    expect(result.by_task_type.spec.count).toBe(1);
    expect(result.success_rate.total).toBe(3);
  });

  test('when a model has mixed numeric and non-numeric durations, then avg_duration uses only the numeric ones', () => {
    const text = [rec({ duration_seconds: 10 }), rec({ duration_seconds: null }), rec({ duration_seconds: 15 })].join(
      '\n',
    );
    expect(aggregateText(text, { now: NOW }).by_model.m).toEqual({ count: 3, avg_duration: 12.5 });
  });

  test('when malformed lines are present, then each is skipped and counted without zeroing the other results', () => {
    const withoutCreated = JSON.parse(rec());
    delete withoutCreated.created_at;
    const bad = [
      '{"task_id": "task_broken", "status": "compl',
      '[1,2]',
      'null',
      '42',
      '"just a string"',
      rec({ created_at: 1767225600 }),
      rec({ created_at: null }),
      rec({ created_at: '2026-03-10T11:00:00' }),
      JSON.stringify(withoutCreated),
      rec({ task_type: 5 }),
      rec({ model: ['x'] }),
      rec({ created_at: 'yesterday' }),
      rec({ created_at: '2026-02-30T11:00:00+00:00' }),
    ];
    const good = [rec({ duration_seconds: 20, status: 'completed' }), rec({ duration_seconds: 40, status: 'failed' })];
    const text = [good[0], ...bad, '', '   ', good[1]].join('\n');
    const result = aggregateText(text, { now: NOW });
    expect(result.skipped_lines).toBe(bad.length);
    expect(result.success_rate).toEqual({ completed: 1, failed: 1, total: 2, rate: 0.5 });
    expect(result.execution_time).toEqual({ p50_seconds: 40, p95_seconds: 40 });
    expect(result.by_task_type).toEqual({ impl: { count: 2, completed: 1, failed: 1, success_rate: 0.5 } });
    expect(result.by_model).toEqual({ m: { count: 2, avg_duration: 30 } });
  });
});

describe('parseMetricLine / parseAwareTimestamp', () => {
  test('when a line is blank, then it is undefined (not malformed)', () => {
    expect(parseMetricLine('')).toBeUndefined();
    expect(parseMetricLine('   \t')).toBeUndefined();
  });

  test('when timestamps carry different offsets, then they map to the same instant', () => {
    const utc = parseAwareTimestamp('2026-11-22T01:03:42.865233+00:00');
    expect(utc).toBe(Date.parse('2026-11-22T01:03:42.865Z'));
    expect(parseAwareTimestamp('2026-11-22T03:03:42.865+02:00')).toBe(utc);
    expect(parseAwareTimestamp('2026-11-21T20:03:42.865-05:00')).toBe(utc);
    expect(parseAwareTimestamp('2026-11-22T01:03:42.865z')).toBe(utc);
  });

  test('when a timestamp is naive or invalid, then it is null', () => {
    expect(parseAwareTimestamp('2026-11-22T01:03:42')).toBeNull();
    expect(parseAwareTimestamp('2026-13-01T00:00:00Z')).toBeNull();
    expect(parseAwareTimestamp('not a date')).toBeNull();
  });
});
