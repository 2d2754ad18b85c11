import path from 'node:path';
import type { Command } from 'commander';
import { installRuntime, createNightshiftWorker } from '../../worker/run';
import { startApiServer } from '../../api/server';
import { createLogger } from '../../logger';
import { resolveTemporalCli, TEMPORAL_CLI_HELP } from '../../temporal/cli-path';
import { startDevServer } from '../../temporal/dev-server';
import { createTemporalClient, waitForTemporal } from '../../temporal/connection';
import { ensureStateDir } from '../../settings/state-dir';
import { CliError, cliContext, print, type GlobalOptions } from '../context';
import { nonNegativeInt } from '../parse';
import { exitWithParentOption, onShutdownSignal } from '../signals';

export function registerServices(program: Command, globals: () => GlobalOptions): void {
  program
    .command('server')
    .description('the embedded Temporal dev server alone (SQLite persistence in the state dir, Web UI)')
    .addOption(exitWithParentOption())
    .action(async (opts: { exitWithParent?: boolean }) => {
      const ctx = cliContext(globals());
      const cli = resolveTemporalCli(ctx.config.TEMPORAL_CLI_PATH, ctx.config.PATH);
      if (!cli) throw new CliError(TEMPORAL_CLI_HELP);
      await ensureStateDir(ctx.paths.projectRoot, ctx.paths.stateDir);
      const server = await startDevServer({
        cliPath: cli,
        port: ctx.config.NIGHTSHIFT_TEMPORAL_PORT,
        uiPort: ctx.config.NIGHTSHIFT_TEMPORAL_UI_PORT,
        dbFile: path.join(ctx.paths.stateDir, 'temporal.db'),
        logFile: path.join(ctx.paths.logsDir, 'temporal-server.log'),
      });
      const t = createTemporalClient(ctx.config, server.address);
      await waitForTemporal(t, 30).finally(() => t.close());
      print(`Temporal dev server: ${server.address}`);
      print(`Web UI: ${server.uiUrl}`);
      onShutdownSignal(() => server.stop(), opts);
      await new Promise<void>((resolve) => server.process.once('exit', () => resolve()));
    });

  program
    .command('worker')
    .description('a worker on the task queue; retries reaching Temporal, then exits 1')
    .addOption(exitWithParentOption())
    .action(async (opts: { exitWithParent?: boolean }) => {
      const ctx = cliContext(globals());
      const logger = createLogger('worker', ctx.config.NIGHTSHIFT_LOG_LEVEL);
      const t = createTemporalClient(ctx.config);
      try {
        await waitForTemporal(t, ctx.config.NIGHTSHIFT_CONNECT_TIMEOUT_SECONDS, (n) =>
          logger.warn('Temporal not reachable yet, retrying', { address: t.address, attempt: n }),
        );
      } finally {
        await t.close();
      }
      await installRuntime(logger, 'WARN', {
        host: ctx.config.NIGHTSHIFT_API_HOST,
        port: ctx.config.NIGHTSHIFT_WORKER_METRICS_PORT,
      });
      const handle = await createNightshiftWorker({ config: ctx.config });
      logger.info('worker started', {
        address: t.address,
        namespace: ctx.config.TEMPORAL_NAMESPACE,
        taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
      });
      onShutdownSignal(async () => handle.shutdown(), opts);
      await handle.run();
      logger.info('worker stopped');
    });

  program
    .command('api')
    .description('the REST API (default 127.0.0.1:8000)')
    .option('--port <N>', 'port (env PORT)', nonNegativeInt)
    .option('--host <H>', 'bind address (env NIGHTSHIFT_API_HOST)')
    .addOption(exitWithParentOption())
    .action(async (opts: { port?: number; host?: string; exitWithParent?: boolean }) => {
      const ctx = cliContext(globals());
      const logger = createLogger('api', ctx.config.NIGHTSHIFT_LOG_LEVEL);
      const api = await startApiServer({
        config: ctx.config,
        paths: ctx.paths,
        logger,
        host: opts.host ?? ctx.config.NIGHTSHIFT_API_HOST,
        port: opts.port ?? ctx.config.PORT,
      });
      print(`API: ${api.url}`);
      onShutdownSignal(() => api.close(), opts);
      await api.closed;
    });
}
