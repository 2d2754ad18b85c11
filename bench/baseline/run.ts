import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { createBaselineActivities } from './activities';
import type { baselineWorkflow } from './workflows';

export interface BaselineRun {
  /** Concurrent workflows. */
  workflows: number;
  /** Sequential activities in each. */
  tasksEach: number;
  agentFile: string;
  recordFile: string;
  label: string;
  /** Called as the workflows start and again as the last one ends, e.g. to sample CPU time. */
  onPhase?: (phase: 'started' | 'ended') => void;
}

/**
 * Runs the baseline on its own task queue with its own worker in this process:
 * `workflows` minimal workflows at once, each running `tasksEach` activities
 * one after another. Resolves when all have completed.
 */
export async function runBaseline(
  address: string,
  o: BaselineRun,
): Promise<{ wallMs: number; runs: { workflowId: string; runId: string }[] }> {
  const taskQueue = `bench-baseline-${o.label}-${randomUUID().slice(0, 8)}`;
  const native = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities: createBaselineActivities(),
    // The same activity slots as nightshift's worker (src/worker/run.ts).
    maxConcurrentActivityTaskExecutions: 16,
    shutdownGraceTime: '10s',
  });
  const started = Date.now();
  const runs: { workflowId: string; runId: string }[] = [];
  try {
    await worker.runUntil(async () => {
      o.onPhase?.('started');
      const handles = await Promise.all(
        Array.from({ length: o.workflows }, (_, w) =>
          client.workflow.start<typeof baselineWorkflow>('baselineWorkflow', {
            taskQueue,
            workflowId: `${taskQueue}-${w}`,
            args: [
              { tasks: o.tasksEach, agentFile: o.agentFile, recordFile: o.recordFile, prefix: `${o.label}-w${w}` },
            ],
          }),
        ),
      );
      for (const h of handles) runs.push({ workflowId: h.workflowId, runId: h.firstExecutionRunId });
      await Promise.all(handles.map((h) => h.result()));
      o.onPhase?.('ended');
    });
  } finally {
    await connection.close();
    await native.close();
  }
  return { wallMs: Date.now() - started, runs };
}

/** The baseline workflow a task id belongs to (`<label>-w<n>-<i>` → `<label>-w<n>`). */
export function baselineGroup(taskId: string): string {
  return taskId.slice(0, taskId.lastIndexOf('-'));
}
