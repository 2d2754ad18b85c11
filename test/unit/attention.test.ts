import { attentionLine, evaluateAttention, type AttentionSnapshot } from '../../src/monitor/attention';
import { healDirection, LOW_SUCCESS_SENTENCE, REPEATED_FAILURES_SENTENCE } from '../../src/workflows/heal';
import type { TaskRecord, TaskType } from '../../src/shared/contracts/task';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const th = { stuckMinutes: 10, repeatedFailures: 3, lowSuccessRate: 0.8, lowSuccessMinTasks: 10 };
let n = 0;

function task(
  type: TaskType,
  status: TaskRecord['status'],
  minutesAgo: number,
  over: Partial<TaskRecord> = {},
): TaskRecord {
  const t = new Date(NOW - minutesAgo * 60_000).toISOString();
  return {
    id: `task_${(++n).toString(16).padStart(16, '0')}`,
    task_type: type,
    status,
    direction: 'd',
    model: 'm',
    item_key: 'k',
    iteration: 1,
    created_at: t,
    started_at: t,
    finished_at: status === 'running' ? null : t,
    output: 'some output here',
    exit_code: 0,
    decision_prompt: null,
    decision: null,
    output_chars: 16,
    ...over,
  };
}

function snap(over: Partial<AttentionSnapshot> = {}): AttentionSnapshot {
  return {
    now: NOW,
    tasks: [],
    pendingWork: false,
    pipelineRunning: true,
    lastLiveness: null,
    livenessComplete: true,
    successRate: { total: 0, rate: 0 },
    ...over,
  };
}

