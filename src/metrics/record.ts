import type { TaskRecord } from '../shared/types';

/** The metrics line of a finished task: the contract's key order first, extra keys after. */
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
  };
  return JSON.stringify(record) + '\n';
}
