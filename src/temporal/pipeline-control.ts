import { WorkflowClient, WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import { itemStatusQuery, pauseSignal, pipelineStatusQuery, resumeSignal, stopSignal } from '../shared/messages';
import { ERROR_TYPE } from '../shared/errors';
import { pipelineWorkflowId } from '../shared/names';
import type { ItemStatusView, PipelineStatusView } from '../shared/contracts/pipeline';
import { isUnreachableError, TemporalUnreachableError, withTimeLimit, type TemporalClient } from './connection';

export type PipelineCommand = 'pause' | 'resume' | 'stop';

export class PipelineNotRunningError extends Error {
  readonly type = ERROR_TYPE.PipelineNotRunning;
}

const SIGNALS = { pause: pauseSignal, resume: resumeSignal, stop: stopSignal };

/** Sends pause/resume/stop; the signal is stored by Temporal even while no worker runs. */
export async function signalPipeline(t: TemporalClient, projectId: string, command: PipelineCommand): Promise<void> {
  const workflowId = pipelineWorkflowId(projectId);
  try {
    await withTimeLimit(t, 3000, () => t.client.workflow.getHandle(workflowId).signal(SIGNALS[command]));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new PipelineNotRunningError(`No running pipeline ${workflowId}`);
    if (err instanceof TemporalUnreachableError) throw err;
    if (isUnreachableError(err)) throw new TemporalUnreachableError(t.address);
    throw err;
  }
}

/**
 * The pipeline's description, or null when it was never started. Throws TemporalUnreachableError when Temporal does not
 * answer within `limitMs`.
 */
export async function describePipeline(
  t: TemporalClient,
  projectId: string,
  limitMs: number,
): Promise<WorkflowExecutionDescription | null> {
  try {
    return await withTimeLimit(t, limitMs, () => t.client.workflow.getHandle(pipelineWorkflowId(projectId)).describe());
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    if (err instanceof TemporalUnreachableError) throw err;
    if (isUnreachableError(err)) throw new TemporalUnreachableError(t.address);
    throw err;
  }
}

/** Per client: a workflow client whose queries the server rejects once a workflow has ended. */
const openOnly = new WeakMap<TemporalClient, WorkflowClient>();

function openOnlyClient(t: TemporalClient): WorkflowClient {
  let client = openOnly.get(t);
  if (!client) {
    client = new WorkflowClient({ connection: t.connection, namespace: t.namespace, queryRejectCondition: 'NOT_OPEN' });
    openOnly.set(t, client);
  }
  return client;
}

/**
 * A running item's own view, or null when it has ended or does not answer within `limitMs`. The server
 * rejects a query of an ended item instead of handing it to a worker, which would replay the item's whole
 * history to answer it.
 */
export async function queryRunningItem(
  t: TemporalClient,
  workflowId: string,
  limitMs: number,
): Promise<ItemStatusView | null> {
  const client = openOnlyClient(t);
  return withTimeLimit(t, limitMs, () => client.getHandle(workflowId).query(itemStatusQuery)).catch(() => null);
}

/**
 * The open pipeline's status view. Rejected (with no worker involved) once the pipeline has ended, so it can be
 * asked beside the describe that tells whether it still runs.
 */
export function queryOpenPipeline(t: TemporalClient, projectId: string, limitMs: number): Promise<PipelineStatusView> {
  const client = openOnlyClient(t);
  return withTimeLimit(t, limitMs, () => client.getHandle(pipelineWorkflowId(projectId)).query(pipelineStatusQuery));
}
