import { attentionLine } from '../monitor/attention';
import type { PipelineStatusResponse } from '../read-model/pipeline-status';

/** Clears the screen and moves the cursor home, so each frame replaces the last. */
export const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/**
 * Item texts, directions and issue messages come from backlogs and agents:
 * their control characters (ANSI escapes among them) must not reach a terminal.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ');
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const clip = (text: string, width: number) => {
  const safe = terminalSafe(text);
  return safe.length > width ? `${safe.slice(0, width - 1)}…` : safe;
};

/** The compact live view of `status --watch`: one screen, newest facts only. */
export function formatWatchFrame(r: PipelineStatusResponse, at: Date, width = 100): string[] {
  const p = r.pipeline;
  const c = p.items_by_state;
  const uptime = p.started_at ? formatDuration((at.getTime() - Date.parse(p.started_at)) / 1000) : '—';
  const state = p.paused ? 'paused' : p.state;
  const lines = [
    `nightshift · ${p.workflow_id} · ${state}${p.worker === 'unavailable' ? ' (no worker answering)' : ''} · up ${uptime} · continue-as-new ${p.continue_as_new_count} · ${at.toISOString().slice(11, 19)}Z`,
    `Items    ${c.running ?? 0} running · ${c.pending ?? 0} pending · ${c.passed ?? 0} passed · ${c.failed ?? 0} failed · tasks run ${p.tasks_run}`,
    attentionLine(r.attention),
  ];
  if (p.pause_reason) lines.push(`Paused: ${p.pause_reason}`);
  if (p.rate_limited_until) lines.push(`Paused for a usage limit until ${p.rate_limited_until}`);
  lines.push(r.running.length ? 'Running' : 'Running  —');
  for (const t of r.running) {
    lines.push(
      `  ${formatDuration(t.running_seconds).padStart(7)}  ${t.task_type.padEnd(6)} ${t.id}  ${clip(t.direction, Math.max(20, width - 40))}`,
    );
  }
  const waiting = r.pending.length;
  if (waiting) lines.push(`Pending  ${waiting} task${waiting === 1 ? '' : 's'}`);
  const open = r.issues.filter((i) => !i.resolved_at);
  for (const i of open.slice(0, 5))
    lines.push(`  ! ${i.condition}: ${clip(i.message, width - 8 - i.condition.length)}`);
  const last = r.recent_completed[0];
  if (last) lines.push(`Last     ${last.task_type} ${last.id} ${formatDuration(last.duration_seconds)}`);
  lines.push('', 'Ctrl-C to quit');
  return lines;
}
