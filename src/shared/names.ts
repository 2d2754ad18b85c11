/**
 * Names that cross the wire (task queue, workflow ids, message names, search
 * attributes). Renaming any of them breaks running workflows or scripts.
 * Sandbox-safe: imported by workflows, so no Node imports here.
 */
export const DEFAULT_TASK_QUEUE = 'nightshift';
export const DEFAULT_NAMESPACE = 'default';

export const PIPELINE_WORKFLOW_TYPE = 'pipelineWorkflow';
export const ITEM_WORKFLOW_TYPE = 'itemWorkflow';

export function pipelineWorkflowId(projectId: string): string {
  return `nightshift-${projectId}`;
}

/** What the ids of the project's other workflows (items, tasks, monitor, window) start with: `nightshift-<projectId>-`. */
export function projectWorkflowIdPrefix(projectId: string): string {
  return `${pipelineWorkflowId(projectId)}-`;
}

export function itemWorkflowId(projectId: string, itemKey: string): string {
  return `nightshift-${projectId}-item-${itemKey}`;
}

export function monitorWorkflowId(projectId: string): string {
  return `nightshift-${projectId}-monitor`;
}

export function taskWorkflowId(projectId: string, taskId: string): string {
  return `nightshift-${projectId}-task-${taskId}`;
}

export function scheduleId(projectId: string): string {
  return `nightshift-${projectId}-schedule`;
}

export function windowWorkflowId(projectId: string): string {
  return `nightshift-${projectId}-window`;
}

export const MONITOR_WORKFLOW_TYPE = 'monitorWorkflow';
export const WINDOW_WORKFLOW_TYPE = 'windowWorkflow';
export const TASK_WORKFLOW_TYPE = 'taskWorkflow';

export const SIGNAL_PAUSE = 'pause';
export const SIGNAL_RESUME = 'resume';
export const SIGNAL_STOP = 'stop';
export const QUERY_STATUS = 'status';
export const UPDATE_DECIDE = 'decide';
export const SIGNAL_ITEM_WAITING = 'itemWaiting';
export const SIGNAL_RATE_LIMITED = 'rateLimited';
export const SIGNAL_CREDENTIAL_REJECTED = 'credentialRejected';
export const QUERY_ISSUES = 'issues';
