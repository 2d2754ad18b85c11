import { condition, patched, setHandler } from '@temporalio/workflow';
import { itemStatusQuery, pauseSignal, resumeSignal, stopSignal } from '../shared/messages';
import type { ItemInput, ItemResult } from '../shared/contracts/pipeline';
import { ItemRun } from './item-run';
import { handleDecisions, runTaskToEnd } from './task-runner';

/** Items started before this change wrote each record before the next task; they replay that way. */
const RECORD_BESIDE_NEXT_TASK = 'record-beside-next-task';

/** One backlog item through spec → impl → test → review → validation, with the fix loop. */
export async function itemWorkflow(input: ItemInput): Promise<ItemResult> {
  const run = new ItemRun(input);
  setHandler(itemStatusQuery, () => run.status());
  setHandler(pauseSignal, () => void (run.paused = true));
  setHandler(resumeSignal, () => void (run.paused = false));
  setHandler(stopSignal, () => void (run.stopRequested = true));
  handleDecisions(run.wait);

  // A finished task's record (snapshot + metrics line) is written beside the next task's agent run, not before it:
  // the hand-off between tasks is then one workflow task, like a plain sequence of activities.
  run.recordBesideNext = patched(RECORD_BESIDE_NEXT_TASK);
  // Done here, not by the pipeline, so items prepare their worktrees side by side instead of one by one in its loop.
  if (run.preparesOwnWorktree()) run.inOwnWorktree((await run.prepareWorktree()).path);
  // A long text came as an excerpt (a backlog read is one bounded payload): directions are built from the whole text.
  // Only items started with an excerpt take this step, so runs recorded before it replay unchanged.
  if (input.itemTextExcerptOf) {
    const whole = await run.readWholeText();
    if (whole.text === null)
      return run.end('failed', `the whole text of ${input.itemKey} is no longer kept nor in the backlog`);
    run.itemText = whole.text;
  }
  const result = await runPhases(run);
  await run.recording; // every task is recorded before the item reports its end
  return result;
}

/** The tasks of the item until it ends; the awaits are the agent runs (with their records) and the validations. */
async function runPhases(run: ItemRun): Promise<ItemResult> {
  for (;;) {
    await condition(() => !run.paused || run.stopRequested);
    if (run.stopRequested) return run.end('stopped', 'stop requested');
    const task = run.nextTask();
    const ended = await runTaskToEnd(run.taskContext(), task);
    let step = run.afterTask(task, ended);
    if (step === 'validate') step = run.judge(ended.result, run.s.testCommand ? await run.runTests() : null);
    if (step !== 'next') return step;
  }
}
