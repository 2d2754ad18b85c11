import { defaultPayloadConverter } from '@temporalio/common';
import { PIPELINE_WORKFLOW_TYPE } from '../shared/names';
import type { PipelineInput } from '../shared/contracts/pipeline';
import { withTimeLimit, type TemporalClient } from '../temporal/connection';

export interface PipelineListing {
  workflow_id: string;
  project: string | null;
  state: string;
  started_at: string | null;
}

const CALL_MS = 3000;

/**
 * The input the pipeline's current run started with (after continue-as-new: the
 * carried-over one): its settings are what the pipeline really uses (project, agent),
 * whatever the environment of whoever asks says. Null when there is no such workflow.
 */
export async function pipelineStartInput(t: TemporalClient, workflowId: string): Promise<PipelineInput | null> {
  try {
    const history = await withTimeLimit(t, CALL_MS, () =>
      t.connection.workflowService.getWorkflowExecutionHistory({
        namespace: t.namespace,
        execution: { workflowId },
        maximumPageSize: 1,
      }),
    );
    const payload = history.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    return payload ? defaultPayloadConverter.fromPayload<PipelineInput>(payload) : null;
  } catch (err) {
    if ((err as { code?: number }).code === 5 /* NOT_FOUND */ || /not found/i.test(String((err as Error).message)))
      return null;
    throw err;
  }
}

/** Every nightshift pipeline the server knows (newest run per workflow id), with its project folder. */
export async function listPipelines(t: TemporalClient, limit = 20): Promise<PipelineListing[]> {
  const seen = new Map<string, PipelineListing>();
  await withTimeLimit(t, CALL_MS * 2, async () => {
    for await (const w of t.client.workflow.list({
      query: `WorkflowType = '${PIPELINE_WORKFLOW_TYPE}' AND ExecutionStatus != 'ContinuedAsNew'`,
      pageSize: limit,
    })) {
      if (seen.has(w.workflowId)) continue;
      seen.set(w.workflowId, {
        workflow_id: w.workflowId,
        project: null,
        state: w.status.name.toLowerCase(),
        started_at: w.startTime.toISOString(),
      });
      if (seen.size >= limit) break;
    }
  });
  const rows = [...seen.values()];
  await Promise.all(
    rows.map(async (r) => {
      const input = await pipelineStartInput(t, r.workflow_id).catch(() => null);
      r.project = input?.settings?.projectRoot ?? null;
    }),
  );
  return rows;
}