describe('attention rules', () => {
  test('when the last three finished tasks of one phase failed, then repeated_failures is raised for that phase', () => {
    const r = evaluateAttention(
      snap({
        tasks: [
          task('spec', 'completed', 9),
          task('impl', 'failed', 3),
          task('impl', 'failed', 2),
          task('impl', 'failed', 1),
        ],
      }),
      th,
    );
    expect(r.attention.repeated_failures).toBe(true);
    expect(r.failingPhase).toBe('impl');
    expect(r.attention.flags).toEqual(['repeated_failures']);
  });

  test('when only two failed, or the failures are spread over phases, or the latest of the phase completed, then it is not raised', () => {
    expect(
      evaluateAttention(snap({ tasks: [task('impl', 'failed', 2), task('impl', 'failed', 1)] }), th).attention
        .repeated_failures,
    ).toBe(false);
    expect(
      evaluateAttention(
        snap({ tasks: [task('spec', 'failed', 3), task('impl', 'failed', 2), task('test', 'failed', 1)] }),
        th,
      ).attention.repeated_failures,
    ).toBe(false);
    expect(
      evaluateAttention(
        snap({
          tasks: [
            task('impl', 'failed', 4),
            task('impl', 'failed', 3),
            task('impl', 'failed', 2),
            task('impl', 'completed', 1),
          ],
        }),
        th,
      ).attention.repeated_failures,
    ).toBe(false);
    // heal tasks are not a phase
    expect(
      evaluateAttention(
        snap({ tasks: [task('heal', 'failed', 3), task('heal', 'failed', 2), task('heal', 'failed', 1)] }),
        th,
      ).attention.repeated_failures,
    ).toBe(false);
  });

  test('when work is pending and nothing started, finished or heartbeated for longer than the threshold, then stuck', () => {
    const tasks = [task('spec', 'completed', 11)];
    expect(evaluateAttention(snap({ tasks, pendingWork: true }), th).attention.stuck).toBe(true);
    expect(evaluateAttention(snap({ tasks, pendingWork: false }), th).attention.stuck).toBe(false); // nothing to do is not stuck
    expect(
      evaluateAttention(snap({ tasks: [task('spec', 'completed', 5)], pendingWork: true }), th).attention.stuck,
    ).toBe(false);
  });

  test('when a long task keeps heartbeating, then it is not stuck even though no task started or finished for a long time', () => {
    const running = task('impl', 'running', 45);
    expect(
      evaluateAttention(snap({ tasks: [running], pendingWork: true, lastLiveness: NOW - 30_000 }), th).attention.stuck,
    ).toBe(false);
    expect(
      evaluateAttention(snap({ tasks: [running], pendingWork: true, lastLiveness: NOW - 11 * 60_000 }), th).attention
        .stuck,
    ).toBe(true);
  });

  test('when Temporal did not answer for every running workflow, then a quiet spell leaves stuck undetermined, not raised', () => {
    const running = task('impl', 'running', 45);
    const r = evaluateAttention(
      snap({ tasks: [running], pendingWork: true, lastLiveness: NOW - 11 * 60_000, livenessComplete: false }),
      th,
    );
    expect(r.attention.stuck).toBe(false);
    expect(r.undetermined).toEqual(['stuck']);
    expect(r.details.stuck).toBeUndefined();
    // within the threshold there is nothing to judge
    expect(
      evaluateAttention(
        snap({ tasks: [running], pendingWork: true, lastLiveness: NOW - 30_000, livenessComplete: false }),
        th,
      ).undetermined,
    ).toEqual([]);
  });

  test('when the 7-day rate is below the threshold with enough tasks, then low_success_rate', () => {
    expect(evaluateAttention(snap({ successRate: { total: 10, rate: 0.7 } }), th).attention.low_success_rate).toBe(
      true,
    );
    expect(evaluateAttention(snap({ successRate: { total: 9, rate: 0.1 } }), th).attention.low_success_rate).toBe(
      false,
    );
    expect(evaluateAttention(snap({ successRate: { total: 50, rate: 0.8 } }), th).attention.low_success_rate).toBe(
      false,
    );
  });

  test('when a recent task printed nothing, then output_empty (completed) or executor_fail (failed)', () => {
    const silentOk = task('impl', 'completed', 1, { output_chars: 0 });
    const crashed = task('impl', 'failed', 2, {
      output_chars: 0,
      output: '[Pipeline] Agent could not be started: x: command not found',
    });
    const r = evaluateAttention(snap({ tasks: [crashed, silentOk] }), th);
    expect(r.attention).toMatchObject({ output_empty: true, executor_fail: true });
    // only the 5 most recent count
    const old = [
      task('impl', 'failed', 60, { output_chars: 0 }),
      ...[1, 2, 3, 4, 5].map((m) => task('test', 'completed', m)),
    ];
    expect(evaluateAttention(snap({ tasks: old }), th).attention.executor_fail).toBe(false);
  });

  test('when several are raised, then flags list them in contract order and the status line joins them', () => {
    const tasks = [
      task('review', 'failed', 30),
      task('review', 'failed', 20),
      task('review', 'failed', 15, { output_chars: 0 }),
    ];
    const r = evaluateAttention(snap({ tasks, pendingWork: true, successRate: { total: 12, rate: 0.5 } }), th);
    expect(r.attention.flags).toEqual(['stuck', 'repeated_failures', 'low_success_rate', 'executor_fail']);
    expect(attentionLine(r.attention)).toBe('Attention: stuck, repeated_failures, low_success_rate, executor_fail');
    expect(attentionLine(evaluateAttention(snap(), th).attention)).toBe('Attention: —');
  });

  test('when auto-fix writes heal directions, then they contain the contract sentences', () => {
    expect(healDirection('repeated_failures', 'x', 'impl')).toContain(
      'Suggest meta-pipeline item to specs/007-meta-pipeline-backlog.md if root cause identified.',
    );
    expect(REPEATED_FAILURES_SENTENCE).toBe(
      'Suggest meta-pipeline item to specs/007-meta-pipeline-backlog.md if root cause identified.',
    );
    expect(healDirection('low_success_rate', 'x', null)).toContain(
      'Analyze 7d success rate; suggest prompt/model/meta improvements.',
    );
    expect(LOW_SUCCESS_SENTENCE).toBe('Analyze 7d success rate; suggest prompt/model/meta improvements.');
    expect(healDirection('stuck', 'x', null)).toMatch(/stuck/);
    expect(healDirection('output_empty', 'x', null)).toBeNull();
  });

  test('when a step keeps failing, then blocked_step is raised with its activity type and error, and the attention keys keep the contract order with the new key after flags', () => {
    const blockedSteps = [
      {
        workflowId: 'nightshift-p-item-a',
        activityType: 'finishTask',
        attempt: 4,
        error: 'ENOSPC: no space left on device, write',
      },
    ];
    const r = evaluateAttention(snap({ blockedSteps }), th);
    expect(r.attention.blocked_step).toBe(true);
    expect(r.attention.flags).toEqual(['blocked_step']);
    expect(r.details.blocked_step).toContain(
      'finishTask in nightshift-p-item-a keeps failing (attempt 4): ENOSPC: no space left on device',
    );
    expect(Object.keys(r.attention)).toEqual([
      'stuck',
      'repeated_failures',
      'low_success_rate',
      'output_empty',
      'executor_fail',
      'flags',
      'blocked_step',
    ]);
    const both = evaluateAttention(snap({ blockedSteps, pendingWork: true }), th);
    expect(both.attention.flags).toEqual(['stuck', 'blocked_step']);
    expect(evaluateAttention(snap({ blockedSteps: [] }), th).attention.blocked_step).toBe(false);
    expect(evaluateAttention(snap(), th).attention.blocked_step).toBe(false);
    expect(healDirection('blocked_step', 'x', null)).toBeNull(); // recorded and shown, never auto-fixed
    const lost = evaluateAttention(
      snap({
        blockedSteps: [
          { workflowId: 'w', activityType: 'runAgentTask', attempt: 3, error: 'activity Heartbeat timeout' },
        ],
      }),
      th,
    );
    expect(lost.details.blocked_step).toContain(
      'runAgentTask (its worker keeps being lost) in w keeps failing (attempt 3): activity Heartbeat timeout',
    );
  });
});
