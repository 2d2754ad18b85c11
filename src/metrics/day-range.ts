import type { GroupBreakdown, MetricsBreakdown, MetricsTotalsRow } from './breakdown';
import { NO_VALUE, type MetricColumns } from './columns';
import { pyRound } from './py-round';
import { addFigure, figureOrNull, roundUsd } from './usage';

/**
 * The dashboard breakdown and the Prometheus totals over the columns, and the
 * day-range helpers day-range-aggregate.ts shares: integer loops, no JSON and no sort
 * of the records. A day range holds the same records for every cutoff in
 * (maxOut, minIn], the largest `at` left out and the smallest kept, so a result
 * stays valid while no line arrives and the cutoff stays in there.
 */

export const DAY_MS = 86_400_000;

export interface Validity {
  /** Largest `at` left out of the day range (-Infinity when none). */
  maxOut: number;
  /** Smallest `at` inside the day range (Infinity when none). */
  minIn: number;
}

/** The in-range index range to loop over, and the validity bounds a chronological file gives for free. */
export function dayRangeStart(cols: MetricColumns, cutoff: number): Validity & { from: number } {
  if (!cols.chronological) return { from: 0, maxOut: -Infinity, minIn: Infinity };
  const from = cols.lowerBound(cutoff);
  return {
    from,
    maxOut: from > 0 ? cols.at[from - 1] : -Infinity,
    minIn: from < cols.length ? cols.at[from] : Infinity,
  };
}

/** The values at sorted positions `positions` of a multiset given as a count per duration id. */
export function valuesAtPositions(cols: MetricColumns, counts: Int32Array, positions: number[]): number[] {
  const order = cols.durations.sorted();
  const values = cols.durations.values;
  const out: number[] = [];
  let seen = 0;
  let k = 0;
  for (let r = 0; r < order.length && k < positions.length; r++) {
    seen += counts[order[r]];
    while (k < positions.length && positions[k] < seen) out[k++] = values[order[r]];
  }
  return out;
}

/** Indices of p50 and p95 in a sorted sample of n, as the reference's percentiles() picks them. */
export function percentilePositions(n: number): [number, number] {
  return [Math.floor(n / 2), n > 1 ? Math.floor(n * 0.95) : 0];
}

export function rate(completed: number, failed: number): number {
  const finished = completed + failed;
  return finished ? pyRound(completed / finished, 2) : 0.0;
}

/** A power of two above every duration rank, so (group, rank) packs into one exactly divisible double. */
const rankSpan = (distinct: number) => 2 ** Math.ceil(Math.log2(distinct + 1));

/** Above this many (group, distinct duration) cells, per-group percentiles sort instead of counting. */
export const MAX_COUNT_CELLS = 1 << 22;

/**
 * p50/p95 per group of the durations `durationOf[0, n)` (ids) whose group is
 * `groupOf[i]`: a count per (group, duration) walked in value order, or, when
 * that table would be too big, one sort of (group, rank) keys.
 */
function groupPercentiles(
  cols: MetricColumns,
  sample: { groupOf: Int32Array; durationOf: Int32Array; n: number },
  groups: { order: number[]; counts: Int32Array; names: string[]; usage: UsageSums },
  maxCells: number,
): Record<string, GroupBreakdown> {
  const distinct = cols.durations.size;
  const order = cols.durations.sorted();
  const values = cols.durations.values;
  const found = new Map<number, [number, number]>();
  if (groups.counts.length * distinct <= maxCells) {
    const cells = new Int32Array(groups.counts.length * distinct);
    const sizes = new Int32Array(groups.counts.length);
    for (let i = 0; i < sample.n; i++) {
      cells[sample.groupOf[i] * distinct + sample.durationOf[i]]++;
      sizes[sample.groupOf[i]]++;
    }
    for (const g of groups.order) {
      if (!sizes[g]) continue;
      const [p50, p95] = percentilePositions(sizes[g]);
      const at = valuesAtPositions(cols, cells.subarray(g * distinct, (g + 1) * distinct), [p50, p95]);
      found.set(g, [at[0], at[1]]);
    }
  } else {
    const span = rankSpan(distinct);
    const rank = cols.durations.rankOf();
    const keys = new Float64Array(sample.n);
    for (let i = 0; i < sample.n; i++) keys[i] = sample.groupOf[i] * span + rank[sample.durationOf[i]];
    keys.sort();
    for (let i = 0; i < sample.n;) {
      const g = Math.floor(keys[i] / span);
      let j = i;
      while (j < sample.n && Math.floor(keys[j] / span) === g) j++;
      const [p50, p95] = percentilePositions(j - i).map((k) => values[order[keys[i + k] - g * span]]);
      found.set(g, [p50, p95]);
      i = j;
    }
  }
  return Object.fromEntries(
    groups.order.map((g) => {
      const [p50, p95] = found.get(g) ?? [0, 0];
      const u = groups.usage;
      return [
        groups.names[g],
        {
          count: groups.counts[g],
          p50_seconds: pyRound(p50),
          p95_seconds: pyRound(p95),
          usage_count: u.count[g],
          tokens_in: figureOrNull(u.tokensIn[g]),
          tokens_out: figureOrNull(u.tokensOut[g]),
          cost_usd: figureOrNull(roundUsd(u.costUsd[g])),
        },
      ];
    }),
  );
}

