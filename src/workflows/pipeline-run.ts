import {
  allHandlersFinished,
  condition,
  log,
  patched,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
  type SignalDefinition,
} from '@temporalio/workflow';
import { pauseSignal, resumeSignal, stopSignal } from '../shared/messages';
import { itemWorkflowId } from '../shared/names';
import { workflowSearchAttributes } from '../shared/search-attributes';
import type {
  ItemRecord,
  ItemResult,
  PipelineCarriedState,
  PipelineEndReason,
  PipelineInput,
  PipelineResult,
  PipelineSettings,
  PipelineStatusView,
  ReadBacklogResult,
} from '../shared/contracts/pipeline';
import { itemWorkflow } from './item';
import {
  applyItemResult,
  compactForContinueAsNew,
  initialState,
  mergeBacklog,
  nextPendingItem,
  pendingItems,
  statusView,
} from './pipeline-state';
import { backlogSteps, runSteps, type RunSteps } from './steps';

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

/** Where an item runs: in its own worktree, which the item prepares itself, or in `workDir`. */
export interface ItemPlace {
  workDir?: string;
  ownWorktree: boolean;
}

/**
 * The state of one pipeline run (up to its continue-as-new) and what the loop and the handlers do with it.
 *
 * The methods the loop awaits are either synchronous or the same async steps as the loop ran inline before, so every
 * await sits where it did: settles and records run beside the loop, and an extra await would let their commands
 * overtake the loop's within a workflow task, which a replay of a recorded run rejects.
 */
export class PipelineRun {
  readonly state: PipelineCarriedState;
  readonly parallel: number;
  readonly useWorktrees: boolean;
  private readonly s: PipelineSettings;
  private readonly steps: RunSteps;
  private readonly running = new Map<string, ChildWorkflowHandle<typeof itemWorkflow>>();
  /** Running items that wait for a human decision: they do not hold a slot meanwhile. */
  private readonly waiting = new Set<string>();
  private readonly finished: { item: ItemRecord; result: ItemResult }[] = [];
  /** Finished items until they are settled: the status shows how they ended without querying an ended workflow. */
  private readonly ended = new Map<string, ItemResult>();
  private readonly runStartedAt = new Date().toISOString();
  private readonly deadlineMs: number;
  private lastBacklogReadAt = -Infinity;
  /**
   * Merges, coverage and outcome records of finished items, one after the other (they share the project root's
   * checkout).
   */
  private settling: Promise<void> = Promise.resolve();
  private unsettled = 0;
  /** A settle that failed for good: the pipeline fails with it, as it did when settles ran in the loop. */
  private readonly settleFailures: unknown[] = [];

  constructor(private readonly input: PipelineInput) {
    this.s = input.settings;
    this.steps = runSteps(this.s);
    this.state = input.state ?? initialState(new Date().toISOString(), input.hours);
    this.parallel = Math.max(1, this.s.parallelItems ?? 1);
    this.useWorktrees = this.parallel > 1 && !!this.s.baseBranch;
    this.deadlineMs = this.state.deadline ? Date.parse(this.state.deadline) : Infinity;
  }

  status(): PipelineStatusView {
    return statusView(this.state, {
      runStartedAt: this.runStartedAt,
      historyLength: workflowInfo().historyLength,
      workflowIdOf: (k) => itemWorkflowId(this.input.projectId, k),
      children: { running: this.running, ended: this.ended, waiting: this.waiting },
    });
  }

  rateLimited(until: string): void {
    if (!this.state.rateLimitedUntil || until > this.state.rateLimitedUntil) this.state.rateLimitedUntil = until;
  }

  itemWaiting(itemKey: string, waiting: boolean): void {
    if (waiting) this.waiting.add(itemKey);
    else this.waiting.delete(itemKey);
  }

  async pause(): Promise<void> {
    this.state.paused = true;
    await this.forward(pauseSignal);
  }

  async resume(): Promise<void> {
    this.state.paused = false;
    this.state.pauseReason = null;
    await this.forward(resumeSignal);
  }

