import path from 'node:path';
import type { Command } from 'commander';
import { childProcessEnvironment, loadEnvConfig, projectPaths, type EnvConfig, type ProjectPaths } from '../../config';
import { createLogger } from '../../logger';
import { pipelineWorkflowId } from '../../shared/names';
import { resolveTemporalCli, TEMPORAL_CLI_HELP } from '../../temporal/cli-path';
import { createTemporalClient, waitForTemporal } from '../../temporal/connection';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { ensureStateDir } from '../../settings/state-dir';
import { CliError, print, projectDirectory, type GlobalOptions } from '../context';
import { ensureDemoProject } from '../demo-project';
import { openProgress, soFarLine } from '../progress';
import { RotatingFile } from '../../util/rotating-file';
import { exitWithParentOption, onShutdownSignal } from '../signals';
import { supervise, type SupervisedProcess } from '../supervisor';
import { workerProcessEnvironment } from '../../worker/process-env';
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
    .description(
      'all-in-one: embedded Temporal server (unless TEMPORAL_ADDRESS), worker, API and the pipeline; Ctrl-C stops all',
    )
    .option('--demo', 'run on a generated demo project with the built-in demo agent')
    .option('--once', 'run the backlog as it is now, then let the pipeline finish')
    .addOption(exitWithParentOption())
    .action(async (opts: { demo?: boolean; once?: boolean; exitWithParent?: boolean }) => {
      const g = globals();
      const base = childProcessEnvironment();
      const projectDir = opts.demo
        ? await ensureDemoProject(g.project ?? loadEnvConfig(base).NIGHTSHIFT_DEMO_DIR)
        : projectDirectory(g.project);
      const env = childProcessEnvironment(opts.demo ? demoDefaults(base) : {});
      const config = loadEnvConfig(env);
      const paths = projectPaths(config, projectDir);
      await runUp(config, paths, env, { once: !!opts.once, exitWithParent: !!opts.exitWithParent });
    });
}

