import type { Command } from 'commander';
import { MetricsStore } from '../../metrics/store';
import { cliContext, print, printJson, type GlobalOptions } from '../context';
import { positiveInt } from '../parse';

export function registerMetrics(program: Command, globals: () => GlobalOptions): void {
  program
    .command('metrics')
    .description(
      'task metrics: success rate, p50/p95 duration, by task type and model (same as GET /api/agent/metrics)',
    )
    .option('--window-days <N>', 'window in days', positiveInt, 7)
    .action(async (opts: { windowDays: number }) => {
      const ctx = cliContext(globals());
      const m = await new MetricsStore(ctx.paths.metricsFile).aggregates(opts.windowDays);
      if (ctx.json) return printJson(m);
      const sr = m.success_rate;
      print(`Metrics (${m.window_days}-day window, ${ctx.paths.metricsFile})`);
      print(`  success rate: ${sr.rate} (${sr.completed} completed, ${sr.failed} failed, ${sr.total} total)`);
      print(`  duration: p50 ${m.execution_time.p50_seconds}s, p95 ${m.execution_time.p95_seconds}s`);
      print('  by task type:');
      for (const [k, v] of Object.entries(m.by_task_type))
        print(
          `    ${k.padEnd(8)} ${String(v.count).padStart(6)} tasks  ${v.completed} completed  ${v.failed} failed  rate ${v.success_rate}`,
        );
      print('  by model:');
      for (const [k, v] of Object.entries(m.by_model))
        print(`    ${k.padEnd(32)} ${String(v.count).padStart(6)} tasks  avg ${v.avg_duration}s`);
      if (m.skipped_lines) print(`  skipped lines: ${m.skipped_lines}`);
    });
}
