import { Context } from '@temporalio/activity';
import { metricLine } from '../metrics/record';
import type { FinishTaskInput, FinishTaskResult } from '../shared/contracts/task';
import { appendTaskSnapshot } from '../tasks/store';
import { appendLine, fileHasRecord } from '../util/jsonl';

/**
 * Records a finished task: its final snapshot in the task store and exactly one
 * metrics line. A retry (the worker died after the append but before reporting)
 * looks for the task's line first, so a task never gets a second line; a torn
 * fragment of it (the disk filled up mid-write) is not its line, so the retry
 * writes it whole.
 */
export function createFinishTask() {
  return async function finishTask(input: FinishTaskInput): Promise<FinishTaskResult> {
    return writeFinishedTask(input, Context.current().info.attempt);
  };
}

/** The record of a finished task, written by the attempt `attempt` of an activity (finishTask's, or the agent step's). */
export async function writeFinishedTask(input: FinishTaskInput, attempt: number): Promise<FinishTaskResult> {
  await appendTaskSnapshot(input.stateDir, input.task);
  const id = input.task.id;
  if (
    attempt > 1 &&
    (await fileHasRecord(
      input.metricsFile,
      `"task_id":${JSON.stringify(id)}`,
      (r) => (r as { task_id?: unknown } | null)?.task_id === id,
    ))
  ) {
    return { metricsLineWritten: false };
  }
  await appendLine(input.metricsFile, metricLine(input.task, input.durationSeconds, new Date()));
  return { metricsLineWritten: true };
}
