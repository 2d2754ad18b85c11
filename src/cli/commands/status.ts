import type { Command } from 'commander';
import { getPipelineStatus, statusDeps, type PipelineStatusResponse } from '../../status/pipeline-status';
import { MetricsStore } from '../../metrics/store';
import { attentionLine } from '../../monitor/attention';
import { TaskIndex } from '../../tasks/store';
import { cliContext, connectedClient, print, printJson, type GlobalOptions } from '../context';

const MARK: Record<string, string> = { passed: '✓', failed: '✗', running: '▶', pending: '·' };

export function formatSeconds(s: number | null): string {
  if (s === null) return '—';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

export function formatStatus(r: PipelineStatusResponse): string[] {
  const p = r.pipeline;
  const c = p.items_by_state;
  const lines = [
    `Pipeline ${p.workflow_id}: ${p.state}${p.worker === 'unavailable' ? ' (no worker answering)' : ''}`,
    `  items: ${c.passed ?? 0} passed, ${c.failed ?? 0} failed, ${c.running ?? 0} running, ${c.pending ?? 0} pending | tasks run: ${p.tasks_run} | continue-as-new: ${p.continue_as_new_count}`,
  ];
  if (p.rate_limited_until) lines.push(`  PAUSED: an agent hit its usage limit; nothing new starts until ${p.rate_limited_until}`);
  for (const t of r.running) lines.push(`  RUNNING: ${t.id} (${t.task_type}) | model: ${t.model} | duration: ${formatSeconds(t.running_seconds)} | ${t.direction.slice(0, 60)}`);
  lines.push(`  PENDING: ${r.pending.length} tasks`);
  for (const t of r.pending) lines.push(`    • ${t.id} (${t.task_type}) | wait: ${formatSeconds(t.wait_seconds)} | ${t.direction.slice(0, 50)}...`);
  if (p.items.length) {
    lines.push('Items:');
    for (const i of p.items) lines.push(`  ${MARK[i.state] ?? ' '} ${i.state.padEnd(7)} ${i.text.slice(0, 70)}${i.state === 'running' ? `  (${i.phase ?? 'spec'}, iteration ${i.iteration})` : ''}`);
  }
  const open = r.issues.filter((i) => !i.resolved_at);
  if (open.length) {
    lines.push('Issues:');
    for (const i of open) lines.push(`  ! ${i.condition} (${i.severity}): ${i.message}${i.heal_task_id ? ` [heal ${i.heal_task_id}]` : ''}`);
  }
  lines.push(`RECENT COMPLETED: ${r.recent_completed.length}`);
  for (const t of r.recent_completed) lines.push(`  ${t.id} ${t.task_type.padEnd(6)} ${formatSeconds(t.duration_seconds).padStart(6)}  ${t.direction.slice(0, 60)}`);
  return lines;
}

export function registerStatus(program: Command, globals: () => GlobalOptions): void {
  program
    .command('status')
    .description('pipeline status')
    .option('--attention', 'first print the raised attention flags (Attention: stuck, repeated_failures)')
    .action(async (opts: { attention?: boolean }) => {
      const ctx = cliContext(globals());
      const t = await connectedClient(ctx);
      try {
        const status = await getPipelineStatus(statusDeps(ctx.config, ctx.paths, t, new TaskIndex(ctx.paths.stateDir), new MetricsStore(ctx.paths.metricsFile)));
        if (ctx.json) return printJson(status);
        if (opts.attention) {
          print(attentionLine(status.attention));
          print();
        }
        for (const line of formatStatus(status)) print(line);
      } finally {
        await t.close();
      }
    });
}
