import type { Command } from 'commander';
import { pipelineWorkflowId } from '../../shared/names';
import { launchPipeline } from '../../temporal/launch';
import { awaitPipelineResult } from '../../temporal/pipeline-result';
import { buildPipelineSettings } from '../../settings/pipeline-settings';
import { ensureStateDir } from '../../settings/state-dir';
import { signalPipeline, type PipelineCommand } from '../../temporal/pipeline-control';
import type { TemporalClient } from '../../temporal/connection';
import type { EnvConfig, ProjectPaths } from '../../config';
import { cliContext, connectedClient, print, printJson, type GlobalOptions } from '../context';
import { nonNegativeNumber, positiveInt } from '../parse';

export interface StartOptions {
  hours?: number;
  once?: boolean;
  maxItems?: number;
}

export interface StartResult {
  workflowId: string;
  runId: string;
  attached: boolean;
}

/** The line the earlier system's launcher printed, kept for scripts that look for it. */
export function autoCommitLine(config: EnvConfig): string {
  return `Auto-commit: ${config.PIPELINE_AUTO_COMMIT ? 1 : 0} | Auto-push: ${config.PIPELINE_AUTO_PUSH ? 1 : 0}`;
}

/** Starts the project's pipeline, or attaches to the one already running (one per project). */
export async function startPipeline(
  t: TemporalClient,
  config: EnvConfig,
  paths: ProjectPaths,
  opts: StartOptions,
): Promise<StartResult> {
  const settings = await buildPipelineSettings(config, paths);
  await ensureStateDir(paths.projectRoot, paths.stateDir, settings.agent.leftovers ?? []);
  return launchPipeline(
    t,
    { projectId: paths.projectId, taskQueue: config.TEMPORAL_TASK_QUEUE, settings, ...opts },
    (warning) => process.stderr.write(`${warning}\n`),
  );
}

export function registerStart(program: Command, globals: () => GlobalOptions): void {
  program
    .command('start')
    .description("start the project's pipeline, or attach if it already runs")
    .option('--hours <H>', 'stop after H hours (0 = run forever)', nonNegativeNumber, 0)
    .option('--once', 'run the backlog as it is now, then finish')
    .option('--max-items <N>', 'stop after N items finished', positiveInt)
    .option('--wait', 'wait until the pipeline finishes and print its result')
    .action(async (opts: StartOptions & { wait?: boolean }) => {
      const ctx = cliContext(globals());
      const t = await connectedClient(ctx);
      try {
        const r = await startPipeline(t, ctx.config, ctx.paths, opts);
        if (!ctx.json) {
          print(
            `Pipeline ${r.workflowId} ${r.attached ? 'already running (attached)' : 'started'} for ${ctx.paths.projectRoot}`,
          );
          print(autoCommitLine(ctx.config));
        }
        if (opts.wait) {
          const result = await awaitPipelineResult(t, r.workflowId);
          if (ctx.json) printJson({ ...r, result });
          else
            print(
              `Pipeline finished (${result.reason}): ${result.itemsPassed} passed, ${result.itemsFailed} failed, ${result.tasksRun} tasks`,
            );
        } else if (ctx.json) printJson(r);
      } finally {
        await t.close();
      }
    });
}

export function registerControl(program: Command, globals: () => GlobalOptions): void {
  const describe: Record<PipelineCommand, string> = {
    stop: 'graceful stop: running tasks finish, nothing new starts',
    pause: 'pause: running tasks finish, nothing new starts until resume',
    resume: 'resume a paused pipeline',
  };
  for (const command of ['stop', 'pause', 'resume'] as PipelineCommand[]) {
    program
      .command(command)
      .description(describe[command])
      .action(async () => {
        const ctx = cliContext(globals());
        const t = await connectedClient(ctx);
        try {
          await signalPipeline(t, ctx.paths.projectId, command);
          if (ctx.json) printJson({ accepted: command, workflow_id: pipelineWorkflowId(ctx.paths.projectId) });
          else print(`${command} sent to ${pipelineWorkflowId(ctx.paths.projectId)}`);
        } finally {
          await t.close();
        }
      });
  }
}
