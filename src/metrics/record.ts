import type { TaskRecord } from '../shared/contracts/task';

/** A figure worth a key: JSON.stringify would write NaN or Infinity as null, which says nothing. */
const known = (value: number | null | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/**
 * The metrics line of a finished task: the contract's key order first, extra keys after.
 * Token and cost figures follow only when the agent reported them, so a line without
 * them is byte for byte what it was before they existed.
 */
export function metricLine(task: TaskRecord, durationSeconds: number, createdAt: Date): string {
  const record = {
    task_id: task.id,
    task_type: task.task_type,
    model: task.model,
    duration_seconds: Math.round(durationSeconds * 10) / 10,
    status: task.status,
    created_at: createdAt.toISOString().replace('Z', '+00:00'),
    item_key: task.item_key,
    iteration: task.iteration,
    exit_code: task.exit_code,
    ...(known(task.tokens_in) && { tokens_in: task.tokens_in }),
    ...(known(task.tokens_out) && { tokens_out: task.tokens_out }),
    ...(known(task.cost_usd) && { cost_usd: task.cost_usd }),
  };
  return JSON.stringify(record) + '\n';
}
