import { ApplicationFailure } from '@temporalio/common';
import { ERROR_TYPE } from '../shared/errors';
import { launchPipeline } from '../temporal/launch';
import type { TemporalClient } from '../temporal/connection';
import type { WindowInput, WindowResult } from '../shared/contracts/run-window';

/** Opens a scheduled window: starts the pipeline for `hours`, or attaches to the one that runs. */
export function createOpenWindow(deps: { temporal: TemporalClient | null }) {
  return async function openWindow(input: WindowInput): Promise<WindowResult> {
    if (!deps.temporal)
      throw ApplicationFailure.nonRetryable(
        'the worker has no Temporal client for scheduled windows',
        ERROR_TYPE.NoTemporalClient,
      );
    const r = await launchPipeline(deps.temporal, {
      projectId: input.projectId,
      taskQueue: input.taskQueue,
      settings: input.settings,
      hours: input.hours,
    });
    return { workflowId: r.workflowId, attached: r.attached };
  };
}
