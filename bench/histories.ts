import type { Client } from '@temporalio/client';
import { itemWorkflowId, monitorWorkflowId, pipelineWorkflowId } from '../src/shared/names';

/** One workflow run (an execution: each continue-as-new starts a new one) and its history length in events. */
export interface RunHistory {
  workflowId: string;
  runId: string;
  status: string;
  historyLength: number;
  /** The run of the parent workflow that started this one (item runs: a pipeline run). */
  parentRunId: string | null;
  startTime: number;
}

/**
 * Every run matching a visibility query, oldest first. Closed runs carry their
 * final history length; a run still open is described for its current length.
 */
export async function listRuns(client: Client, query: string): Promise<RunHistory[]> {
  const runs: RunHistory[] = [];
  for await (const w of client.workflow.list({ query })) {
    let historyLength = w.historyLength;
    if (w.status.name === 'RUNNING')
      historyLength = (await client.workflow.getHandle(w.workflowId, w.runId).describe()).historyLength;
    runs.push({
      workflowId: w.workflowId,
      runId: w.runId,
      status: w.status.name,
      historyLength,
      parentRunId: w.parentExecution?.runId ?? null,
      startTime: w.startTime.getTime(),
    });
  }
  return runs.sort((a, b) => a.startTime - b.startTime);
}

export interface ProjectHistories {
  /** The pipeline's runs, one per continue-as-new. */
  pipeline: RunHistory[];
  /** Every item workflow run. */
  items: RunHistory[];
  /** The monitor's runs. */
  monitor: RunHistory[];
}

/** The runs of a project's pipeline chain, its items and its monitor. */
export async function projectHistories(client: Client, projectId: string): Promise<ProjectHistories> {
  const [pipeline, items, monitor] = await Promise.all([
    listRuns(client, `WorkflowId = '${pipelineWorkflowId(projectId)}'`),
    listRuns(client, `WorkflowId STARTS_WITH '${itemWorkflowId(projectId, '')}'`),
    listRuns(client, `WorkflowId = '${monitorWorkflowId(projectId)}'`),
  ]);
  return { pipeline, items, monitor };
}

/** The longest run of a set (undefined for none). */
export function longest(runs: RunHistory[]): RunHistory | undefined {
  return runs.reduce<RunHistory | undefined>(
    (max, r) => (!max || r.historyLength > max.historyLength ? r : max),
    undefined,
  );
}
