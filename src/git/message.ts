/** Commit messages of pipeline tasks (contract section 9). */
export const SUBJECT_DIRECTION_LIMIT = 72;

/** The direction on one line, whitespace collapsed, at most 72 characters (`...` when cut). */
export function shortDirection(direction: string): string {
  const oneLine = direction.replace(/\s+/g, ' ').trim();
  return oneLine.length <= SUBJECT_DIRECTION_LIMIT ? oneLine : `${oneLine.slice(0, SUBJECT_DIRECTION_LIMIT - 3)}...`;
}

export function trailer(taskId: string): string {
  return `Pipeline-Task: ${taskId}`;
}

export function taskCommitMessage(taskType: string, taskId: string, direction: string): string {
  return `[pipeline] ${taskType} ${taskId}: ${shortDirection(direction)}\n\n${trailer(taskId)}\n`;
}

/** `nightshift/<item-slug>`: the branch of an item that runs in its own worktree. */
export function itemBranch(itemKey: string): string {
  return `nightshift/${itemKey}`;
}
