import { createServer } from 'node:net';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { agentEnvironment, type EnvConfig } from '../config';
import { createActivities } from '../activities';
import type { Logger } from '../logger';
import { createTemporalClient, securityOptions, temporalAddress } from '../temporal/connection';

export interface WorkerHandle {
  worker: Worker;
  connection: NativeConnection;
  run(): Promise<void>;
  shutdown(): void;
}

let runtimeInstalled = false;

/** True when nothing listens on host:port yet; the SDK would fail the whole worker on a busy port. */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
      .once('error', () => resolve(false))
      .listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/**
 * Routes the SDK's logs (workflow and activity `log`, core) to our logger, once
 * per process, and with `metrics` serves the SDK's Prometheus metrics
 * (temporal_* : task slots, schedule-to-start latency, sticky cache…).
 */
export async function installRuntime(
  logger: Logger,
  level: LogLevel = 'WARN',
  metrics?: { host: string; port: number },
): Promise<void> {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  let bindAddress: string | null = null;
  if (metrics && metrics.port > 0) {
    if (await portFree(metrics.host, metrics.port)) {
      bindAddress = `${metrics.host.includes(':') ? `[${metrics.host}]` : metrics.host}:${metrics.port}`;
    } else {
      logger.warn('worker metrics port is busy; Temporal SDK metrics are not served', {
        host: metrics.host,
        port: metrics.port,
      });
    }
  }
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const lvl =
        entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : entry.level === 'INFO' ? 'info' : 'debug';
      logger[lvl](entry.message, entry.meta);
    }),
    ...(bindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress }, globalTags: { service: 'nightshift-worker' } } } }
      : {}),
    shutdownSignals: [],
  });
  if (bindAddress) logger.info('worker metrics', { url: `http://${bindAddress}/metrics` });
}

export interface CreateWorkerOptions {
  config: EnvConfig;
  address?: string;
  taskQueue?: string;
  /** Prebuilt workflow bundle (tests build it once); otherwise workflowsPath is bundled at start. */
  workflowBundle?: { code: string };
  maxConcurrentAgents?: number;
}

export async function createNightshiftWorker(o: CreateWorkerOptions): Promise<WorkerHandle> {
  const address = o.address ?? temporalAddress(o.config);
  const connection = await NativeConnection.connect({ address, ...securityOptions(o.config) });
  // The monitor's checks read workflow state (heartbeats) through an ordinary client.
  const temporal = createTemporalClient(o.config, address);
  const worker = await Worker.create({
    connection,
    namespace: o.config.TEMPORAL_NAMESPACE,
    taskQueue: o.taskQueue ?? o.config.TEMPORAL_TASK_QUEUE,
    ...(o.workflowBundle ? { workflowBundle: o.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({ agentEnv: agentEnvironment(), temporal }),
    // Agents are heavy child processes: cap them; workflow tasks are cheap.
    maxConcurrentActivityTaskExecutions: o.maxConcurrentAgents ?? 16,
    // Give running agents time to be stopped cleanly (their process groups killed) on shutdown.
    shutdownGraceTime: '10s',
  });
  return {
    worker,
    connection,
    run: async () => {
      try {
        await worker.run();
      } finally {
        await connection.close();
        await temporal.close().catch(() => undefined);
      }
    },
    shutdown: () => worker.shutdown(),
  };
}
