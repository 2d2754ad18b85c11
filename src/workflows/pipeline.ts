import {
  allHandlersFinished,
  type SignalDefinition,
  condition,
  continueAsNew,
  patched,
  log,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import {
  credentialRejectedSignal,
  itemWaitingSignal,
  pauseSignal,
  pipelineStatusQuery,
  rateLimitedSignal,
  resumeSignal,
  stopSignal,
} from '../shared/messages';
import { itemWorkflowId } from '../shared/names';
import { workflowSearchAttributes } from '../shared/search-attributes';
import type { ItemRecord, ItemResult, PipelineEndReason, PipelineInput, PipelineResult } from '../shared/types';
import { itemWorkflow } from './item';
import { backlogSteps, runSteps, type RunSteps } from './steps';
import {
  applyItemResult,
  compactForContinueAsNew,
  initialState,
  mergeBacklog,
  nextPendingItem,
  pendingItems,
  statusView,
} from './pipeline-state';

/** Patch id: runs recorded before the drain keep starting items past the history threshold when replayed. */
const DRAIN_BEFORE_CONTINUE_AS_NEW = 'drain-before-continue-as-new';

/** Patch id: runs recorded before items prepared their own worktrees prepare them in the loop when replayed. */
const WORKTREE_IN_ITEM = 'worktree-prepared-by-item';

/**
 * Patch id: runs recorded before finished items were settled beside new ones settle each before starting the next when
 * replayed.
 */
const SETTLE_BESIDE_NEW_ITEMS = 'settle-beside-new-items';

/**
 * Patch id: runs recorded before a recent backlog read was reused read the backlog before every start when replayed.
 */
const REUSE_RECENT_BACKLOG_READ = 'reuse-recent-backlog-read';

/** Patch id: runs recorded before free slots were filled together start one item per loop pass when replayed. */
const START_FREE_SLOTS_TOGETHER = 'start-free-slots-together';

/**
 * Slots free up in bursts when items run side by side: a backlog read this recent still starts the next
 * pending item (a newer edit to the backlog is seen at the next read, at most this much later).
 */
const BACKLOG_REUSE_MS = 2000;

/** Old task logs and metrics lines are housekept once a day. */
const MAINTENANCE_EVERY_MS = 24 * 3_600_000;

/**
 * One per project: plays the project manager. Reads the backlog, runs each
 * pending item as a child workflow, records how it ended, idles on a durable
 * timer when there is nothing to do, and continues-as-new before its history
 * grows large, carrying its compact state.
 */
export async function pipelineWorkflow(input: PipelineInput): Promise<PipelineResult> {
  const s = input.settings;
  const steps = runSteps(s);
  const state = input.state ?? initialState(new Date().toISOString(), input.hours);
  const parallel = Math.max(1, s.parallelItems ?? 1);
  const useWorktrees = parallel > 1 && !!s.baseBranch;
  const running = new Map<string, ChildWorkflowHandle<typeof itemWorkflow>>();
  /** Running items that wait for a human decision: they do not hold a slot meanwhile. */
  const waiting = new Set<string>();
  const busy = () => running.size - [...waiting].filter((k) => running.has(k)).length;
  const finished: { item: ItemRecord; result: ItemResult }[] = [];
  /** Finished items until they are settled: the status shows how they ended without querying an ended workflow. */
  const ended = new Map<string, ItemResult>();
  const runStartedAt = new Date().toISOString();
  // A child may finish between the signal and its delivery; that is not an error of the pipeline.
  const forward = async (signal: SignalDefinition<[], string>) =>
    Promise.all([...running.values()].map((h) => h.signal(signal).catch(() => undefined)));

  setHandler(pipelineStatusQuery, () =>
    statusView(state, {
      runStartedAt,
      historyLength: workflowInfo().historyLength,
      workflowIdOf: (k) => itemWorkflowId(input.projectId, k),
      children: { running, ended, waiting },
    }),
  );
  setHandler(rateLimitedSignal, ({ until }) => {
    if (!state.rateLimitedUntil || until > state.rateLimitedUntil) state.rateLimitedUntil = until;
  });
  setHandler(itemWaitingSignal, ({ itemKey, waiting: isWaiting }) => {
    if (isWaiting) waiting.add(itemKey);
    else waiting.delete(itemKey);
  });
  setHandler(pauseSignal, async () => {
    state.paused = true;
    await forward(pauseSignal);
  });
  setHandler(resumeSignal, async () => {
    state.paused = false;
    state.pauseReason = null;
    await forward(resumeSignal);
  });
  // A refused credential fails every task alike: pause everything and say why, instead of failing items one by one.
  setHandler(credentialRejectedSignal, async ({ message }) => {
    state.paused = true;
    state.pauseReason = message;
    await forward(pauseSignal);
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
    return {
      reason,
      itemsPassed: counts.filter((i) => i.state === 'passed').length,
      itemsFailed: counts.filter((i) => i.state === 'failed').length,
      tasksRun: state.tasksRun,
    };
  };

  const maintainIfDue = async () => {
    const last = state.lastMaintenanceAt ? Date.parse(state.lastMaintenanceAt) : 0;
    if (Date.now() - last < MAINTENANCE_EVERY_MS) return;
    state.lastMaintenanceAt = new Date().toISOString();
    // Housekeeping never holds up or fails the pipeline: a failed round is logged and tried again tomorrow.
    await steps.project
      .maintain({
        stateDir: s.stateDir,
        metricsFile: s.metricsFile,
        logKeepDays: s.logKeepDays ?? 14,
        metricsKeepDays: s.metricsKeepDays ?? 30,
      })
      .catch((err: unknown) =>
        log.warn('maintenance failed', { error: err instanceof Error ? err.message : String(err) }),
      );
  };
  if (!input.state)
    log.info(`Auto-commit: ${s.autoCommit ? 1 : 0} | Auto-push: ${s.autoPush ? 1 : 0}`, {
      parallelItems: parallel,
      worktrees: useWorktrees,
    });

  let lastBacklogReadAt = -Infinity;
  /**
   * Merges, coverage and outcome records of finished items, one after the other (they share the project root's
   * checkout).
   */
  let settling: Promise<void> = Promise.resolve();
  let unsettled = 0;
  /** A settle that failed for good: the pipeline fails with it, as it did when settles ran in the loop. */
  const settleFailures: unknown[] = [];
  const settle = async (item: ItemRecord, reported: ItemResult, together: boolean) => {
    const result = await settleItem(input, steps, item, reported, useWorktrees);
    applyItemResult(item, result, new Date().toISOString());
    ended.delete(item.key);
    const record = () =>
      backlogSteps.recordItemOutcome({
        stateDir: s.stateDir,
        record: {
          key: item.key,
          outcome: result.outcome,
          position: result.position,
          at: new Date().toISOString(),
          reason: result.reason,
        },
      });
    if (together) await Promise.all([record(), updateCoverageIfPassed(input, steps, item, result, useWorktrees)]);
    else {
      await updateCoverageIfPassed(input, steps, item, result, useWorktrees);
      await record();
    }
  };

  for (;;) {
    while (finished.length) {
      const { item, result } = finished.shift()!;
      waiting.delete(item.key);
      ended.set(item.key, result);
      // A settle keeps the outcome, tasks run and whether the item stopped: they count at once, so `--max-items` holds
      // new starts.
      state.tasksRun += result.tasksRun;
      if (result.outcome !== 'stopped') state.itemsFinished += 1;
      // With worktrees, a finished item is settled beside the items that start after it: the loop's serial path is only
      // starting items.
      if (useWorktrees && patched(SETTLE_BESIDE_NEW_ITEMS)) {
        unsettled += 1;
        settling = settling
          .then(() => settle(item, result, true))
          .catch((error: unknown) => void settleFailures.push(error))
          .finally(() => void (unsettled -= 1));
      } else await settle(item, result, false);
    }
    if (settleFailures.length) throw settleFailures[0];
    if (msLeft() <= 0 && !state.stopRequested) {
      log.info('time limit reached, stopping');
      state.stopRequested = true;
      await forward(stopSignal);
    }
    const stopping = state.stopRequested || limitReached();
    // `idle`: no child runs and no finished child waits to be settled (a child can finish during any await).
    const idle = () => running.size === 0 && finished.length === 0 && unsettled === 0;
    if (stopping && idle()) return end(state.stopRequested ? (msLeft() <= 0 ? 'deadline' : 'stopped') : 'max_items');

    // Running children cannot move to the next run, so a full history first drains: no new item starts
    // until the running ones have ended, then the pipeline continues as new. Without the drain, parallel
    // items keep a slot busy at every moment and the history grows until the backlog runs dry.
    const historyFull = workflowInfo().historyLength > s.continueAsNewEvents || workflowInfo().continueAsNewSuggested;
    // Items waiting for a decision do not hold the drain up: it could last for hours.
    const draining = historyFull && (busy() > 0 || unsettled > 0) && patched(DRAIN_BEFORE_CONTINUE_AS_NEW);
    if (idle() && historyFull) {
      await condition(allHandlersFinished);
      return await continueAsNew<typeof pipelineWorkflow>({ ...input, state: compactForContinueAsNew(state) });
    }

    await maintainIfDue();
    const limitedMs = state.rateLimitedUntil ? Date.parse(state.rateLimitedUntil) - Date.now() : 0;
    if (!stopping && !draining && !state.paused && limitedMs <= 0 && busy() < parallel) {
      // Only a start reuses a read: with no pending item known, the backlog is always read before idling or ending.
      const reuse =
        Date.now() - lastBacklogReadAt < BACKLOG_REUSE_MS &&
        nextPendingItem(state) !== null &&
        patched(REUSE_RECENT_BACKLOG_READ);
      if (!reuse) {
        mergeBacklog(
          state,
          await backlogSteps.readBacklog({
            projectRoot: s.projectRoot,
            stateDir: s.stateDir,
            productBacklog: s.productBacklog,
            metaBacklog: s.metaBacklog,
            metaRatio: s.metaRatio,
          }),
        );
        lastBacklogReadAt = Date.now();
      }
      const next = nextPendingItem(state);
      if (next) {
        // Slots free up in bursts: every free slot takes its item in this one pass (one backlog read, the
        // child starts sent in one workflow task) instead of one workflow task round trip per start.
        const free = parallel - busy();
        if (free > 1 && patched(START_FREE_SLOTS_TOGETHER)) {
          await Promise.all(
            pendingItems(state, free).map(async (item) =>
              startItem(
                input,
                item,
                await placeItem(input, steps, item, useWorktrees),
                state.paused,
                running,
                finished,
              ),
            ),
          );
          continue;
        }
        const ownWorktree = useWorktrees && patched(WORKTREE_IN_ITEM);
        const where = ownWorktree
          ? { ownWorktree }
          : {
              ownWorktree,
              workDir: useWorktrees
                ? (
                    await steps.project.prepareWorktree({
                      projectRoot: s.projectRoot,
                      stateDir: s.stateDir,
                      itemKey: next.key,
                      baseBranch: s.baseBranch!,
                    })
                  ).path
                : s.projectRoot,
            };
        await startItem(input, next, where, state.paused, running, finished);
        continue;
      }
      if (idle() && input.once) return end('once');
    }

    // Wait for a finished item, a new signal, the deadline, or (when idle) the next backlog poll.
    // While stopping or draining, only a finished item can change anything, so wait for exactly that.
    const wake =
      stopping || draining
        ? Infinity
        : Math.max(
            1,
            Math.min(
              msLeft(),
              busy() < parallel ? (limitedMs > 0 ? limitedMs : s.backlogPollSeconds * 1000) : Infinity,
            ),
          );
    const pausedAtWait = state.paused;
    const stopAtWait = state.stopRequested;
    const busyAtWait = busy();
    const limitAtWait = state.rateLimitedUntil;
    // Settles wake the loop only when the last one ends (idle may now hold) or one failed, not once per item.
    const settledAtWait = unsettled === 0;
    const settledAll = () => (unsettled === 0 && !settledAtWait) || settleFailures.length > 0;
    const woken = () =>
      finished.length > 0 ||
      state.stopRequested !== stopAtWait ||
      state.paused !== pausedAtWait ||
      busy() !== busyAtWait ||
      state.rateLimitedUntil !== limitAtWait ||
      settledAll();
    if (Number.isFinite(wake)) await condition(woken, wake);
    else await condition(woken);
  }
}

/**
 * After an item's workflow ends: merge its worktree branch when it passed (a conflict fails the item and keeps the
 * branch).
 */
async function settleItem(
  input: PipelineInput,
  steps: RunSteps,
  item: ItemRecord,
  result: ItemResult,
  useWorktrees: boolean,
): Promise<ItemResult> {
  const s = input.settings;
  if (!useWorktrees || result.outcome === 'stopped') return result;
  const merge = await steps.project.closeWorktree({
    projectRoot: s.projectRoot,
    stateDir: s.stateDir,
    itemKey: item.key,
    baseBranch: s.baseBranch!,
    merge: result.outcome === 'passed',
  });
  if (result.outcome !== 'passed' || merge.merged) return result;
  log.warn('item branch not merged', { item: item.key, reason: merge.reason });
  return { ...result, outcome: 'failed', reason: `${merge.reason ?? 'merge failed'}; branch kept` };
}

/** A passed item's specs get their coverage row. */
async function updateCoverageIfPassed(
  input: PipelineInput,
  steps: RunSteps,
  item: ItemRecord,
  result: ItemResult,
  useWorktrees: boolean,
): Promise<void> {
  if (result.outcome !== 'passed') return;
  const s = input.settings;
  await steps.project.updateCoverage({
    projectRoot: s.projectRoot,
    stateDir: s.stateDir,
    coveragePath: s.specCoverage,
    itemKey: item.key,
    texts: [item.text, result.specOutput ?? ''],
    testsPassed: result.testsPassed ?? false,
    commit: s.autoCommit || useWorktrees,
  });
}

/**
 * Where an item of a pass that starts several runs: in its own worktree, which the item prepares itself, or in the
 * project root.
 */
async function placeItem(
  input: PipelineInput,
  steps: RunSteps,
  item: ItemRecord,
  useWorktrees: boolean,
): Promise<{ workDir?: string; ownWorktree: boolean }> {
  const s = input.settings;
  const ownWorktree = useWorktrees && patched(WORKTREE_IN_ITEM);
  if (ownWorktree || !useWorktrees) return ownWorktree ? { ownWorktree } : { ownWorktree, workDir: s.projectRoot };
  // A run from before items prepared their own worktrees (the patch is known absent only while it replays).
  const prepared = await steps.project.prepareWorktree({
    projectRoot: s.projectRoot,
    stateDir: s.stateDir,
    itemKey: item.key,
    baseBranch: s.baseBranch!,
  });
  return { ownWorktree, workDir: prepared.path };
}

async function startItem(
  input: PipelineInput,
  item: ItemRecord,
  where: { workDir?: string; ownWorktree: boolean },
  paused: boolean,
  running: Map<string, ChildWorkflowHandle<typeof itemWorkflow>>,
  finished: { item: ItemRecord; result: ItemResult }[],
): Promise<void> {
  const workflowId = itemWorkflowId(input.projectId, item.key);
  const handle = await startChild(itemWorkflow, {
    workflowId,
    args: [
      {
        projectId: input.projectId,
        itemKey: item.key,
        itemText: item.text,
        ...(item.excerptOf ? { itemTextExcerptOf: item.excerptOf } : {}),
        settings: input.settings,
        ...where,
        resume: item.resume,
        paused,
      },
    ],
    typedSearchAttributes: workflowSearchAttributes(input.settings.searchAttributes, {
      projectId: input.projectId,
      itemKey: item.key,
      phase: item.resume?.phase ?? 'spec',
    }),
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
      finished.push({
        item,
        result: { outcome: 'failed', iteration: item.iteration, tasksRun: 0, position: null, reason },
      });
    },
  );
}
