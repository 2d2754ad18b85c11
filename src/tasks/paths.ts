import path from 'node:path';

/** Task ids are `task_` + 16 lowercase hex; anything else never reaches the file system. */
export const TASK_ID_PATTERN = /^task_[0-9a-f]{16}$/;

export function isTaskId(id: string): boolean {
  return TASK_ID_PATTERN.test(id);
}

export function taskLogPath(stateDir: string, taskId: string): string {
  if (!isTaskId(taskId)) throw new Error(`invalid task id: ${JSON.stringify(taskId)}`);
  return path.join(stateDir, 'logs', 'tasks', `${taskId}.log`);
}
