import { allHandlersFinished, condition, continueAsNew, setHandler } from '@temporalio/workflow';
import {
  credentialRejectedSignal,
  itemWaitingSignal,
  pauseSignal,
  pipelineStatusQuery,
  rateLimitedSignal,
  resumeSignal,
  stopSignal,
} from '../shared/messages';
import type { PipelineInput, PipelineResult } from '../shared/contracts/pipeline';
import { PipelineRun } from './pipeline-run';

/**
 * One per project: plays the project manager. Reads the backlog, runs each
 * pending item as a child workflow, records how it ended, idles on a durable
 * timer when there is nothing to do, and continues-as-new before its history
 * grows large, carrying its compact state.
 *
 * The loop awaits exactly where replays of recorded runs expect it to (see PipelineRun).
 */
export async function pipelineWorkflow(input: PipelineInput): Promise<PipelineResult> {
  const run = new PipelineRun(input);
  setHandler(pipelineStatusQuery, () => run.status());
  setHandler(rateLimitedSignal, ({ until }) => run.rateLimited(until));
  setHandler(itemWaitingSignal, ({ itemKey, waiting }) => run.itemWaiting(itemKey, waiting));
  setHandler(pauseSignal, () => run.pause());
  setHandler(resumeSignal, () => run.resume());
  // A refused credential fails every task alike: pause everything and say why, instead of failing items one by one.
  setHandler(credentialRejectedSignal, ({ message }) => run.credentialRejected(message));
  setHandler(stopSignal, () => run.stop());
  run.logStart();

  for (;;) {
    while (run.hasFinished()) {
      const inLoop = run.settleNext();
      if (inLoop) await inLoop;
    }
    run.throwIfSettleFailed();
    if (run.deadlinePassed()) await run.stopForDeadline();
    const stopping = run.stopping();
    if (stopping && run.idle()) return run.end(run.stopReason());

    const historyFull = run.historyFull();
    const draining = run.draining(historyFull);
    if (run.idle() && historyFull) {
      await condition(allHandlersFinished);
      return await continueAsNew<typeof pipelineWorkflow>(run.nextRunInput());
    }

    await run.maintainIfDue();
    const limitedMs = run.rateLimitedMs();
    if (!stopping && !draining && run.mayStart(limitedMs)) {
      if (!run.mayReuseBacklogRead()) run.backlogRead(await run.readBacklog());
      const next = run.nextPending();
      if (next) {
        const free = run.freeSlots();
        if (run.startsTogether(free)) await run.startTogether(free);
        else
          await run.startItem(
            next,
            run.placeWithoutPreparing() ?? { ownWorktree: false, workDir: (await run.prepareWorktree(next)).path },
          );
        continue;
      }
      if (run.idle() && input.once) return run.end('once');
    }

    // While stopping or draining, only a finished item can change anything, so wait for exactly that.
    await run.waitForChange(stopping || draining ? Infinity : run.wakeAfterMs(limitedMs));
  }
}
