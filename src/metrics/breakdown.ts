/** Shapes of the dashboard breakdown and the Prometheus totals computed by MetricsStore. */

export interface GroupDurations {
  count: number;
  p50_seconds: number;
  p95_seconds: number;
}

export interface DayCounts {
  date: string; // YYYY-MM-DD (UTC)
  completed: number;
  failed: number;
  /** Every record of that day, whatever its status. */
  total: number;
  /** completed / (completed + failed) rounded to 2 decimals, 0 when there are none. */
  rate: number;
}

/** Per-day and per-group breakdown over the window, for the dashboard. */
export interface MetricsBreakdown {
  window_days: number;
  /** One entry per UTC calendar day from the window's first day to today's, oldest first, days with no records included with zeros. */
  days: DayCounts[];
  by_task_type: Record<string, GroupDurations>;
  by_model: Record<string, GroupDurations>;
}

/**
 * One row per (task_type, status, model) over every record in the store.
 * `bucketCounts[i]` = records of the row with a numeric duration ≤ bounds[i] (cumulative).
 */
export interface MetricsTotalsRow {
  task_type: string;
  /** The record's status string, or 'unknown' when it has none. */
  status: string;
  model: string;
  count: number;
  durationCount: number;
  durationSum: number;
  bucketCounts: number[];
}
