import type { SaveTaskInput } from '../shared/contracts/task';
import { appendTaskSnapshot } from '../tasks/store';

/** A task snapshot without a metrics line: a task waiting for a decision has not ended yet. */
export function createSaveTask() {
  return async function saveTask(input: SaveTaskInput): Promise<void> {
    await appendTaskSnapshot(input.stateDir, input.task);
  };
}
