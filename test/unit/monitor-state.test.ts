import { applyReport, initialMonitorState, mayHeal, openIssue } from '../../src/workflows/monitor-state';
import type { AttentionReport, Condition } from '../../src/shared/contracts/monitor';
import { CONDITIONS } from '../../src/shared/contracts/monitor';

function report(raised: Condition[], at = '2026-11-22T12:00:00.000Z', undetermined?: Condition[]): AttentionReport {
  const flags = Object.fromEntries(CONDITIONS.map((c) => [c, raised.includes(c)])) as Record<Condition, boolean>;
  return {
    attention: { ...flags, flags: CONDITIONS.filter((c) => raised.includes(c)) },
    details: Object.fromEntries(raised.map((c) => [c, `${c} detail`])),
    failingPhase: null,
    undetermined,
    pipelineRunning: true,
    checkedAt: at,
  };
}

describe('monitor issue bookkeeping', () => {
  let n = 0;
  const id = () => `id${++n}`;

  test('when a condition is raised on many checks, then one issue stays open; when it clears, it is resolved with the heal outcome', () => {
    const state = initialMonitorState();
    expect(applyReport(state, report(['repeated_failures']), id).raised).toHaveLength(1);
    for (let i = 0; i < 5; i++) expect(applyReport(state, report(['repeated_failures']), id).raised).toHaveLength(0);
    expect(state.issues).toHaveLength(1);
    const issue = openIssue(state, 'repeated_failures')!;
    expect(issue).toMatchObject({
      condition: 'repeated_failures',
      severity: 'high',
      message: 'repeated_failures detail',
      resolved_at: null,
      heal_task_id: null,
    });
    issue.heal_task_id = 'task_00000000000000aa';
    const cleared = applyReport(state, report([], '2026-11-22T12:05:00.000Z'), id);
    expect(cleared.resolved).toEqual([issue]);
    expect(issue.resolved_at).toBe('2026-11-22T12:05:00.000Z');
    expect(issue.actions.at(-1)?.outcome).toBe('condition cleared after heal task task_00000000000000aa');
    expect(applyReport(state, report(['repeated_failures']), id).raised).toHaveLength(1); // a new occurrence is a new issue
    expect(state.lastCheck).toBe('2026-11-22T12:00:00.000Z');
  });

  test('when a check cannot judge a condition, then its open issue stays open and none is raised; the next judged check decides', () => {
    const state = initialMonitorState();
    applyReport(state, report(['stuck']), id);
    const issue = openIssue(state, 'stuck')!;
    const unsure = applyReport(state, report([], '2026-11-22T12:01:00.000Z', ['stuck']), id);
    expect(unsure).toEqual({ raised: [], resolved: [] });
    expect(issue.resolved_at).toBeNull();
    expect(applyReport(state, report([], '2026-11-22T12:02:00.000Z'), id).resolved).toEqual([issue]);
    // nothing open and undetermined: nothing raised
    expect(applyReport(state, report([], '2026-11-22T12:03:00.000Z', ['stuck']), id).raised).toHaveLength(0);
    expect(openIssue(state, 'stuck')).toBeUndefined();
  });

  test('when a heal runs or the cooldown has not passed, then no other heal task may start for that condition', () => {
    const state = initialMonitorState();
    const now = Date.parse('2026-11-22T12:00:00Z');
    expect(mayHeal(state, 'stuck', false, now, 30)).toBe(true);
    expect(mayHeal(state, 'stuck', true, now, 30)).toBe(false);
    state.lastHealAt.stuck = new Date(now - 29 * 60_000).toISOString();
    expect(mayHeal(state, 'stuck', false, now, 30)).toBe(false);
    expect(mayHeal(state, 'stuck', false, now + 60_000, 30)).toBe(true);
    expect(mayHeal(state, 'low_success_rate', false, now, 30)).toBe(true);
  });
});
