import { formatDuration, formatWatchFrame, terminalSafe } from '../../src/cli/watch-view';
import type { PipelineStatusResponse } from '../../src/read-model/pipeline-status';

const at = new Date('2026-11-22T10:00:00Z');

function status(
  over: Partial<PipelineStatusResponse['pipeline']> = {},
  rest: Partial<PipelineStatusResponse> = {},
): PipelineStatusResponse {
  return {
    running: [],
    pending: [],
    running_by_phase: { spec: 0, impl: 0, test: 0, review: 0 },
    recent_completed: [],
    latest_request: null,
    latest_response: null,
    attention: {
      stuck: false,
      repeated_failures: false,
      low_success_rate: false,
      output_empty: false,
      executor_fail: false,
      flags: [],
    },
    issues: [],
    ...rest,
    pipeline: {
      workflow_id: 'nightshift-demo',
      state: 'running',
      paused: false,
      items_by_state: { pending: 3, running: 1, passed: 5, failed: 1 },
      items: [],
      started_at: '2026-11-22T07:30:00Z',
      run_started_at: null,
      deadline: null,
      continue_as_new_count: 4,
      tasks_run: 42,
      history_length: 100,
      worker: 'ok',
      rate_limited_until: null,
      ...over,
    },
  };
}

describe('status --watch view', () => {
  test('when a pipeline runs, then the frame shows state, uptime, continue-as-new, items by state, running tasks with elapsed time and flags', () => {
    const frame = formatWatchFrame(
      status(
        {},
        {
          running: [
            {
              id: 'task_00000000000000aa',
              task_type: 'impl',
              model: 'claude/sonnet',
              direction: 'Implement the login page',
              created_at: '',
              updated_at: null,
              wait_seconds: null,
              running_seconds: 125,
              duration_seconds: null,
            },
          ],
          attention: {
            stuck: true,
            repeated_failures: false,
            low_success_rate: true,
            output_empty: false,
            executor_fail: false,
            flags: ['stuck', 'low_success_rate'],
          },
        },
      ),
      at,
    ).join('\n');
    expect(frame).toContain('nightshift-demo · running · up 2h30m · continue-as-new 4');
    expect(frame).toContain('Items    1 running · 3 pending · 5 passed · 1 failed · tasks run 42');
    expect(frame).toMatch(/ 2m05s +impl +task_00000000000000aa +Implement the login page/);
    expect(frame).toContain('Attention: stuck, low_success_rate');
  });

  test('when paused for a usage limit or with no worker, then the frame says so', () => {
    const frame = formatWatchFrame(
      status({ paused: true, worker: 'unavailable', rate_limited_until: '2026-11-22T15:00:00Z' }),
      at,
    ).join('\n');
    expect(frame).toContain('· paused (no worker answering) ·');
    expect(frame).toContain('Paused for a usage limit until 2026-11-22T15:00:00Z');
    expect(frame).toContain('Running  —');
  });

  test('when agent or backlog text carries escape codes or bidi overrides, then none reach the terminal', () => {
    expect(terminalSafe('red \u001b[31mtext\u001b[0m \u202eevil\r\n')).toBe('red  [31mtext [0m  evil  ');
    const frame = formatWatchFrame(
      status(
        {},
        {
          issues: [
            {
              id: 'i1',
              condition: 'stuck',
              severity: 'high',
              message: 'boom \u001b]0;title\u0007',
              suggested_action: '',
              created_at: '',
              resolved_at: null,
              heal_task_id: null,
              actions: [],
            },
          ],
        },
      ),
      at,
    ).join('\n');
    // eslint-disable-next-line no-control-regex -- the point: no control character reaches the terminal
    expect(frame).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(frame).toContain('! stuck: boom  ]0;title');
  });

  test('durations read as seconds, minutes or hours', () => {
    expect([formatDuration(null), formatDuration(9.7), formatDuration(61), formatDuration(7322)]).toEqual([
      '—',
      '9s',
      '1m01s',
      '2h02m',
    ]);
  });
});
