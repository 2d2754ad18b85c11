import path from 'node:path';
import type { Command } from 'commander';
import { childProcessEnvironment, loadEnvConfig, projectPaths, type EnvConfig, type ProjectPaths } from '../../config';
import { createLogger } from '../../logger';
import { pipelineWorkflowId } from '../../shared/names';
import { resolveTemporalCli, TEMPORAL_CLI_HELP } from '../../temporal/cli-path';
import { createTemporalClient, waitForTemporal } from '../../temporal/connection';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { ensureStateDir } from '../../pipeline/state-dir';
import { CliError, print, type GlobalOptions } from '../context';
import { ensureDemoProject } from '../demo-project';
import { watchProgress } from '../progress';
import { onShutdownSignal } from '../signals';
import { supervise, type SupervisedProcess } from '../supervisor';
import { autoCommitLine, startPipeline } from './start';

/** What `--demo` sets unless the environment already says otherwise. */
function demoDefaults(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  if (!env.PIPELINE_AGENT && !env.PIPELINE_AGENT_COMMAND) out.PIPELINE_AGENT = 'demo';
  if (!env.PIPELINE_TEST_COMMAND) out.PIPELINE_TEST_COMMAND = JSON.stringify([process.execPath, '--test']);
  if (!env.DEMO_AGENT_DELAY_MS) out.DEMO_AGENT_DELAY_MS = '800';
  return out;
}

export function registerUp(program: Command, globals: () => GlobalOptions): void {
  program
    .command('up')
    .description('all-in-one: embedded Temporal server (unless TEMPORAL_ADDRESS), worker, API and the pipeline; Ctrl-C stops all')
    .option('--demo', 'run on a generated demo project with the built-in demo agent')
    .option('--once', 'run the backlog as it is now, then let the pipeline finish')
    .action(async (opts: { demo?: boolean; once?: boolean }) => {
      const g = globals();
      const base = childProcessEnvironment();
      const projectDir = opts.demo ? await ensureDemoProject(g.project ?? loadEnvConfig(base).NIGHTSHIFT_DEMO_DIR) : path.resolve(g.project ?? process.cwd());
      const env = childProcessEnvironment(opts.demo ? demoDefaults(base) : {});
      const config = loadEnvConfig(env);
      const paths = projectPaths(config, projectDir);
      await runUp(config, paths, env, { once: !!opts.once });
    });
}

async function runUp(config: EnvConfig, paths: ProjectPaths, env: NodeJS.ProcessEnv, opts: { once: boolean }): Promise<void> {
  const logger = createLogger('up', config.NIGHTSHIFT_LOG_LEVEL);
  await ensureStateDir(paths.projectRoot, paths.stateDir);
  const stops: (() => Promise<void>)[] = [];
  let shuttingDown = false;
  const shutdown = async () => {
    shuttingDown = true;
    print('\nStopping nightshift…');
    for (const stop of stops.reverse()) await stop().catch((err) => logger.error('stop failed', { error: (err as Error).message }));
    print('Stopped.');
    process.exit(0);
  };
  onShutdownSignal(shutdown);

  let server: DevServer | null = null;
  if (!config.TEMPORAL_ADDRESS) {
    const cli = resolveTemporalCli(config.TEMPORAL_CLI_PATH, config.PATH);
    if (!cli) throw new CliError(TEMPORAL_CLI_HELP);
    server = await startDevServer({
      cliPath: cli,
      port: config.NIGHTSHIFT_TEMPORAL_PORT,
      uiPort: config.NIGHTSHIFT_TEMPORAL_UI_PORT,
      dbFile: path.join(paths.stateDir, 'temporal.db'),
      logFile: path.join(paths.logsDir, 'temporal-server.log'),
    });
    const s = server;
    stops.push(() => s.stop());
    server.process.once('exit', (code) => {
      if (!shuttingDown) logger.error('embedded Temporal server exited', { code, log: path.join(paths.logsDir, 'temporal-server.log') });
    });
  }
  const temporal = createTemporalClient(config);
  stops.push(() => temporal.close());
  await waitForTemporal(temporal, 30);

  const common = ['--project', paths.projectRoot];
  const services: SupervisedProcess[] = [
    await supervise({ name: 'worker', args: ['worker', ...common], env, cwd: paths.projectRoot, logger, logFile: path.join(paths.logsDir, 'worker.log') }),
    await supervise({ name: 'api', args: ['api', ...common], env, cwd: paths.projectRoot, logger, logFile: path.join(paths.logsDir, 'api.log') }),
  ];
  for (const s of services) stops.push(() => s.stop());

  const started = await startPipeline(temporal, config, paths, { once: opts.once });
  const apiUrl = `http://${config.NIGHTSHIFT_API_HOST}:${config.PORT}`;
  print('nightshift is up');
  print(`  API:          ${apiUrl}/api/agent/pipeline-status`);
  if (server?.uiUrl) print(`  Temporal UI:  ${server.uiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows/${pipelineWorkflowId(paths.projectId)}`);
  print(`  Temporal:     ${temporal.address}`);
  print(`  Project:      ${paths.projectRoot}`);
  print(`  Logs:         ${paths.logsDir}`);
  print(`  Pipeline:     ${started.workflowId} (${started.attached ? 'attached' : 'started'})`);
  print(`  ${autoCommitLine(config)}`);
  print('Press Ctrl-C to stop.');
  const progress = watchProgress(config, paths, print);
  stops.push(async () => progress.stop());
  await new Promise<void>(() => undefined); // runs until a signal
}
