import type { Client, WorkflowHandle } from '@temporalio/client';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** Where a workflow's time went, from its event history's timestamps. */
export interface HistoryProfile {
  runs: number;
  /** First to last event, summed over the runs. */
  spanMs: number;
  /** Time covered by at least one of the workflow's own activities or workflow tasks, summed over the runs. */
  busyMs: number;
  /** Scheduled → completed of each activity type (the workflow waits on them one at a time or not, see busyMs). */
  activities: Map<string, { count: number; totalMs: number }>;
  /** Scheduled → completed of the workflow tasks. */
  workflowTasks: { count: number; totalMs: number };
  /**
   * Each activity's and workflow task's scheduled → completed, named by activity type (`WORKFLOW_TASK` for a workflow
   * task).
   */
  intervals: { name: string; from: number; to: number }[];
}

export const WORKFLOW_TASK = 'WORKFLOW_TASK';

const timeOf = (e: HistoryEvent) =>
  e.eventTime ? Number(e.eventTime.seconds ?? 0) * 1000 + (e.eventTime.nanos ?? 0) / 1e6 : NaN;

function addRun(profile: HistoryProfile, events: HistoryEvent[]): void {
  if (events.length === 0) return;
  const byId = new Map<number, HistoryEvent>();
  for (const e of events) byId.set(Number(e.eventId), e);
  profile.runs += 1;
  profile.spanMs += timeOf(events[events.length - 1]) - timeOf(events[0]);
  const intervals: [number, number][] = [];
  for (const e of events) {
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
    if (done) {
      const scheduled = byId.get(Number(done.scheduledEventId));
      const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      const entry = profile.activities.get(name) ?? { count: 0, totalMs: 0 };
      entry.count += 1;
      entry.totalMs += timeOf(e) - (scheduled ? timeOf(scheduled) : timeOf(e));
      profile.activities.set(name, entry);
      if (scheduled) {
        intervals.push([timeOf(scheduled), timeOf(e)]);
        profile.intervals.push({ name, from: timeOf(scheduled), to: timeOf(e) });
      }
    }
    const wft = e.workflowTaskCompletedEventAttributes;
    if (wft) {
      const scheduled = byId.get(Number(wft.scheduledEventId));
      profile.workflowTasks.count += 1;
      profile.workflowTasks.totalMs += timeOf(e) - (scheduled ? timeOf(scheduled) : timeOf(e));
      if (scheduled) {
        intervals.push([timeOf(scheduled), timeOf(e)]);
        profile.intervals.push({ name: WORKFLOW_TASK, from: timeOf(scheduled), to: timeOf(e) });
      }
    }
  }
  profile.busyMs += unionLength(intervals);
}

/** Total length covered by a set of intervals (overlaps counted once). */
function unionLength(intervals: [number, number][]): number {
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of intervals.sort((x, y) => x[0] - y[0])) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

/** Profiles the given runs (workflow id + run id) from their histories. */
export async function historyProfile(
  client: Client,
  runs: { workflowId: string; runId: string }[],
): Promise<HistoryProfile> {
  const profile: HistoryProfile = {
    runs: 0,
    spanMs: 0,
    busyMs: 0,
    activities: new Map(),
    workflowTasks: { count: 0, totalMs: 0 },
    intervals: [],
  };
  for (const r of runs) {
    const history = await client.workflow.getHandle(r.workflowId, r.runId).fetchHistory();
    addRun(profile, history.events ?? []);
  }
  return profile;
}

/**
 * For a workflow that awaits its steps one after another (the pipeline's
 * loop): the share of its lifetime spent in its own activities and workflow
 * tasks. Near 1, the loop itself is the bottleneck: the items wait for it.
 */
export function serialShare(p: HistoryProfile): number {
  return p.spanMs > 0 ? p.busyMs / p.spanMs : NaN;
}

/**
 * The share of the workflow's lifetime covered by the named steps (activity types, or WORKFLOW_TASK), overlaps counted
 * once.
 */
export function shareOf(p: HistoryProfile, names: string[]): number {
  const picked = p.intervals.filter((i) => names.includes(i.name)).map((i): [number, number] => [i.from, i.to]);
  return p.spanMs > 0 ? unionLength(picked) / p.spanMs : NaN;
}

/** "prepareWorktree 100 × 264 ms, …" sorted by total time. */
export function describeActivities(p: HistoryProfile, top = 6): string {
  return [...p.activities.entries()]
    .sort((a, b) => b[1].totalMs - a[1].totalMs)
    .slice(0, top)
    .map(([name, a]) => `\`${name}\` ${a.count} × ${Math.round(a.totalMs / a.count)} ms`)
    .join(', ');
}
