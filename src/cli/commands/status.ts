import { InvalidArgumentError, type Command } from 'commander';
import { CLEAR_SCREEN, formatWatchFrame, terminalSafe } from '../watch-view';
import {
  getPipelineStatus,
  getPipelineStatusWithDetails,
  statusDeps,
  type PipelineStatusResponse,
} from '../../read-model/pipeline-status';
import { MetricsStore } from '../../metrics/store';
import { attentionLine } from '../../monitor/attention';
import { TaskIndex } from '../../tasks/store';
import { listPipelines, type PipelineListing } from '../pipelines';
import { cliContext, connectedClient, print, printJson, printJsonLine, type GlobalOptions } from '../context';

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
  if (p.pause_reason)
    lines.push(
      `  PAUSED: ${p.pause_reason}. Fix it in the worker's environment, restart the worker, then \`nightshift resume\`.`,
    );
  if (p.rate_limited_until)
    lines.push(`  PAUSED: an agent hit its usage limit; nothing new starts until ${p.rate_limited_until}`);
  for (const t of r.running)
    lines.push(
      `  RUNNING: ${t.id} (${t.task_type}) | model: ${t.model} | duration: ${formatSeconds(t.running_seconds)} | ${terminalSafe(t.direction.slice(0, 60))}`,
    );
  lines.push(`  PENDING: ${r.pending.length} tasks`);
  for (const t of r.pending)
    lines.push(
      `    • ${t.id} (${t.task_type}) | wait: ${formatSeconds(t.wait_seconds)} | ${terminalSafe(t.direction.slice(0, 50))}...`,
    );
  if (p.items.length) {
    lines.push('Items:');
    for (const i of p.items)
      lines.push(
        `  ${MARK[i.state] ?? ' '} ${i.state.padEnd(7)} ${terminalSafe(i.text.slice(0, 70))}${i.state === 'running' ? `  (${i.phase ?? 'spec'}, iteration ${i.iteration})` : ''}`,
      );
  }
  const open = r.issues.filter((i) => !i.resolved_at);
  if (open.length) {
    lines.push('Issues:');
    for (const i of open)
      lines.push(
        `  ! ${i.condition} (${i.severity}): ${terminalSafe(i.message)}${i.heal_task_id ? ` [heal ${i.heal_task_id}]` : ''}`,
      );
  }
  lines.push(`RECENT COMPLETED: ${r.recent_completed.length}`);
  for (const t of r.recent_completed)
    lines.push(
      `  ${t.id} ${t.task_type.padEnd(6)} ${formatSeconds(t.duration_seconds).padStart(6)}  ${terminalSafe(t.direction.slice(0, 60))}`,
    );
  return lines;
}

export function formatNoPipeline(
  projectRoot: string,
  workflowId: string,
  address: string,
  pipelines: PipelineListing[],
): string[] {
  const lines = [`No pipeline for ${terminalSafe(projectRoot)} (${workflowId}: not_started).`];
  if (!pipelines.length)
    return [
      ...lines,
      `The server at ${address} has no nightshift pipeline. Start one with: nightshift start --project DIR (or nightshift up)`,
    ];
  lines.push(`Pipelines on ${address}:`);
  const width = Math.max(...pipelines.map((p) => (p.project ?? '?').length));
  for (const p of pipelines)
    lines.push(`  ${terminalSafe(p.project ?? '?').padEnd(width)}  ${p.workflow_id}  ${p.state}`);
  lines.push('Pick one with: nightshift status --project DIR');
  return lines;
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.1 || n > 3600)
    throw new InvalidArgumentError('must be a number of seconds between 0.1 and 3600');
  return n;
}

/** Redraws until SIGINT/SIGTERM; a failed read shows in the frame and the next tick tries again. */
async function watchStatus(
  read: () => Promise<PipelineStatusResponse>,
  o: { json: boolean; intervalMs: number; close: () => Promise<void> },
): Promise<void> {
  const tty = !o.json && process.stdout.isTTY;
  let stopped = false;
  let wake: (() => void) | null = null;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopped) {
      const at = new Date();
      let frame: string[];
      try {
        const status = await read();
        if (o.json) {
          printJsonLine({ at: at.toISOString(), ...status });
          frame = [];
        } else {
          frame = formatWatchFrame(status, at, process.stdout.columns || 100);
        }
      } catch (err) {
        frame = [
          `${at.toISOString().slice(11, 19)}Z  status unavailable: ${terminalSafe((err as Error).message)} (retrying every ${o.intervalMs / 1000}s)`,
        ];
        if (o.json)
          process.stdout.write(JSON.stringify({ at: at.toISOString(), error: (err as Error).message }) + '\n');
      }
      if (stopped) break;
      if (!o.json) process.stdout.write(tty ? CLEAR_SCREEN + frame.join('\n') + '\n' : frame.join('\n') + '\n\n');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await o.close();
  }
}

export function registerStatus(program: Command, globals: () => GlobalOptions): void {
  program
    .command('status')
    .description('pipeline status')
    .option('--attention', 'first print the raised attention flags (Attention: stuck, repeated_failures)')
    .option('--watch', 'redraw a compact live view until Ctrl-C (with --json: one status object per line)')
    .option('--interval <seconds>', 'seconds between redraws with --watch', positiveSeconds, 2)
    .action(async (opts: { attention?: boolean; watch?: boolean; interval: number }) => {
      const ctx = cliContext(globals());
      const t = await connectedClient(ctx);
      const deps = statusDeps(
        ctx.config,
        ctx.paths,
        t,
        new TaskIndex(ctx.paths.stateDir),
        new MetricsStore(ctx.paths.metricsFile),
      );
      if (opts.watch)
        return watchStatus(() => getPipelineStatus(deps), {
          json: ctx.json,
          intervalMs: opts.interval * 1000,
          close: () => t.close(),
        });
      try {
        const { status, details } = await getPipelineStatusWithDetails(deps);
        if (status.pipeline.state === 'not_started') {
          // Most often the wrong folder (`npm start`'s demo runs in its own temp dir): say which pipelines there are.
          const pipelines = await listPipelines(t);
          if (ctx.json) return printJson({ ...status, other_pipelines: pipelines });
          for (const line of formatNoPipeline(ctx.paths.projectRoot, status.pipeline.workflow_id, t.address, pipelines))
            print(line);
          return;
        }
        if (ctx.json) return printJson(status);
        if (opts.attention) {
          print(attentionLine(status.attention));
          // the evidence too, so a condition is explained even before the monitor records its issue
          for (const c of status.attention.flags) if (details[c]) print(`  ${c}: ${terminalSafe(details[c]!)}`);
          print();
        }
        for (const line of formatStatus(status)) print(line);
      } finally {
        await t.close();
      }
    });
}
