import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EnvConfig, ProjectPaths } from '../config';
import type { Logger } from '../logger';
import { MetricsStore } from '../metrics/store';
import { TaskIndex } from '../tasks/store';
import { createTemporalClient } from '../temporal/connection';
import { createApp } from './app';

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
  closed: Promise<void>;
}

/** Composition root of the API process: one Temporal client, one metrics store, one task index. */
export async function startApiServer(o: {
  config: EnvConfig;
  paths: ProjectPaths;
  logger: Logger;
  host: string;
  port: number;
}): Promise<ApiServer> {
  const temporal = createTemporalClient(o.config);
  const api = createApp({
    config: o.config,
    paths: o.paths,
    temporal,
    metrics: new MetricsStore(o.paths.metricsFile),
    tasks: new TaskIndex(o.paths.stateDir),
    logger: o.logger,
    host: o.host,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(api.listener).listen(o.port, o.host, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  o.logger.info('api listening', { url, project: o.paths.projectRoot });
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  return {
    url,
    port,
    closed,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await temporal.close().catch(() => undefined);
      resolveClosed();
    },
  };
}
