import { uuid4 } from '@temporalio/workflow';

/** `task_` + 16 lowercase hex, from the workflow's deterministic uuid (replay-safe). */
export function newTaskId(): string {
  return `task_${uuid4().replace(/-/g, '').slice(0, 16)}`;
}
