import type { AttentionReport, Condition, MonitorCarriedState, MonitorIssue } from '../shared/contracts/monitor';
import { CONDITIONS } from '../shared/contracts/monitor';
import { SEVERITY, SUGGESTED_ACTION } from './heal';

/** Issues kept in state: every open one, and the latest resolved ones. */
const KEEP_RESOLVED = 50;

export function initialMonitorState(): MonitorCarriedState {
  return { issues: [], lastHealAt: {}, lastCheck: null, continueAsNewCount: 0 };
}

export function openIssue(state: MonitorCarriedState, condition: Condition): MonitorIssue | undefined {
  return state.issues.find((i) => i.condition === condition && i.resolved_at === null);
}

export interface IssueChanges {
  raised: MonitorIssue[];
  resolved: MonitorIssue[];
}

/** Opens an issue for each newly raised condition and resolves the open ones whose condition cleared. */
export function applyReport(state: MonitorCarriedState, report: AttentionReport, newId: () => string): IssueChanges {
  const changes: IssueChanges = { raised: [], resolved: [] };
  for (const condition of CONDITIONS) {
    if (report.undetermined?.includes(condition)) continue;
    const open = openIssue(state, condition);
    if (report.attention[condition] && !open) {
      const issue: MonitorIssue = {
        id: newId(),
        condition,
        severity: SEVERITY[condition],
        message: report.details[condition] ?? condition,
        suggested_action: SUGGESTED_ACTION[condition],
        created_at: report.checkedAt,
        resolved_at: null,
        heal_task_id: null,
        actions: [],
      };
      state.issues.push(issue);
      changes.raised.push(issue);
    } else if (!report.attention[condition] && open) {
      open.resolved_at = report.checkedAt;
      open.actions.push({
        at: report.checkedAt,
        action: 'resolved',
        outcome: open.heal_task_id ? `condition cleared after heal task ${open.heal_task_id}` : 'condition cleared',
      });
      changes.resolved.push(open);
    }
  }
  const resolved = state.issues.filter((i) => i.resolved_at !== null);
  if (resolved.length > KEEP_RESOLVED) {
    const drop = new Set(resolved.slice(0, resolved.length - KEEP_RESOLVED));
    state.issues = state.issues.filter((i) => !drop.has(i));
  }
  state.lastCheck = report.checkedAt;
  return changes;
}

/** At most one open heal task per condition, and not again before the cooldown has passed. */
export function mayHeal(
  state: MonitorCarriedState,
  condition: Condition,
  healRunning: boolean,
  nowMs: number,
  cooldownMinutes: number,
): boolean {
  if (healRunning) return false;
  const last = state.lastHealAt[condition];
  return !last || nowMs - Date.parse(last) >= cooldownMinutes * 60_000;
}
