import {
  allHandlersFinished,
  type SignalDefinition,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { pauseSignal, pipelineStatusQuery, resumeSignal, stopSignal } from '../shared/messages';
import { itemWorkflowId } from '../shared/names';
import type { ItemRecord, ItemResult, PipelineEndReason, PipelineInput, PipelineResult } from '../shared/types';
import { itemWorkflow } from './item';
import { applyItemResult, compactForContinueAsNew, initialState, mergeBacklog, nextPendingItem, statusView } from './pipeline-state';

/** Backlog reads and outcome records: short file operations. */
const { readBacklog, recordItemOutcome } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

/** How many items run at once; worktrees for more than one arrive with the git work. */
const PARALLEL_ITEMS = 1;

/**
 * One per project: plays the project manager. Reads the backlog, runs each
 * pending item as a child workflow, records how it ended, idles on a durable
 * timer when there is nothing to do, and continues-as-new before its history
 * grows large, carrying its compact state.
 */
export async function pipelineWorkflow(input: PipelineInput): Promise<PipelineResult> {
  const s = input.settings;
  const state = input.state ?? initialState(new Date().toISOString(), input.hours);
  const running = new Map<string, ChildWorkflowHandle<typeof itemWorkflow>>();
  const finished: { item: ItemRecord; result: ItemResult }[] = [];
  const runStartedAt = new Date().toISOString();
  // A child may finish between the signal and its delivery; that is not an error of the pipeline.
  const forward = async (signal: SignalDefinition<[], string>) => Promise.all([...running.values()].map((h) => h.signal(signal).catch(() => undefined)));

  setHandler(pipelineStatusQuery, () =>
    statusView(state, { runStartedAt, historyLength: workflowInfo().historyLength, workflowIdOf: (k) => itemWorkflowId(input.projectId, k) }),
  );
  setHandler(pauseSignal, async () => {
    state.paused = true;
    await forward(pauseSignal);
  });
  setHandler(resumeSignal, async () => {
    state.paused = false;
    await forward(resumeSignal);
  });
  setHandler(stopSignal, async () => {
    state.stopRequested = true;
    await forward(stopSignal);
  });

  const deadlineMs = state.deadline ? Date.parse(state.deadline) : Infinity;
  const msLeft = () => deadlineMs - Date.now();
  const limitReached = () => !!input.maxItems && state.itemsFinished >= input.maxItems;
  const end = async (reason: PipelineEndReason): Promise<PipelineResult> => {
    await condition(allHandlersFinished);
    const counts = Object.values(state.items);
    log.info('pipeline finished', { reason });
    return { reason, itemsPassed: counts.filter((i) => i.state === 'passed').length, itemsFailed: counts.filter((i) => i.state === 'failed').length, tasksRun: state.tasksRun };
  };

  for (;;) {
    while (finished.length) {
      const { item, result } = finished.shift()!;
      applyItemResult(item, result, new Date().toISOString());
      state.tasksRun += result.tasksRun;
      if (result.outcome !== 'stopped') state.itemsFinished += 1;
      await recordItemOutcome({ stateDir: s.stateDir, record: { key: item.key, outcome: result.outcome, position: result.position, at: new Date().toISOString() } });
    }
    if (msLeft() <= 0 && !state.stopRequested) {
      log.info('time limit reached, stopping');
      state.stopRequested = true;
      await forward(stopSignal);
    }
    const stopping = state.stopRequested || limitReached();
    if (stopping && running.size === 0) return end(state.stopRequested ? (msLeft() <= 0 ? 'deadline' : 'stopped') : 'max_items');

    if (running.size === 0 && (workflowInfo().historyLength > s.continueAsNewEvents || workflowInfo().continueAsNewSuggested)) {
      await condition(allHandlersFinished);
      return await continueAsNew<typeof pipelineWorkflow>({ ...input, state: compactForContinueAsNew(state) });
    }

    if (!stopping && !state.paused && running.size < PARALLEL_ITEMS) {
      mergeBacklog(state, await readBacklog({ projectRoot: s.projectRoot, stateDir: s.stateDir, productBacklog: s.productBacklog, metaBacklog: s.metaBacklog, metaRatio: s.metaRatio }));
      const next = nextPendingItem(state);
      if (next) {
        await startItem(input, next, state.paused, running, finished);
        continue;
      }
      if (running.size === 0 && input.once) return end('once');
    }

    // Wait for a finished item, a new signal, the deadline, or (when idle) the next backlog poll.
    // While stopping, only a finished item can change anything, so wait for exactly that.
    const wake = stopping ? Infinity : Math.max(1, Math.min(msLeft(), running.size < PARALLEL_ITEMS ? s.backlogPollSeconds * 1000 : Infinity));
    const pausedAtWait = state.paused;
    const stopAtWait = state.stopRequested;
    const woken = () => finished.length > 0 || state.stopRequested !== stopAtWait || state.paused !== pausedAtWait;
    if (Number.isFinite(wake)) await condition(woken, wake);
    else await condition(woken);
  }
}

async function startItem(
  input: PipelineInput,
  item: ItemRecord,
  paused: boolean,
  running: Map<string, ChildWorkflowHandle<typeof itemWorkflow>>,
  finished: { item: ItemRecord; result: ItemResult }[],
): Promise<void> {
  const workflowId = itemWorkflowId(input.projectId, item.key);
  const handle = await startChild(itemWorkflow, {
    workflowId,
    args: [{ projectId: input.projectId, itemKey: item.key, itemText: item.text, settings: input.settings, resume: item.resume, paused }],
    staticSummary: `${input.projectId}: ${item.text.slice(0, 200)}`,
    staticDetails: `Backlog item \`${item.key}\` (${item.source}) of project \`${input.settings.projectRoot}\``,
  });
  item.state = 'running';
  item.startedAt = new Date().toISOString();
  running.set(item.key, handle);
  handle.result().then(
    (result) => {
      running.delete(item.key);
      finished.push({ item, result });
    },
    (err: unknown) => {
      running.delete(item.key);
      const reason = err instanceof Error ? err.message : String(err);
      finished.push({ item, result: { outcome: 'failed', iteration: item.iteration, tasksRun: 0, position: null, reason } });
    },
  );
}
