/**
 * Token and cost figures of a metrics line (`tokens_in`, `tokens_out`,
 * `cost_usd`), written when the agent's CLI reported them. A value that is not
 * a plausible figure is read as "not reported": sums then never go negative,
 * become strings or overflow, and one bad line cannot distort a group.
 */

/** Above this, a per-task token count is not believable (and a million of them still sum exactly in a double). */
export const MAX_TASK_TOKENS = 1e9;
/** Above this, a per-task cost in US dollars is not believable. */
export const MAX_TASK_COST_USD = 1e6;

/** A token count as summed: a JSON number that is a whole count in range; NaN when not reported or not plausible. */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_TASK_TOKENS ? value : NaN;
}

/** A cost as summed: a finite JSON number in range; NaN when not reported or not plausible. */
export function costUsd(value: unknown): number {
  return typeof value === 'number' && value >= 0 && value <= MAX_TASK_COST_USD ? value : NaN;
}

/**
 * A running sum of one figure: NaN while no record reported it (so "nobody said" is not "zero"), then the sum of those
 * that did.
 */
export const addFigure = (sum: number, value: number): number =>
  Number.isNaN(value) ? sum : Number.isNaN(sum) ? value : sum + value;

/** Sums are reported to the micro-dollar: float addition would otherwise show 0.30000000000000004. */
export const roundUsd = (value: number): number => Math.round(value * 1e6) / 1e6;

/** A sum as the API answers it: null when no record reported the figure. */
export const figureOrNull = (sum: number): number | null => (Number.isNaN(sum) ? null : sum);
