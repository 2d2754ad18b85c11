import { type MetricsAggregates } from './aggregate';
import { NO_VALUE, type MetricColumns } from './columns';
import { pyRound } from './py-round';
import { DAY_MS, percentilePositions, rate, valuesAtPositions, dayRangeStart } from './day-range';

/** Unit roundoff of doubles. */
const U = 2 ** -53;

const grown = (a: number[], size: number) => {
  while (a.length < size) a.push(0);
  return a;
};

/**
 * The running counts of the reference aggregation (aggregate() in
 * aggregate.ts) for one day range (window_days), kept across calls:
 * - new records only extend the counts;
 * - in a chronological file, records leaving the day range (the clock moved) are
 *   subtracted, and the first-appearance order of task types and models is
 *   looked up again from the new start of the range;
 * - otherwise (out-of-order file, clock moved back) the owner starts over.
 *
 * Counts are integers, so adding and subtracting is exact. The per-model
 * duration sums are not: the reference adds in file order from the range's
 * first record, and a float sum with records taken out is not that sum. Such a
 * sum carries a bound on its distance from the reference's; avg_duration is
 * answered from it only when every value within the bound rounds (to 0.1) the
 * same way, else the sums are redone in file order (a tight loop over the range).
 */
export class DayRangeAggregate {
  processed = 0;
  /** The last value() and the counts it was made from: records only enter at `processed` and leave at `from`. */
  private last: { from: number; processed: number; skipped: number; value: MetricsAggregates } | null = null;
  private from = 0;
  private maxOut = -Infinity;
  private minIn = Infinity;
  private cutoff: number;
  private readonly sliding: boolean;
  private completed = 0;
  private failed = 0;
  private durations = 0;
  private readonly typeCount: number[] = [];
  private readonly typeCompleted: number[] = [];
  private readonly typeFailed: number[] = [];
  private readonly typeOrder: number[] = [];
  private readonly modelCount: number[] = [];
  private readonly modelSum: number[] = [];
  private readonly modelN: number[] = [];
  /** Bound on |modelSum - reference sum|; -1 while modelSum is exactly the reference's sum. */
  private readonly modelError: number[] = [];
  private readonly modelOrder: number[] = [];
  private durationCount = new Int32Array(0);
  private readonly completedId: number;
  private readonly failedId: number;

  constructor(
    private readonly cols: MetricColumns,
    readonly windowDays: number,
    now: number,
  ) {
    this.cutoff = now - windowDays * DAY_MS;
    this.completedId = cols.statuses.id('completed');
    this.failedId = cols.statuses.id('failed');
    this.sliding = cols.chronological;
    const start = dayRangeStart(cols, this.cutoff);
    this.maxOut = start.maxOut;
    this.minIn = start.minIn;
    this.processed = this.from = start.from;
  }

  /**
   * Brings the counted records to the day range ending at `now` (records that
   * arrived since are left to extend()); false when this state cannot follow
   * and must be replaced.
   */
  moveTo(now: number): boolean {
    const cutoff = now - this.windowDays * DAY_MS;
    if (this.maxOut < cutoff && cutoff <= this.minIn) return true;
    if (!this.sliding || !this.cols.chronological || cutoff < this.cutoff) return false;
    const cols = this.cols;
    const to = cols.lowerBound(cutoff);
    this.leave(this.from, Math.min(to, this.processed));
    this.from = to;
    this.cutoff = cutoff;
    this.maxOut = to > 0 ? cols.at[to - 1] : -Infinity;
    this.minIn = to < this.processed ? cols.at[to] : Infinity;
    this.reorder(this.typeOrder, this.typeCount, cols.type);
    this.reorder(this.modelOrder, this.modelCount, cols.model);
    return true;
  }

  /** Subtracts the records [start, end), which were all in the day range. */
  private leave(start: number, end: number): void {
    const { cols, typeCount, typeCompleted, typeFailed, modelCount, modelSum, modelN, modelError, durationCount } =
      this;
    const values = cols.durations.values;
    const maxAbs = cols.durations.maxAbs;
    for (let i = start; i < end; i++) {
      const t = cols.type[i];
      typeCount[t]--;
      const s = cols.status[i];
      if (s === this.completedId) {
        this.completed--;
        typeCompleted[t]--;
      } else if (s === this.failedId) {
        this.failed--;
        typeFailed[t]--;
      }
      const m = cols.model[i];
      modelCount[m]--;
      const d = cols.duration[i];
      if (d === NO_VALUE) continue;
      durationCount[d]--;
      this.durations--;
      // from here on the sum is an approximation: start from the reference's own error bound
      if (modelError[m] < 0) modelError[m] = sumErrorBound(modelN[m], maxAbs);
      if (--modelN[m] === 0) {
        // an empty sum is exact again, and later records add to it in file order
        modelSum[m] = 0;
        modelError[m] = -1;
        continue;
      }
      modelSum[m] -= values[d];
      modelError[m] += 1.01 * U * Math.abs(modelSum[m]);
    }
  }

  /** First-appearance order from the start of the range, of the groups still counted. */
  private reorder(order: number[], counts: number[], column: Int32Array): void {
    let present = 0;
    for (const c of counts) if (c > 0) present++;
    const seen = new Uint8Array(counts.length);
    order.length = 0;
    for (let i = this.from; i < this.processed && order.length < present; i++) {
      const g = column[i];
      if (!seen[g]) {
        seen[g] = 1;
        order.push(g);
      }
    }
  }