  async credentialRejected(message: string): Promise<void> {
    this.state.paused = true;
    this.state.pauseReason = message;
    await this.forward(pauseSignal);
  }

  async stop(): Promise<void> {
    this.state.stopRequested = true;
    await this.forward(stopSignal);
  }

  // A child may finish between the signal and its delivery; that is not an error of the pipeline.
  private async forward(signal: SignalDefinition<[], string>) {
    return Promise.all([...this.running.values()].map((h) => h.signal(signal).catch(() => undefined)));
  }

  logStart(): void {
    if (!this.input.state)
      log.info(`Auto-commit: ${this.s.autoCommit ? 1 : 0} | Auto-push: ${this.s.autoPush ? 1 : 0}`, {
        parallelItems: this.parallel,
        worktrees: this.useWorktrees,
      });
  }

  busy(): number {
    return this.running.size - [...this.waiting].filter((k) => this.running.has(k)).length;
  }

  /** No child runs and no finished child waits to be settled (a child can finish during any await). */
  idle(): boolean {
    return this.running.size === 0 && this.finished.length === 0 && this.unsettled === 0;
  }

  private msLeft(): number {
    return this.deadlineMs - Date.now();
  }

  stopping(): boolean {
    return this.state.stopRequested || (!!this.input.maxItems && this.state.itemsFinished >= this.input.maxItems);
  }

  stopReason(): PipelineEndReason {
    return this.state.stopRequested ? (this.msLeft() <= 0 ? 'deadline' : 'stopped') : 'max_items';
  }

  async end(reason: PipelineEndReason): Promise<PipelineResult> {
    await condition(allHandlersFinished);
    const counts = Object.values(this.state.items);
    log.info('pipeline finished', { reason });
    return {
      reason,
      itemsPassed: counts.filter((i) => i.state === 'passed').length,
      itemsFailed: counts.filter((i) => i.state === 'failed').length,
      tasksRun: this.state.tasksRun,
    };
  }

  hasFinished(): boolean {
    return this.finished.length > 0;
  }

  /**
   * Counts the next finished item and settles it: beside the loop (nothing to await) with worktrees, else in the loop
   * (the returned settle).
   */
  settleNext(): Promise<void> | null {
    const { item, result } = this.finished.shift()!;
    this.waiting.delete(item.key);
    this.ended.set(item.key, result);
    // A settle keeps the outcome, tasks run and whether the item stopped: they count at once, so `--max-items` holds
    // new starts.
    this.state.tasksRun += result.tasksRun;
    if (result.outcome !== 'stopped') this.state.itemsFinished += 1;
    // With worktrees, a finished item is settled beside the items that start after it: the loop's serial path is only
    // starting items.
    if (this.useWorktrees && patched(SETTLE_BESIDE_NEW_ITEMS)) {
      this.unsettled += 1;
      this.settling = this.settling
        .then(() => this.settle(item, result, true))
        .catch((error: unknown) => void this.settleFailures.push(error))
        .finally(() => void (this.unsettled -= 1));
      return null;
    }
    return this.settle(item, result, false);
  }

  throwIfSettleFailed(): void {
    if (this.settleFailures.length) throw this.settleFailures[0];
  }

  private async settle(item: ItemRecord, reported: ItemResult, together: boolean) {
    const result = await this.settleItem(item, reported);
    applyItemResult(item, result, new Date().toISOString());
    this.ended.delete(item.key);
    const record = () =>
      backlogSteps.recordItemOutcome({
        stateDir: this.s.stateDir,
        record: {
          key: item.key,
          outcome: result.outcome,
          position: result.position,
          at: new Date().toISOString(),
          reason: result.reason,
        },
      });
    if (together) await Promise.all([record(), this.updateCoverageIfPassed(item, result)]);
    else {
      await this.updateCoverageIfPassed(item, result);
      await record();
    }
  }

