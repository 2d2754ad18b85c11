import { pyRound } from './py-round';
import { costUsd, tokenCount } from './usage';

/**
 * The reference aggregation of GET /api/agent/metrics (seed-system.md section 4),
 * except that a malformed line or record is skipped and counted instead of
 * zeroing the whole response.
 */

/** A record reduced to what the aggregation needs. */
export interface MetricRecord {
  at: number; // epoch ms
  taskType: string;
  model: string;
  duration: number | null; // null when not a JSON number
  status: string | null;
  /**
   * Token and cost figures (usage.ts): NaN when the line has none or an implausible one. The reference aggregation
   * ignores them.
   */
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

export interface MetricsAggregates {
  success_rate: { completed: number; failed: number; total: number; rate: number };
  execution_time: { p50_seconds: number; p95_seconds: number };
  by_task_type: Record<string, { count: number; completed: number; failed: number; success_rate: number }>;
  by_model: Record<string, { count: number; avg_duration: number }>;
  skipped_lines: number;
  window_days: number;
}

const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2})(?::?(\d{2}))?)$/i;

/** ISO 8601 with an offset (or Z) to epoch ms; null for naive or invalid timestamps. */
export function parseAwareTimestamp(value: string): number | null {
  const m = ISO_WITH_OFFSET.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', frac = '', z, sign, oh, om, os = '0'] = m;
  const ms = Number((frac + '000').slice(0, 3));
  const utc = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, ms);
  if (Number.isNaN(utc) || +mo < 1 || +mo > 12 || +d < 1 || +d > 31 || +h > 23 || +mi > 59 || +s > 59) return null;
  const check = new Date(utc);
  if (check.getUTCDate() !== +d) return null; // e.g. 02-30
  if (z) return utc;
  const offset = (+oh * 3600 + +om * 60 + +os) * 1000;
  return sign === '+' ? utc - offset : utc + offset;
}

/** One JSONL line to a record; `undefined` for blank lines, `null` for malformed ones. */
export function parseMetricLine(line: string): MetricRecord | null | undefined {
  const text = line.trim();
  if (!text) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return null;
  const r = obj as Record<string, unknown>;
  if (typeof r.created_at !== 'string') return null;
  const at = parseAwareTimestamp(r.created_at);
  if (at === null) return null;
  const taskType = r.task_type === undefined ? 'unknown' : r.task_type;
  const model = r.model === undefined ? 'unknown' : r.model;
  if (typeof taskType !== 'string' || typeof model !== 'string') return null;
  const d = r.duration_seconds;
  const duration = typeof d === 'number' && Number.isFinite(d) ? d : typeof d === 'boolean' ? Number(d) : null;
  return {
    at,
    taskType,
    model,
    duration,
    status: typeof r.status === 'string' ? r.status : null,
    tokensIn: tokenCount(r.tokens_in),
    tokensOut: tokenCount(r.tokens_out),
    costUsd: costUsd(r.cost_usd),
  };
}

export function emptyAggregates(windowDays = 7, skipped = 0): MetricsAggregates {
  return {
    success_rate: { completed: 0, failed: 0, total: 0, rate: 0.0 },
    execution_time: { p50_seconds: 0, p95_seconds: 0 },
    by_task_type: {},
    by_model: {},
    skipped_lines: skipped,
    window_days: windowDays,
  };
}

/** p50 = sorted[n//2], p95 = sorted[floor(n*0.95)] (n=1: sorted[0]), both rounded half-to-even. */
export function percentiles(durations: number[]): { p50: number; p95: number } {
  const n = durations.length;
  if (n === 0) return { p50: 0, p95: 0 };
  const sorted = Float64Array.from(durations).sort();
  const p50 = sorted[Math.floor(n / 2)];
  const p95 = n > 1 ? sorted[Math.floor(n * 0.95)] : sorted[0];
  return { p50: pyRound(p50), p95: pyRound(p95) };
}

export function aggregate(
  records: Iterable<MetricRecord>,
  opts: { now: number; windowDays?: number; skipped?: number },
): MetricsAggregates {
  const windowDays = opts.windowDays ?? 7;
  const cutoff = opts.now - windowDays * 86_400_000;
  const out = emptyAggregates(windowDays, opts.skipped ?? 0);
  const durations: number[] = [];
  // Maps, then own properties: a task type or model named like an Object.prototype member
  // ("constructor", "__proto__") is a plain key, as in the Python reference's dicts.
  const types = new Map<string, { count: number; completed: number; failed: number; success_rate: number }>();
  const models = new Map<string, { count: number; sum: number; n: number }>();
  for (const r of records) {
    if (r.at < cutoff) continue;
    let byType = types.get(r.taskType);
    if (!byType) types.set(r.taskType, (byType = { count: 0, completed: 0, failed: 0, success_rate: 0.0 }));
    byType.count++;
    if (r.status === 'completed') {
      out.success_rate.completed++;
      byType.completed++;
    } else if (r.status === 'failed') {
      out.success_rate.failed++;
      byType.failed++;
    }
    let m = models.get(r.model);
    if (!m) models.set(r.model, (m = { count: 0, sum: 0, n: 0 }));
    m.count++;
    if (r.duration !== null) {
      durations.push(r.duration);
      m.sum += r.duration;
      m.n++;
    }
  }
  const sr = out.success_rate;
  sr.total = sr.completed + sr.failed;
  sr.rate = sr.total ? pyRound(sr.completed / sr.total, 2) : 0.0;
  for (const t of types.values()) {
    const finished = t.completed + t.failed;
    t.success_rate = finished ? pyRound(t.completed / finished, 2) : 0.0;
  }
  out.by_task_type = Object.fromEntries(types);
  out.by_model = Object.fromEntries(
    [...models].map(([model, m]) => [model, { count: m.count, avg_duration: m.n ? pyRound(m.sum / m.n, 1) : 0 }]),
  );
  const { p50, p95 } = percentiles(durations);
  out.execution_time = { p50_seconds: p50, p95_seconds: p95 };
  return out;
}