/** Token and cost sums per group id (task type or model); NaN while no record of the group reported the figure. */
interface UsageSums {
  count: Int32Array;
  tokensIn: Float64Array;
  tokensOut: Float64Array;
  costUsd: Float64Array;
}

const usageSums = (groups: number): UsageSums => ({
  count: new Int32Array(groups),
  tokensIn: new Float64Array(groups).fill(NaN),
  tokensOut: new Float64Array(groups).fill(NaN),
  costUsd: new Float64Array(groups).fill(NaN),
});

/** Adds usage entry k of the columns to group g; figures not reported (NaN) add nothing. */
function addUsage(sums: UsageSums, g: number, cols: MetricColumns, k: number): void {
  sums.count[g]++;
  sums.tokensIn[g] = addFigure(sums.tokensIn[g], cols.tokensIn[k]);
  sums.tokensOut[g] = addFigure(sums.tokensOut[g], cols.tokensOut[k]);
  sums.costUsd[g] = addFigure(sums.costUsd[g], cols.costUsd[k]);
}

const isoDate = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Per-day counts and per-group percentiles over the day range (see MetricsBreakdown). */
export function breakdownColumns(
  cols: MetricColumns,
  o: { windowDays: number; now: number },
  maxCells = MAX_COUNT_CELLS,
): { value: MetricsBreakdown; validity: Validity } {
  const cutoff = o.now - o.windowDays * DAY_MS;
  const firstDay = Math.floor(cutoff / DAY_MS);
  const dayCount = Math.max(0, Math.floor(o.now / DAY_MS) - firstDay + 1);
  const dayCompleted = new Int32Array(dayCount);
  const dayFailed = new Int32Array(dayCount);
  const dayTotal = new Int32Array(dayCount);
  const { at, type, model, status, duration } = cols;
  const completedId = cols.statuses.id('completed');
  const failedId = cols.statuses.id('failed');
  const typeCount = new Int32Array(cols.types.values.length);
  const modelCount = new Int32Array(cols.models.values.length);
  const typeOrder: number[] = [];
  const modelOrder: number[] = [];
  const typeOf = new Int32Array(cols.length);
  const modelOf = new Int32Array(cols.length);
  const durationOf = new Int32Array(cols.length);
  let keyed = 0;
  const inRange = dayRangeStart(cols, cutoff);
  const { from } = inRange;
  let { maxOut, minIn } = inRange;
  for (let i = from; i < cols.length; i++) {
    const a = at[i];
    if (a < cutoff) {
      if (a > maxOut) maxOut = a;
      continue;
    }
    if (a < minIn) minIn = a;
    const day = Math.floor(a / DAY_MS) - firstDay;
    if (day < dayCount) {
      dayTotal[day]++;
      if (status[i] === completedId) dayCompleted[day]++;
      else if (status[i] === failedId) dayFailed[day]++;
    }
    const t = type[i];
    const m = model[i];
    if (typeCount[t]++ === 0) typeOrder.push(t);
    if (modelCount[m]++ === 0) modelOrder.push(m);
    const d = duration[i];
    if (d !== NO_VALUE) {
      typeOf[keyed] = t;
      modelOf[keyed] = m;
      durationOf[keyed++] = d;
    }
  }
  // only the records that reported figures, in file order (so float sums do not depend on the cache)
  const typeUsage = usageSums(typeCount.length);
  const modelUsage = usageSums(modelCount.length);
  for (let k = cols.usageFrom(from); k < cols.usageLength; k++) {
    const i = cols.usageRecord[k];
    if (at[i] < cutoff) continue;
    addUsage(typeUsage, type[i], cols, k);
    addUsage(modelUsage, model[i], cols, k);
  }
  const days = Array.from({ length: dayCount }, (_, k) => ({
    date: isoDate(firstDay + k),
    completed: dayCompleted[k],
    failed: dayFailed[k],
    total: dayTotal[k],
    rate: rate(dayCompleted[k], dayFailed[k]),
  }));
  const value: MetricsBreakdown = {
    window_days: o.windowDays,
    days,
    by_task_type: groupPercentiles(
      cols,
      { groupOf: typeOf, durationOf, n: keyed },
      { order: typeOrder, counts: typeCount, names: cols.types.values, usage: typeUsage },
      maxCells,
    ),
    by_model: groupPercentiles(
      cols,
      { groupOf: modelOf, durationOf, n: keyed },
      { order: modelOrder, counts: modelCount, names: cols.models.values, usage: modelUsage },
      maxCells,
    ),
  };
  return { value, validity: { maxOut, minIn } };
}

