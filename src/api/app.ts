import express, { type Express } from 'express';
import type { EnvConfig, ProjectPaths } from '../config';
import type { Logger } from '../logger';
import type { MetricsStore } from '../metrics/store';
import type { TaskIndex } from '../tasks/store';
import type { TemporalClient } from '../temporal/connection';
import { requireMutationRights, requireReadRights } from './auth';
import { errorHandler, notFound } from './errors';
import { openApiDocument } from './openapi';
import { healthRouter } from './routes/health';
import { metricsRouter } from './routes/metrics';
import { pipelineRouter } from './routes/pipeline';
import { tasksRouter } from './routes/tasks';
import { monitorRouter } from './routes/monitor';
import { statusDeps } from '../status/pipeline-status';

export interface AppDeps {
  config: EnvConfig;
  paths: ProjectPaths;
  temporal: TemporalClient;
  metrics: MetricsStore;
  tasks: TaskIndex;
  logger: Logger;
  /** The address the server is bound to (decides whether tokenless mutations are allowed). */
  host: string;
}

/** Builds the REST API without listening, so tests can mount it on an ephemeral port. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: '64kb' }));
  const mutate = requireMutationRights({ token: deps.config.PIPELINE_API_TOKEN, host: deps.host });
  const api = express.Router();
  api.use(requireReadRights({ token: deps.config.PIPELINE_API_TOKEN, host: deps.host, required: deps.config.PIPELINE_API_READ_TOKEN_REQUIRED }));
  api.use(healthRouter(deps.temporal));
  api.get('/openapi.json', (_req, res) => void res.json(openApiDocument));
  api.use(metricsRouter(deps.metrics));
  api.use(tasksRouter({ tasks: deps.tasks, stateDir: deps.paths.stateDir, temporal: deps.temporal, config: deps.config, paths: deps.paths, mutate }));
  api.use(monitorRouter(deps.paths.stateDir));
  api.use(pipelineRouter({ ...statusDeps(deps.config, deps.paths, deps.temporal, deps.tasks, deps.metrics), mutate }));
  app.use('/api', api);
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
