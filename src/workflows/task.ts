import { setHandler, workflowInfo } from '@temporalio/workflow';
import { itemStatusQuery } from '../shared/messages';
import type { ItemStatusView } from '../shared/contracts/pipeline';
import type { TaskRecord, TaskSpec, TaskWorkflowInput, TaskWorkflowResult } from '../shared/contracts/task';
import {
  awaitDecision,
  decisionTimeoutNote,
  finishRecord,
  handleDecisions,
  runTaskToEnd,
  saveRecord,
  withDecision,
  type DecisionWait,
  type TaskRunContext,
} from './task-runner';
import { runSteps } from './steps';

/**
 * A single task outside the backlog: a heal task from the monitor, or an ad-hoc
 * task from `nightshift enqueue` / POST /api/agent/tasks. Same agent machinery,
 * same records; heal tasks are never committed. With `askFirst` (auto-fix action
 * needs_decision) the task waits for a human before its agent runs.
 */
export async function taskWorkflow(input: TaskWorkflowInput): Promise<TaskWorkflowResult> {
  const s = input.settings;
  const wait: DecisionWait = { waiting: null, decision: null };
  let current: ItemStatusView['currentTask'] = { ...input.task, status: 'pending', started_at: null };
  setHandler(itemStatusQuery, () => ({
    itemKey: input.task.item_key ?? '',
    itemText: input.task.direction,
    phase: 'impl',
    iteration: input.task.iteration,
    paused: false,
    stopRequested: false,
    currentTask: current,
    waiting: wait.waiting,
  }));
  handleDecisions(wait);
  const ctx: TaskRunContext = {
    settings: s,
    steps: runSteps(s),
    workDir: s.projectRoot,
    commit: s.autoCommit,
    summary: input.task.direction,
    workflowId: workflowInfo().workflowId,
    wait,
    shouldStop: () => false,
    context: input.condition ? { condition: input.condition } : undefined,
  };
  let task = input.task;
  if (input.askFirst) {
    const asking = askingRecord(task, input.askFirst, ctx.workflowId);
    await saveRecord(s, asking);
    const { decision } = await awaitDecision(ctx, task, input.askFirst);
    if (decision === null) {
      await finishRecord(
        s,
        {
          ...asking,
          status: 'failed',
          finished_at: new Date().toISOString(),
          output: `${decisionTimeoutNote(s)} The task did not run.`,
        },
        0,
      );
      return { taskId: task.id, status: 'failed' };
    }
    task = { ...task, direction: withDecision(task.direction, input.askFirst, decision) };
  }
  current = { ...task, status: 'running', started_at: null };
  const ended = await runTaskToEnd(ctx, task);
  if (ended.kind === 'finished') await ended.recorded;
  current = null;
  return { taskId: task.id, status: ended.record.status };
}

/** The record of a task that asks before its agent runs. */
function askingRecord(task: TaskSpec, prompt: string, workflowId: string): TaskRecord {
  return {
    ...task,
    status: 'needs_decision',
    started_at: null,
    finished_at: null,
    output: null,
    exit_code: null,
    decision_prompt: prompt,
    decision: null,
    workflow_id: workflowId,
    output_chars: 0,
  };
}
