import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Command } from 'commander';
import { buildPipelineSettings } from '../../settings/pipeline-settings';
import { ensureStateDir } from '../../settings/state-dir';
import { scheduleId, windowWorkflowId, WINDOW_WORKFLOW_TYPE } from '../../shared/names';
import type { windowWorkflow } from '../../workflows/run-window';
import { CliError, cliContext, connectedClient, print, printJson, type GlobalOptions } from '../context';
import { nonNegativeNumber } from '../parse';

export function registerSchedule(program: Command, globals: () => GlobalOptions): void {
  program
    .command('schedule')
    .description('a Temporal Schedule that opens a pipeline window (e.g. every night); --list, --delete')
    .option('--cron <EXPR>', 'when a window opens, as a cron expression (UTC), e.g. "0 22 * * *"')
    .option('--hours <H>', 'how long each window lasts (0 = until stopped)', nonNegativeNumber, 0)
    .option('--list', "list nightshift's schedules")
    .option('--delete', "delete this project's schedule")
    .action(async (opts: { cron?: string; hours: number; list?: boolean; delete?: boolean }) => {
      const ctx = cliContext(globals());
      const modes = [!!opts.cron, !!opts.list, !!opts.delete].filter(Boolean).length;
      if (modes !== 1) throw new CliError('give exactly one of --cron EXPR, --list or --delete', 2);
      const t = await connectedClient(ctx);
      const id = scheduleId(ctx.paths.projectId);
      try {
        if (opts.list) {
          const rows = [];
          for await (const s of t.client.schedule.list()) {
            if (!s.scheduleId.startsWith('nightshift-')) continue;
            rows.push({
              id: s.scheduleId,
              cron: s.spec?.calendars?.length ? 'calendar' : '',
              next: s.info.nextActionTimes[0]?.toISOString() ?? null,
              paused: s.state.paused,
              note: s.state.note ?? '',
            });
          }
          if (ctx.json) return printJson({ schedules: rows });
          if (!rows.length) return print('No schedules.');
          for (const r of rows) print(`${r.id}  next: ${r.next ?? '—'}${r.paused ? '  (paused)' : ''}  ${r.note}`);
          return;
        }
        if (opts.delete) {
          try {
            await t.client.schedule.getHandle(id).delete();
          } catch (err) {
            if (err instanceof ScheduleNotFoundError) throw new CliError(`No schedule ${id}`);
            throw err;
          }
          return ctx.json ? printJson({ deleted: id }) : print(`Deleted ${id}`);
        }
        const settings = await buildPipelineSettings(ctx.config, ctx.paths);
        await ensureStateDir(ctx.paths.projectRoot, ctx.paths.stateDir);
        const note = `cron ${opts.cron}, ${opts.hours ? `${opts.hours} h` : 'until stopped'}: ${ctx.paths.projectRoot}`;
        const action = {
          type: 'startWorkflow' as const,
          workflowType: WINDOW_WORKFLOW_TYPE,
          workflowId: windowWorkflowId(ctx.paths.projectId),
          taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
          args: [
            { projectId: ctx.paths.projectId, taskQueue: ctx.config.TEMPORAL_TASK_QUEUE, settings, hours: opts.hours },
          ] as Parameters<typeof windowWorkflow>,
        };
        const spec = { cronExpressions: [opts.cron!] };
        let updated = false;
        try {
          await t.client.schedule
            .getHandle(id)
            .update((prev) => ({ ...prev, spec, action, state: { ...prev.state, note } }));
          updated = true;
        } catch (err) {
          if (!(err instanceof ScheduleNotFoundError)) throw err;
          await t.client.schedule.create({
            scheduleId: id,
            spec,
            action,
            policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
            state: { note },
          });
        }
        const next = (await t.client.schedule.getHandle(id).describe()).info.nextActionTimes[0];
        if (ctx.json) printJson({ schedule_id: id, updated, next: next?.toISOString() ?? null });
        else print(`${updated ? 'Updated' : 'Created'} ${id}: ${note}; next window ${next?.toISOString() ?? '—'}`);
      } finally {
        await t.close();
      }
    });
}
