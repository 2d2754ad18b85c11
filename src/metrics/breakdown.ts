/** Shapes of the dashboard breakdown and the Prometheus totals computed by MetricsStore. */

export interface GroupDurations {
  count: number;
  p50_seconds: number;
  p95_seconds: number;
}

/**
 * Token and cost sums of a group, over the records whose agent reported them (see usage.ts).
 * A sum is null when no record of the group reported that figure (Codex reports no cost, the demo agent nothing).
 */
export interface GroupUsage {
  /** Records that reported at least one of tokens_in, tokens_out, cost_usd. */
  usage_count: number;
  tokens_in: number | null;
  tokens_out: number | null;
  /** Rounded to the micro-dollar. */
  cost_usd: number | null;
}

export type GroupBreakdown = GroupDurations & GroupUsage;

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
  /**
   * One entry per UTC calendar day from the window's first day to today's, oldest first, days with no records included
   * with zeros.
   */
  days: DayCounts[];
  by_task_type: Record<string, GroupBreakdown>;
  by_model: Record<string, GroupBreakdown>;
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
  /**
   * Records of the row that reported token or cost figures, and the sums of those (unrounded; NaN while none reported
   * that figure).
   */
  usageCount: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}
