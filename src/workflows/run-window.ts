import type { WindowInput, WindowResult } from '../shared/contracts/run-window';
import { windowSteps } from './steps';

/**
 * What a Temporal Schedule starts. The scheduler adds a timestamp to the ids of
 * the workflows it starts, so it cannot start `nightshift-<project>` itself; this
 * small workflow does, with "use existing": one pipeline per project even when a
 * window opens while a pipeline runs.
 */
export async function windowWorkflow(input: WindowInput): Promise<WindowResult> {
  return windowSteps.openWindow(input);
}
