import type {
  BacklogItem,
  ItemRecord,
  ItemResult,
  ItemState,
  PipelineCarriedState,
  PipelineItemView,
  PipelineStatusView,
  ReadBacklogResult,
} from '../shared/contracts/pipeline';

/** Pure state transitions of the pipeline workflow, kept apart so they are easy to test and read. */

export function initialState(now: string, hours: number | undefined, paused = false): PipelineCarriedState {
  const deadline = hours && hours > 0 ? new Date(Date.parse(now) + hours * 3_600_000).toISOString() : null;
  return {
    items: {},
    order: [],
    paused,
    stopRequested: false,
    startedAt: now,
    deadline,
    continueAsNewCount: 0,
    itemsFinished: 0,
    tasksRun: 0,
  };
}

function recordFor(item: BacklogItem, backlog: ReadBacklogResult): ItemRecord {
  const previous = backlog.outcomes[item.key];
  const state: ItemState =
    previous?.outcome === 'passed' ? 'passed' : previous?.outcome === 'failed' ? 'failed' : 'pending';
  return {
    key: item.key,
    text: item.text,
    ...(item.excerptOf ? { excerptOf: item.excerptOf } : {}),
    source: item.source,
    state,
    iteration: previous?.position?.iteration ?? 1,
    phase: previous?.position?.phase ?? null,
    startedAt: null,
    finishedAt: previous && state !== 'pending' ? previous.at : null,
    resume: previous?.outcome === 'stopped' ? previous.position : null,
  };
}

/** New items join as pending (or as they ended in an earlier run); known items keep their state. */
export function mergeBacklog(state: PipelineCarriedState, backlog: ReadBacklogResult): void {
  for (const item of backlog.items) {
    const known = state.items[item.key];
    if (!known) state.items[item.key] = recordFor(item, backlog);
    else {
      known.text = item.text;
      if (item.excerptOf) known.excerptOf = item.excerptOf;
      else delete known.excerptOf;
    }
  }
  state.order = backlog.items.map((i) => i.key);
  state.unlisted = backlog.unlisted ?? null;
}

/** The first item in run order that is still pending and not running. */
export function nextPendingItem(state: PipelineCarriedState): ItemRecord | null {
  for (const key of state.order) {
    const item = state.items[key];
    if (item && item.state === 'pending') return item;
  }
  return null;
}

/** Up to `n` items in run order that are still pending and not running: the items one loop pass starts together. */
export function pendingItems(state: PipelineCarriedState, n: number): ItemRecord[] {
  const out: ItemRecord[] = [];
  for (const key of state.order) {
    if (out.length >= n) break;
    const item = state.items[key];
    if (item && item.state === 'pending') out.push(item);
  }
  return out;
}

export function applyItemResult(item: ItemRecord, result: ItemResult, now: string): void {
  item.iteration = result.iteration;
  item.phase = result.position?.phase ?? item.phase;
  if (result.outcome === 'stopped') {
    item.state = 'pending';
    item.resume = result.position;
    return;
  }
  item.state = result.outcome;
  item.finishedAt = now;
  item.resume = null;
}

/** Before continue-as-new: finished items live on in the outcome store, not in the carried state. */
export function compactForContinueAsNew(state: PipelineCarriedState): PipelineCarriedState {
  const items: Record<string, ItemRecord> = {};
  for (const [key, item] of Object.entries(state.items))
    if (item.state === 'pending' || item.state === 'running') items[key] = item;
  return { ...state, items, order: [], continueAsNewCount: state.continueAsNewCount + 1 };
}

export function countByState(state: PipelineCarriedState): Record<ItemState, number> {
  const counts: Record<ItemState, number> = { pending: 0, running: 0, passed: 0, failed: 0 };
  for (const key of state.order) {
    const item = state.items[key];
    if (item) counts[item.state]++;
  }
  // A long backlog's read lists only its first unfinished items; the rest are counted where they stand.
  if (state.unlisted) for (const s of ['pending', 'passed', 'failed'] as const) counts[s] += state.unlisted[s];
  return counts;
}

/** What the pipeline's loop knows of its children beside the carried state. */
export interface ChildrenView {
  /** Items whose workflow runs. */
  running: { has(key: string): boolean };
  /** Items whose workflow has ended and that wait to be settled (merge, coverage, outcome record): how each ended. */
  ended: ReadonlyMap<string, ItemResult>;
  /** Running items that wait for a human decision. */
  waiting: ReadonlySet<string>;
}

export function statusView(
  state: PipelineCarriedState,
  extra: { runStartedAt: string; historyLength: number; workflowIdOf: (key: string) => string; children: ChildrenView },
): PipelineStatusView {
  const { children } = extra;
  const items: PipelineItemView[] = state.order
    .map((key) => state.items[key])
    .filter((i): i is ItemRecord => !!i)
    .map((i) => {
      const ended = i.state === 'running' ? children.ended.get(i.key) : undefined;
      return {
        key: i.key,
        text: i.text,
        source: i.source,
        state: i.state,
        iteration: ended?.iteration ?? i.iteration,
        phase: ended?.position?.phase ?? i.phase,
        // Only a workflow that runs is named for a query: a query of an ended one replays its whole history on a
        // worker.
        workflowId: i.state === 'running' && children.running.has(i.key) ? extra.workflowIdOf(i.key) : null,
        waitingDecision: i.state === 'running' && children.waiting.has(i.key),
      };
    });
  const running = items.some((i) => i.state === 'running');
  return {
    state: state.stopRequested ? 'stopping' : state.paused ? 'paused' : running ? 'running' : 'idle',
    paused: state.paused,
    stopRequested: state.stopRequested,
    startedAt: state.startedAt,
    runStartedAt: extra.runStartedAt,
    deadline: state.deadline,
    continueAsNewCount: state.continueAsNewCount,
    itemsByState: countByState(state),
    items,
    tasksRun: state.tasksRun,
    historyLength: extra.historyLength,
    rateLimitedUntil:
      state.rateLimitedUntil && Date.parse(state.rateLimitedUntil) > Date.now() ? state.rateLimitedUntil : null,
    pauseReason: state.paused ? (state.pauseReason ?? null) : null,
  };
}
