import { monitorWorkflowId, MONITOR_WORKFLOW_TYPE, pipelineWorkflowId, PIPELINE_WORKFLOW_TYPE } from '../shared/names';
import type { PipelineInput, PipelineSettings } from '../shared/contracts/pipeline';
import type { monitorWorkflow } from '../workflows/monitor';
import type { pipelineWorkflow } from '../workflows/pipeline';
import type { TemporalClient } from './connection';
import { ensureSearchAttributes } from './search-attributes';
import { workflowSearchAttributes } from '../shared/search-attributes';

export interface LaunchOptions {
  projectId: string;
  taskQueue: string;
  settings: PipelineSettings;
  once?: boolean;
  maxItems?: number;
  hours?: number;
}

export interface LaunchResult {
  workflowId: string;
  runId: string;
  attached: boolean;
}

/**
 * Starts the project's pipeline and its monitor, or attaches to the ones that
 * run: one of each per project, whoever starts them (CLI, API, a schedule).
 */
export async function launchPipeline(
  t: TemporalClient,
  o: LaunchOptions,
  warn?: (message: string) => void,
): Promise<LaunchResult> {
  const s: PipelineSettings = { ...o.settings, searchAttributes: await ensureSearchAttributes(t, warn) };
  const workflowId = pipelineWorkflowId(o.projectId);
  const input: PipelineInput = {
    projectId: o.projectId,
    settings: s,
    once: !!o.once,
    maxItems: o.maxItems ?? 0,
    hours: o.hours ?? 0,
  };
  let attached = false;
  try {
    attached = (await t.client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch {
    // not started yet
  }
  const handle = await t.client.workflow.start<typeof pipelineWorkflow>(PIPELINE_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: o.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: workflowSearchAttributes(s.searchAttributes, { projectId: o.projectId }),
    staticSummary: `nightshift pipeline: ${s.projectRoot}`,
    staticDetails: `Backlog \`${s.productBacklog}\` (meta \`${s.metaBacklog}\`, ratio ${s.metaRatio}); agent \`${s.agent.name}\``,
  });
  await t.client.workflow.start<typeof monitorWorkflow>(MONITOR_WORKFLOW_TYPE, {
    workflowId: monitorWorkflowId(o.projectId),
    taskQueue: o.taskQueue,
    args: [{ projectId: o.projectId, settings: s }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: workflowSearchAttributes(s.searchAttributes, { projectId: o.projectId, phase: 'monitor' }),
    staticSummary: `nightshift monitor: ${s.projectRoot}`,
  });
  return { workflowId, runId: handle.firstExecutionRunId, attached };
}
