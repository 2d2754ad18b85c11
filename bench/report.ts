import type { CpuShares } from './machine';

/** One section of docs/PERFORMANCE.md, produced by one benchmark. */
export interface BenchSection {
  title: string;
  /**
   * Markdown body: the method, a table of median and p95 with the baseline beside it, and the verdict on the target.
   */
  body: string;
  /** How the machine's CPU time went while it was measured (filled in by the runner). */
  cpu?: CpuShares | null;
}

/** Median and p95 of a sample (nearest rank); NaN for an empty sample. */
export function summarize(samples: number[]): { median: number; p95: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: NaN, p95: NaN, n };
  const at = (q: number) => sorted[Math.min(n - 1, Math.ceil(q * n) - 1)];
  return { median: n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2, p95: at(0.95), n };
}
