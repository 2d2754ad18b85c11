import { SharedReads } from '../util/shared-reads';
import { TailReader } from '../util/tail-reader';
import { type MetricsAggregates } from './aggregate';
import type { MetricsBreakdown, MetricsTotalsRow } from './breakdown';
import { MetricColumns } from './columns';
import { ingestLines } from './line-scan';
import { breakdownColumns, RunningTotals, type Validity } from './day-range';
import { DayRangeAggregate } from './day-range-aggregate';

const DAY_MS = 86_400_000;
/** Day ranges (window_days values) whose state is kept; the least recently used goes first. */
const KEPT_DAY_RANGES = 8;

function remember<K, V>(map: Map<K, V>, key: K, value: V): V {
  map.delete(key);
  map.set(key, value);
  if (map.size > KEPT_DAY_RANGES) map.delete(map.keys().next().value as K);
  return value;
}

/**
 * Incremental view of the metrics store for the API. Each call reads only the
 * bytes appended since the previous one into columns (see columns.ts), then:
 * - aggregates(): the running counts of each day range (window_days) are kept; new records
 *   extend them and records that left the day range are subtracted (see
 *   day-range-aggregate.ts), so a call costs what changed, not the whole file;
 * - breakdown(): recomputed from the columns when a line arrived or a record
 *   left the day range;
 * - totals(): has no day range, so new records only extend it.
 * A replaced or shrunk file is read from scratch.
 */
export class MetricsStore {
  private readonly reader: TailReader;
  private columns = new MetricColumns();
  private skipped = 0;
  /** Bumped whenever what was read changes. */
  private version = 0;
  private readonly reads = new SharedReads(() => this.refresh());
  private dayRanges = new Map<number, DayRangeAggregate>();
  private breakdowns = new Map<
    number,
    { version: number; validity: Validity; days: string; value: MetricsBreakdown }
  >();
  private runningTotals: RunningTotals | undefined;

  constructor(readonly file: string) {
    this.reader = new TailReader(file);
  }

  /**
   * Runs `fn` after a read of what was appended since the last one (shared with concurrent callers, see SharedReads).
   */
  private serial<T>(fn: () => T): Promise<T> {
    return this.reads.next().then(fn);
  }

  private startOver(): void {
    this.columns = new MetricColumns();
    this.skipped = 0;
    this.version++;
    this.dayRanges = new Map();
    this.breakdowns = new Map();
    this.runningTotals = undefined;
  }

  private async refresh(): Promise<void> {
    await this.reader.readBytes(
      (buf, start, end) => {
        this.skipped += ingestLines(this.columns, buf, start, end);
        this.version++;
      },
      () => this.startOver(),
    );
  }

  async aggregates(windowDays = 7, now = Date.now()): Promise<MetricsAggregates> {
    return this.serial(() => {
      let w = this.dayRanges.get(windowDays);
      if (!w?.moveTo(now)) w = new DayRangeAggregate(this.columns, windowDays, now);
      remember(this.dayRanges, windowDays, w).extend(now);
      return w.value(this.skipped);
    });
  }

  /** Per-day and per-group breakdown over the day range, for the dashboard. */
  async breakdown(windowDays = 7, now = Date.now()): Promise<MetricsBreakdown> {
    return this.serial(() => {
      const cutoff = now - windowDays * DAY_MS;
      const days = `${Math.floor(cutoff / DAY_MS)}-${Math.floor(now / DAY_MS)}`;
      let c = this.breakdowns.get(windowDays);
      if (
        !c ||
        c.version !== this.version ||
        c.days !== days ||
        !(c.validity.maxOut < cutoff && cutoff <= c.validity.minIn)
      ) {
        const { value, validity } = breakdownColumns(this.columns, { windowDays, now });
        c = { version: this.version, validity, days, value };
      }
      remember(this.breakdowns, windowDays, c);
      return structuredClone(c.value);
    });
  }

  /**
   * All records currently in the store (no day range), for Prometheus: one row per
   * (task_type, status, model). `bucketCounts[i]` = number of records of that
   * row with a numeric duration ≤ bounds[i] (cumulative). status is the
   * record's status string or 'unknown'.
   */
  async totals(bounds: readonly number[]): Promise<MetricsTotalsRow[]> {
    return this.serial(() => {
      let t = this.runningTotals;
      if (!t || t.bounds.length !== bounds.length || t.bounds.some((b, i) => !Object.is(b, bounds[i])))
        t = this.runningTotals = new RunningTotals(this.columns, [...bounds]);
      t.extend();
      return t.value();
    });
  }
}