async function runUp(
  config: EnvConfig,
  paths: ProjectPaths,
  env: NodeJS.ProcessEnv,
  opts: { once: boolean; exitWithParent: boolean },
): Promise<void> {
  const logMaxBytes = Math.round(config.NIGHTSHIFT_LOG_MAX_MB * 1024 * 1024);
  const supervisorLog = new RotatingFile(path.join(paths.logsDir, 'supervisor.log'), logMaxBytes);
  const logger = createLogger('up', config.NIGHTSHIFT_LOG_LEVEL, (line) => supervisorLog.write(line));
  await ensureStateDir(paths.projectRoot, paths.stateDir);
  // Stopped last to first; the entries of one step (worker and API) stop side by side.
  const stops: (() => Promise<void>)[] = [];
  let shuttingDown = false;
  const stopAll = async () => {
    shuttingDown = true;
    for (const stop of stops.reverse())
      await stop().catch((err) => logger.error('stop failed', { error: (err as Error).message }));
  };
  const shutdown = async () => {
    print('\nStopping nightshift…');
    await stopAll();
    logger.info('stopped');
    supervisorLog.close();
    print('Stopped.');
    process.exit(0);
  };
  // A second Ctrl-C does not wait: it kills what is running so nothing is left behind.
  const children: (() => number | null | undefined)[] = [];
  const force = () => {
    for (const pid of children.map((c) => c())) {
      if (!pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  onShutdownSignal(shutdown, { exitWithParent: opts.exitWithParent, force });
  // A signal during start-up: start nothing more (what runs is in `stops`); the shutdown ends the process.
  const stillStarting = () => (shuttingDown ? new Promise<never>(() => undefined) : Promise.resolve());

  try {
    let server: DevServer | null = null;
    if (!config.TEMPORAL_ADDRESS) {
      const cli = resolveTemporalCli(config.TEMPORAL_CLI_PATH, config.PATH);
      if (!cli) throw new CliError(TEMPORAL_CLI_HELP);
      const serverOptions = {
        cliPath: cli,
        port: config.NIGHTSHIFT_TEMPORAL_PORT,
        uiPort: config.NIGHTSHIFT_TEMPORAL_UI_PORT,
        dbFile: path.join(paths.stateDir, 'temporal.db'),
        logFile: path.join(paths.logsDir, 'temporal-server.log'),
        logMaxBytes,
      };
      // The embedded server is restarted on the same database if it dies: the pipeline is in there.
      let restarts = 0;
      const launch = async (): Promise<void> => {
        const s = await startDevServer(serverOptions);
        server = s;
        s.process.once('exit', (code, signal) => {
          if (shuttingDown) return;
          const delay = Math.min(30_000, 1000 * 2 ** Math.min(restarts++, 5));
          logger.error('embedded Temporal server exited; restarting on the same database', {
            code,
            signal,
            inMs: delay,
          });
          print(`  ! Temporal server exited (${signal ?? code}); restarting in ${delay / 1000}s on the same database`);
          setTimeout(
            () =>
              void launch().catch((err) => logger.error('server restart failed', { error: (err as Error).message })),
            delay,
          );
        });
      };
      await launch();
      stops.push(async () => server?.stop());
      children.push(() => (server as DevServer | null)?.process.pid);
    }
    const temporal = createTemporalClient(config);
    stops.push(() => temporal.close());
    await waitForTemporal(temporal, 30);
    await stillStarting();

    // --exit-with-parent: the worker and the API also stop if `up` itself is killed outright.
    const common = ['--project', paths.projectRoot, '--exit-with-parent'];
    const services: SupervisedProcess[] = [
      await supervise({
        name: 'worker',
        args: ['worker', ...common],
        env: workerProcessEnvironment(env),
        cwd: paths.projectRoot,
        logger,
        logFile: path.join(paths.logsDir, 'worker.log'),
        logMaxBytes,
      }),
      await supervise({
        name: 'api',
        args: ['api', ...common],
        env,
        cwd: paths.projectRoot,
        logger,
        logFile: path.join(paths.logsDir, 'api.log'),
        logMaxBytes,
      }),
    ];
    stops.push(async () => void (await Promise.all(services.map((s) => s.stop()))));
    for (const s of services) children.push(() => s.pid());
    await stillStarting();

    // Opened before the pipeline starts: what is in the state dir now is history, the rest is new.
    const progress = await openProgress(config, paths, print);
    stops.push(async () => progress.stop());
    const started = await startPipeline(temporal, config, paths, { once: opts.once });
    await stillStarting();
    const apiUrl = `http://${config.NIGHTSHIFT_API_HOST}:${config.PORT}`;
    const uiUrl = server ? (server as DevServer).uiUrl : null;
    logger.info(autoCommitLine(config), {
      temporal: temporal.address,
      webUi: uiUrl,
      project: paths.projectRoot,
      pipeline: started.workflowId,
    });
    print('nightshift is up');
    print(`  Dashboard:    ${apiUrl}/`);
    print(`  API:          ${apiUrl}/api/agent/pipeline-status`);
    if (uiUrl)
      print(
        `  Temporal UI:  ${uiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows/${pipelineWorkflowId(paths.projectId)}`,
      );
    print(`  Temporal:     ${temporal.address}`);
    print(`  Project:      ${paths.projectRoot}`);
    print(`  Logs:         ${paths.logsDir}`);
    print(`  Pipeline:     ${started.workflowId} (${started.attached ? 'attached' : 'started'})`);
    print(`  ${autoCommitLine(config)}`);
    print(
      `  Processes:    worker ${services[0].pid()}, api ${services[1].pid()}${server ? `, temporal ${(server as DevServer).process.pid}` : ''}`,
    );
    const soFar = soFarLine(progress.soFar);
    if (soFar) print(soFar);
    print('Press Ctrl-C to stop.');
    progress.start();
  } catch (err) {
    // A failed start (no agent configured, a port in use) must not leave the server or the services behind.
    if (!shuttingDown) await stopAll();
    supervisorLog.close();
    throw err;
  }
  await new Promise<void>(() => undefined); // runs until a signal
}
