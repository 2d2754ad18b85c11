import type { Command } from 'commander';
import { cleanupTaskLogs } from '../../maintenance/cleanup';
import { compactMetrics } from '../../maintenance/compact-metrics';
import { cliContext, print, printJson, type GlobalOptions } from '../context';
import { nonNegativeNumber } from '../parse';

export function registerCleanup(program: Command, globals: () => GlobalOptions): void {
  program
    .command('cleanup')
    .description("delete task logs older than N days (never a running task's log)")
    .requiredOption('--keep-days <N>', 'keep logs modified in the last N days', nonNegativeNumber)
    .option(
      '--compact-metrics',
      'also move metrics lines older than PIPELINE_METRICS_KEEP_DAYS to a dated archive file',
    )
    .action(async (opts: { keepDays: number; compactMetrics?: boolean }) => {
      const ctx = cliContext(globals());
      const r = await cleanupTaskLogs({ stateDir: ctx.paths.stateDir, keepDays: opts.keepDays });
      const compacted = opts.compactMetrics
        ? await compactMetrics({ metricsFile: ctx.paths.metricsFile, keepDays: ctx.config.PIPELINE_METRICS_KEEP_DAYS })
        : null;
      if (ctx.json) return printJson({ removed: r.removed, kept: r.kept, metrics: compacted });
      for (const f of r.removed) print(`Removed: ${f}`);
      if (!r.removed.length) print('Nothing to remove.');
      if (compacted)
        print(
          compacted.archived
            ? `Archived ${compacted.archived} metrics line(s) to ${compacted.archiveFile}`
            : 'No metrics lines to archive.',
        );
    });
}