  /**
   * After an item's workflow ends: merge its worktree branch when it passed (a conflict fails the item and keeps the
   * branch).
   */
  private async settleItem(item: ItemRecord, result: ItemResult): Promise<ItemResult> {
    const s = this.s;
    if (!this.useWorktrees || result.outcome === 'stopped') return result;
    const merge = await this.steps.project.closeWorktree({
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
  private async updateCoverageIfPassed(item: ItemRecord, result: ItemResult): Promise<void> {
    if (result.outcome !== 'passed') return;
    const s = this.s;
    await this.steps.project.updateCoverage({
      projectRoot: s.projectRoot,
      stateDir: s.stateDir,
      coveragePath: s.specCoverage,
      itemKey: item.key,
      texts: [item.text, result.specOutput ?? ''],
      testsPassed: result.testsPassed ?? false,
      commit: s.autoCommit || this.useWorktrees,
    });
  }

  deadlinePassed(): boolean {
    return this.msLeft() <= 0 && !this.state.stopRequested;
  }

  stopForDeadline(): Promise<unknown> {
    log.info('time limit reached, stopping');
    this.state.stopRequested = true;
    return this.forward(stopSignal);
  }

  historyFull(): boolean {
    return workflowInfo().historyLength > this.s.continueAsNewEvents || workflowInfo().continueAsNewSuggested;
  }

  /**
   * Running children cannot move to the next run, so a full history first drains: no new item starts
   * until the running ones have ended, then the pipeline continues as new. Without the drain, parallel
   * items keep a slot busy at every moment and the history grows until the backlog runs dry.
   * Items waiting for a decision do not hold the drain up: it could last for hours.
   */
  draining(historyFull: boolean): boolean {
    return historyFull && (this.busy() > 0 || this.unsettled > 0) && patched(DRAIN_BEFORE_CONTINUE_AS_NEW);
  }

  nextRunInput(): PipelineInput {
    return { ...this.input, state: compactForContinueAsNew(this.state) };
  }

  async maintainIfDue(): Promise<void> {
    const s = this.s;
    const last = this.state.lastMaintenanceAt ? Date.parse(this.state.lastMaintenanceAt) : 0;
    if (Date.now() - last < MAINTENANCE_EVERY_MS) return;
    this.state.lastMaintenanceAt = new Date().toISOString();
    // Housekeeping never holds up or fails the pipeline: a failed round is logged and tried again tomorrow.
    await this.steps.project
      .maintain({
        stateDir: s.stateDir,
        metricsFile: s.metricsFile,
        logKeepDays: s.logKeepDays ?? 14,
        metricsKeepDays: s.metricsKeepDays ?? 30,
      })
      .catch((err: unknown) =>
        log.warn('maintenance failed', { error: err instanceof Error ? err.message : String(err) }),
      );
  }

  rateLimitedMs(): number {
    return this.state.rateLimitedUntil ? Date.parse(this.state.rateLimitedUntil) - Date.now() : 0;
  }

  mayStart(limitedMs: number): boolean {
    return !this.state.paused && limitedMs <= 0 && this.busy() < this.parallel;
  }

  /** Only a start reuses a read: with no pending item known, the backlog is always read before idling or ending. */
  mayReuseBacklogRead(): boolean {
    return (
      Date.now() - this.lastBacklogReadAt < BACKLOG_REUSE_MS &&
      nextPendingItem(this.state) !== null &&
      patched(REUSE_RECENT_BACKLOG_READ)
    );
  }

  readBacklog(): Promise<ReadBacklogResult> {
    const s = this.s;
    return backlogSteps.readBacklog({
      projectRoot: s.projectRoot,
      stateDir: s.stateDir,
      productBacklog: s.productBacklog,
      metaBacklog: s.metaBacklog,
      metaRatio: s.metaRatio,
    });
  }

  backlogRead(backlog: ReadBacklogResult): void {
    mergeBacklog(this.state, backlog);
    this.lastBacklogReadAt = Date.now();
  }

  nextPending(): ItemRecord | null {
    return nextPendingItem(this.state);
  }

  freeSlots(): number {
    return this.parallel - this.busy();
  }

  startsTogether(free: number): boolean {
    return free > 1 && patched(START_FREE_SLOTS_TOGETHER);
  }

  /**
   * Slots free up in bursts: every free slot takes its item in this one pass (one backlog read, the child starts sent
   * in one workflow task) instead of one workflow task round trip per start.
   */
  startTogether(free: number): Promise<void[]> {
    return Promise.all(
      pendingItems(this.state, free).map(async (item) => this.startItem(item, await this.placeItem(item))),
    );
  }

  /**
   * Where an item of a pass that starts several runs: in its own worktree, which the item prepares itself, or in the
   * project root.
   */
  private async placeItem(item: ItemRecord): Promise<ItemPlace> {
    const s = this.s;
    const ownWorktree = this.useWorktrees && patched(WORKTREE_IN_ITEM);
    if (ownWorktree || !this.useWorktrees)
      return ownWorktree ? { ownWorktree } : { ownWorktree, workDir: s.projectRoot };
    // A run from before items prepared their own worktrees (the patch is known absent only while it replays).
    const prepared = await this.prepareWorktree(item);
    return { ownWorktree, workDir: prepared.path };
  }

  /** The place of the one item a pass starts, unless it is a worktree the loop prepares (`null`). */
  placeWithoutPreparing(): ItemPlace | null {
    const ownWorktree = this.useWorktrees && patched(WORKTREE_IN_ITEM);
    if (ownWorktree) return { ownWorktree };
    return this.useWorktrees ? null : { ownWorktree, workDir: this.s.projectRoot };
  }

  /** A worktree prepared by the loop: runs recorded before items prepared their own. */
  prepareWorktree(item: ItemRecord) {
    const s = this.s;
    return this.steps.project.prepareWorktree({
      projectRoot: s.projectRoot,
      stateDir: s.stateDir,
      itemKey: item.key,
      baseBranch: s.baseBranch!,
    });
  }

  async startItem(item: ItemRecord, where: ItemPlace): Promise<void> {
    const input = this.input;
    const handle = await startChild(itemWorkflow, {
      workflowId: itemWorkflowId(input.projectId, item.key),
      args: [
        {
          projectId: input.projectId,
          itemKey: item.key,
          itemText: item.text,
          ...(item.excerptOf ? { itemTextExcerptOf: item.excerptOf } : {}),
          settings: input.settings,
          ...where,
          resume: item.resume,
          paused: this.state.paused,
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
    this.running.set(item.key, handle);
    this.watch(item, handle);
  }

  private watch(item: ItemRecord, handle: ChildWorkflowHandle<typeof itemWorkflow>): void {
    handle.result().then(
      (result) => {
        this.running.delete(item.key);
        this.finished.push({ item, result });
      },
      (err: unknown) => {
        this.running.delete(item.key);
        const reason = err instanceof Error ? err.message : String(err);
        this.finished.push({
          item,
          result: { outcome: 'failed', iteration: item.iteration, tasksRun: 0, position: null, reason },
        });
      },
    );
  }

  /**
   * How long to wait for a finished item, a new signal, the deadline, or (when idle) the next backlog poll.
   */
  wakeAfterMs(limitedMs: number): number {
    const poll = limitedMs > 0 ? limitedMs : this.s.backlogPollSeconds * 1000;
    return Math.max(1, Math.min(this.msLeft(), this.busy() < this.parallel ? poll : Infinity));
  }

  /** Waits (at most `wakeMs`, when finite) for anything that can change what the loop does next. */
  waitForChange(wakeMs: number): Promise<unknown> {
    const pausedAtWait = this.state.paused;
    const stopAtWait = this.state.stopRequested;
    const busyAtWait = this.busy();
    const limitAtWait = this.state.rateLimitedUntil;
    // Settles wake the loop only when the last one ends (idle may now hold) or one failed, not once per item.
    const settledAtWait = this.unsettled === 0;
    const settledAll = () => (this.unsettled === 0 && !settledAtWait) || this.settleFailures.length > 0;
    const woken = () =>
      this.finished.length > 0 ||
      this.state.stopRequested !== stopAtWait ||
      this.state.paused !== pausedAtWait ||
      this.busy() !== busyAtWait ||
      this.state.rateLimitedUntil !== limitAtWait ||
      settledAll();
    return Number.isFinite(wakeMs) ? condition(woken, wakeMs) : condition(woken);
  }
}
