import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { EnvConfig, ProjectPaths } from '../config';
import { buildPipelineSettings } from '../settings/pipeline-settings';
import { ERROR_TYPE } from '../shared/errors';
import { decideUpdate } from '../shared/messages';
import { itemWorkflowId, taskWorkflowId, TASK_WORKFLOW_TYPE } from '../shared/names';
import type { DecideResult, TaskRecord, TaskType } from '../shared/contracts/task';
import { appendTaskSnapshot, type TaskIndex } from '../tasks/store';
import type { taskWorkflow } from '../workflows/task';
import { isUnreachableError, TemporalUnreachableError, withTimeLimit, type TemporalClient } from './connection';
import { ensureSearchAttributes } from './search-attributes';
import { workflowSearchAttributes } from '../shared/search-attributes';

export class TaskNotFoundError extends Error {
  readonly type = ERROR_TYPE.TaskNotFound;
}

export class TaskNotWaitingError extends Error {
  readonly type = ERROR_TYPE.TaskNotWaiting;
}

/** Answers a needs_decision task: the update goes to the workflow that owns the task. */
export async function decideTask(
  t: TemporalClient,
  tasks: TaskIndex,
  projectId: string,
  taskId: string,
  decision: string,
): Promise<DecideResult> {
  const task = await tasks.get(taskId);
  if (!task) throw new TaskNotFoundError('Task not found');
  if (task.status !== 'needs_decision')
    throw new TaskNotWaitingError(`Task ${taskId} is not waiting for a decision (status: ${task.status})`);
  const workflowId = task.workflow_id ?? (task.item_key ? itemWorkflowId(projectId, task.item_key) : null);
  if (!workflowId) throw new TaskNotWaitingError(`Task ${taskId} has no workflow to answer`);
  try {
    return await withTimeLimit(t, 5000, () =>
      t.client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [{ taskId, decision }] }),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError)
      throw new TaskNotWaitingError(`Task ${taskId} is not waiting for a decision`);
    if (err instanceof TemporalUnreachableError) throw err;
    if (isUnreachableError(err)) throw new TemporalUnreachableError(t.address);
    // a rejected update (the validator threw) surfaces as a failed update
    if ((err as Error).message?.includes('not waiting for a decision'))
      throw new TaskNotWaitingError(`Task ${taskId} is not waiting for a decision`);
    throw err;
  }
}

/** Runs an ad-hoc task (or a hand-made heal task) through the agent machinery; returns its pending record. */
export async function enqueueTask(
  t: TemporalClient,
  config: EnvConfig,
  paths: ProjectPaths,
  o: { taskType: TaskType; direction: string },
): Promise<TaskRecord> {
  const settings = {
    ...(await buildPipelineSettings(config, paths)),
    searchAttributes: await ensureSearchAttributes(t),
  };
  const id = `task_${randomBytes(8).toString('hex')}`;
  const spec = {
    id,
    task_type: o.taskType,
    direction: o.direction,
    model: `${settings.agent.name}/${settings.agent.modelByType[o.taskType]}`,
    item_key: null,
    iteration: 1,
    created_at: new Date().toISOString(),
  };
  const workflowId = taskWorkflowId(paths.projectId, id);
  const record: TaskRecord = {
    ...spec,
    status: 'pending',
    started_at: null,
    finished_at: null,
    output: null,
    exit_code: null,
    decision_prompt: null,
    decision: null,
    workflow_id: workflowId,
  };
  // Recorded before the start, so the agent's own "running" snapshot can only come after it.
  await appendTaskSnapshot(paths.stateDir, record);
  try {
    await withTimeLimit(t, 5000, () =>
      t.client.workflow.start<typeof taskWorkflow>(TASK_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [{ projectId: paths.projectId, settings, task: spec }],
        typedSearchAttributes: workflowSearchAttributes(settings.searchAttributes, {
          projectId: paths.projectId,
          phase: o.taskType,
        }),
        staticSummary: `${paths.projectId}: ${o.taskType} task: ${o.direction.slice(0, 150)}`,
      }),
    );
  } catch (err) {
    await appendTaskSnapshot(paths.stateDir, {
      ...record,
      status: 'failed',
      finished_at: new Date().toISOString(),
      output: `[Pipeline] The task could not be started: ${(err as Error).message}`,
    });
    if (isUnreachableError(err)) throw new TemporalUnreachableError(t.address);
    throw err;
  }
  return record;
}