/**
 * Every record, one row per (task_type, status or 'unknown', model) in order
 * of first appearance; no day range, so new records only ever extend it.
 */
export class RunningTotals {
  processed = 0;
  /** Usage entries (see MetricColumns) already added. */
  private usageProcessed = 0;
  private readonly byAscending: (readonly [number, number])[];
  /** Per distinct duration: how many ascending bounds are below it. */
  private slotOf: number[] = [];
  /** Row per type id, then per (status id, model id). */
  private readonly rowOfIds = new Map<number, Map<number, number>>();
  private readonly rowOfName = new Map<string, number>();
  /** Row per (type, status, model) cell (-1: not looked up yet), rebuilt when a table grows. */
  private flat = new Int32Array(0);
  private readonly rows: (Omit<MetricsTotalsRow, 'bucketCounts'> & { slots: number[] })[] = [];

  constructor(
    private readonly cols: MetricColumns,
    readonly bounds: readonly number[],
  ) {
    this.byAscending = bounds.map((b, i) => [b, i] as const).sort((x, y) => x[0] - y[0]);
  }

  private rowOf(i: number): number {
    const { cols } = this;
    const status = cols.status[i];
    let ofType = this.rowOfIds.get(cols.type[i]);
    if (!ofType) this.rowOfIds.set(cols.type[i], (ofType = new Map()));
    const key = (status + 1) * 2 ** 32 + cols.model[i];
    let r = ofType.get(key);
    if (r !== undefined) return r;
    const labels = {
      task_type: cols.types.values[cols.type[i]],
      status: status === NO_VALUE ? 'unknown' : cols.statuses.values[status],
      model: cols.models.values[cols.model[i]],
    };
    // a literal "unknown" status and no status share a row
    const name = JSON.stringify([labels.task_type, labels.status, labels.model]);
    r = this.rowOfName.get(name);
    if (r === undefined) {
      r = this.rows.length;
      this.rows.push({
        ...labels,
        count: 0,
        durationCount: 0,
        durationSum: 0,
        usageCount: 0,
        tokensIn: NaN,
        tokensOut: NaN,
        costUsd: NaN,
        slots: new Array<number>(this.bounds.length + 1).fill(0),
      });
      this.rowOfName.set(name, r);
    }
    ofType.set(key, r);
    return r;
  }

  extend(): void {
    const { cols, byAscending, slotOf } = this;
    const values = cols.durations.values;
    for (let d = slotOf.length; d < cols.durations.size; d++) {
      let k = 0;
      while (k < byAscending.length && byAscending[k][0] < values[d]) k++;
      slotOf.push(k);
    }
    // rows by (type, status, model) ids in a flat table while that is small, in the maps otherwise
    const statuses = cols.statuses.values.length + 1;
    const models = cols.models.values.length;
    const cells = cols.types.values.length * statuses * models;
    if (cells <= 1 << 20 && this.flat.length !== cells) this.flat = new Int32Array(cells).fill(-1);
    const flat = cells <= 1 << 20 ? this.flat : null;
    // the row of record i (the record loop below keeps this lookup inline: it runs for every record)
    const rowAt = (i: number): number => {
      if (!flat) return this.rowOf(i);
      const cell = (cols.type[i] * statuses + cols.status[i] + 1) * models + cols.model[i];
      const r = flat[cell];
      return r < 0 ? (flat[cell] = this.rowOf(i)) : r;
    };
    for (let i = this.processed; i < cols.length; i++) {
      let r: number;
      if (flat) {
        const cell = (cols.type[i] * statuses + cols.status[i] + 1) * models + cols.model[i];
        r = flat[cell];
        if (r < 0) r = flat[cell] = this.rowOf(i);
      } else r = this.rowOf(i);
      const row = this.rows[r];
      row.count++;
      const d = cols.duration[i];
      if (d !== NO_VALUE) {
        row.durationCount++;
        row.durationSum += values[d];
        row.slots[slotOf[d]]++;
      }
    }
    this.processed = cols.length;
    for (let k = this.usageProcessed; k < cols.usageLength; k++) {
      const row = this.rows[rowAt(cols.usageRecord[k])];
      row.usageCount++;
      row.tokensIn = addFigure(row.tokensIn, cols.tokensIn[k]);
      row.tokensOut = addFigure(row.tokensOut, cols.tokensOut[k]);
      row.costUsd = addFigure(row.costUsd, cols.costUsd[k]);
    }
    this.usageProcessed = cols.usageLength;
  }

  value(): MetricsTotalsRow[] {
    return this.rows.map(({ slots, ...row }) => {
      const bucketCounts = new Array<number>(this.bounds.length).fill(0);
      let cumulative = 0;
      this.byAscending.forEach(([, original], k) => {
        cumulative += slots[k];
        bucketCounts[original] = cumulative;
      });
      return { ...row, bucketCounts };
    });
  }
}