  /** Counts the records appended since (the day range must already end at `now`, see moveTo). */
  extend(now: number): void {
    this.cutoff = now - this.windowDays * DAY_MS;
    const cols = this.cols;
    const { at, type, model, status, duration } = cols;
    const values = cols.durations.values;
    const {
      typeCount,
      typeCompleted,
      typeFailed,
      typeOrder,
      modelCount,
      modelSum,
      modelN,
      modelError,
      modelOrder,
      completedId,
      failedId,
      cutoff,
    } = this;
    grown(typeCount, cols.types.values.length);
    grown(typeCompleted, typeCount.length);
    grown(typeFailed, typeCount.length);
    grown(modelCount, cols.models.values.length);
    grown(modelSum, modelCount.length);
    grown(modelN, modelCount.length);
    while (modelError.length < modelCount.length) modelError.push(-1);
    if (this.durationCount.length < cols.durations.size) {
      const counts = new Int32Array(Math.max(cols.durations.size, this.durationCount.length * 2));
      counts.set(this.durationCount);
      this.durationCount = counts;
    }
    const durationCount = this.durationCount;
    let { maxOut, minIn, completed, failed, durations } = this;
    let lastOut = -1;
    for (let i = this.processed; i < cols.length; i++) {
      const a = at[i];
      if (a < cutoff) {
        if (a > maxOut) maxOut = a;
        lastOut = i;
        continue;
      }
      if (a < minIn) minIn = a;
      const t = type[i];
      if (typeCount[t]++ === 0) typeOrder.push(t);
      const s = status[i];
      if (s === completedId) {
        completed++;
        typeCompleted[t]++;
      } else if (s === failedId) {
        failed++;
        typeFailed[t]++;
      }
      const m = model[i];
      if (modelCount[m]++ === 0) modelOrder.push(m);
      const d = duration[i];
      if (d !== NO_VALUE) {
        durationCount[d]++;
        durations++;
        modelSum[m] += values[d];
        modelN[m]++;
        if (modelError[m] >= 0) modelError[m] += 1.01 * U * Math.abs(modelSum[m]);
      }
    }
    Object.assign(this, { maxOut, minIn, completed, failed, durations, processed: cols.length });
    // in a chronological file the day range is [from, processed): skipped records all precede it
    if (lastOut >= this.from) this.from = lastOut + 1;
  }

  /** The reference's avg_duration of model m. */
  private average(m: number): number {
    const n = this.modelN[m];
    if (!n) return 0;
    if (this.modelError[m] >= 0) {
      const centre = this.modelSum[m] / n;
      const distance = sumErrorBound(n, this.cols.durations.maxAbs) + this.modelError[m];
      const radius = 2 * ((distance + U * (Math.abs(this.modelSum[m]) + distance)) / n + 2 * U * Math.abs(centre));
      const low = pyRound(centre - radius, 1);
      if (Object.is(low, pyRound(centre + radius, 1))) return low;
      this.resum();
    }
    return pyRound(this.modelSum[m] / n, 1);
  }

  /** The per-model sums again in file order over the day range: exactly the reference's. */
  private resum(): void {
    const { cols, modelSum, modelError } = this;
    const values = cols.durations.values;
    modelSum.fill(0);
    modelError.fill(-1);
    for (let i = this.from; i < this.processed; i++) {
      const d = cols.duration[i];
      if (d !== NO_VALUE && cols.at[i] >= this.cutoff) modelSum[cols.model[i]] += values[d];
    }
  }

  /**
   * The aggregates of the counted day range. Unchanged counts give the same (frozen) object back, so callers can cache
   * what they derive from it by identity: under load the API answers one value thousands of times.
   */
  value(skipped: number): MetricsAggregates {
    const m = this.last;
    if (m && m.from === this.from && m.processed === this.processed && m.skipped === skipped) return m.value;
    const value = deepFreeze(this.compute(skipped));
    this.last = { from: this.from, processed: this.processed, skipped, value };
    return value;
  }

  private compute(skipped: number): MetricsAggregates {
    const { cols, completed, failed, typeCount, typeCompleted, typeFailed, modelCount } = this;
    const [p50, p95] = this.durations
      ? valuesAtPositions(cols, this.durationCount, percentilePositions(this.durations))
      : [0, 0];
    return {
      success_rate: { completed, failed, total: completed + failed, rate: rate(completed, failed) },
      execution_time: { p50_seconds: pyRound(p50), p95_seconds: pyRound(p95) },
      by_task_type: Object.fromEntries(
        this.typeOrder.map((t) => [
          cols.types.values[t],
          {
            count: typeCount[t],
            completed: typeCompleted[t],
            failed: typeFailed[t],
            success_rate: rate(typeCompleted[t], typeFailed[t]),
          },
        ]),
      ),
      by_model: Object.fromEntries(
        this.modelOrder.map((m) => [cols.models.values[m], { count: modelCount[m], avg_duration: this.average(m) }]),
      ),
      skipped_lines: skipped,
      window_days: this.windowDays,
    };
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Bound on how far a float sum of n terms, each at most maxAbs in size, added one by one, is from the exact sum (γ_n ·
 * n · maxAbs).
 */
function sumErrorBound(n: number, maxAbs: number): number {
  return ((n * U) / (1 - n * U)) * n * maxAbs;
}
