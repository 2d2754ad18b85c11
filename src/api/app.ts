import type { RequestListener } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import type { EnvConfig, ProjectPaths } from '../config';
import type { Logger } from '../logger';
import type { MetricsAggregates } from '../metrics/aggregate';
import type { MetricsStore } from '../metrics/store';
import type { TaskIndex } from '../tasks/store';
import type { TemporalClient } from '../temporal/connection';
import { readRefusal, requireMutationRights, requireReadRights } from './auth';
import { compressJson } from './compression';
import { methodGuard } from './methods';
import { hostRefusal, requestGuard, requireJsonBody } from './request-guard';
import { JsonEncodings } from './encoded-json';
import { hotReads } from './hot-reads';
import { errorHandler, notFound } from './errors';
import { openApiDocument } from './openapi';
import { healthRouter } from './routes/health';
import { metricsRouter } from './routes/metrics';
import { pipelineRouter } from './routes/pipeline';
import { tasksRouter } from './routes/tasks';
import { monitorRouter } from './routes/monitor';
import { dashboardConfigRouter, dashboardRouter } from './routes/dashboard';
import {
  getPipelineStatus,
  STATUS_COMPUTE_LIMIT_MS,
  statusDeps,
  type PipelineStatusResponse,
} from '../read-model/pipeline-status';
import { TtlCache } from '../util/ttl-cache';
import { prometheusRouter } from './routes/prometheus';

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

/** How long a computed pipeline-status is served as is. */
export const STATUS_FRESH_MS = 1000;
/**
 * How old a served pipeline-status may be while a refresh runs (the `Age` header says how old it is): a status is as
 * old as the moment its computation began, so this covers the fresh second plus the longest a refresh can take, and
 * no request waits for a refresh while one is under way in time.
 */
export const STATUS_STALE_MS = STATUS_FRESH_MS + STATUS_COMPUTE_LIMIT_MS;

/** The REST API: one request listener, and the Express app behind it. */
export interface Api {
  /**
   * The entry point of every request, built once: the hot reads (hot-reads.ts), then Express. Every server passes it
   * to `http.createServer` (server.ts, and the tests), so all of them answer through the same path.
   */
  readonly listener: RequestListener;
  /** The Express app behind `listener`, for listing its routes. Serving it directly would skip the hot reads. */
  readonly express: Express;
}

/** One middleware that runs `handlers` one after the other, stopping at the first error. */
function inOrder(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err || i === handlers.length) return next(err);
      void handlers[i++](req, res, step);
    };
    step();
  };
}

/** Builds the REST API without listening, so tests can serve it on an ephemeral port. */
export function createApp(deps: AppDeps): Api {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const guard = { bindHost: deps.host, allowedHosts: deps.config.PIPELINE_API_ALLOWED_HOSTS };
  app.use(requestGuard(guard));
  app.use(methodGuard(openApiDocument));
  app.use(compressJson);
  // A mutation's rights, then its content type, are checked before its body is read.
  const mutate = inOrder(
    requireMutationRights({ token: deps.config.PIPELINE_API_TOKEN, host: deps.host }),
    requireJsonBody,
    express.json({ limit: '64kb' }),
  );
  const readRules = {
    token: deps.config.PIPELINE_API_TOKEN,
    host: deps.host,
    required: deps.config.PIPELINE_API_READ_TOKEN_REQUIRED,
  };
  const readRights = requireReadRights(readRules);
  const status = statusDeps(deps.config, deps.paths, deps.temporal, deps.tasks, deps.metrics);
  // Status is cached briefly so a polling dashboard or a Prometheus scrape costs Temporal one query a second, not one
  // per request.
  // Past a second, the last answer is served while one refresh runs: a slow worker answering the item queries
  // never makes callers queue. A failed refresh drops it, so Temporal going away still shows as 503.
  const statusCache = new TtlCache<PipelineStatusResponse>({ ttlMs: STATUS_FRESH_MS, staleMs: STATUS_STALE_MS });
  const computeStatus = (): Promise<PipelineStatusResponse> => getPipelineStatus(status);
  const statusBodies = new JsonEncodings<PipelineStatusResponse>();
  const metricsBodies = new JsonEncodings<MetricsAggregates>();
  const api = express.Router();
  api.use(readRights);
  api.use(healthRouter(deps.temporal));
  api.get('/openapi.json', (_req, res) => void res.json(openApiDocument));
  api.use(metricsRouter(deps.metrics, metricsBodies));
  api.use(
    tasksRouter({
      tasks: deps.tasks,
      stateDir: deps.paths.stateDir,
      temporal: deps.temporal,
      config: deps.config,
      paths: deps.paths,
      mutate,
    }),
  );
  api.use(monitorRouter(deps.paths.stateDir));
  api.use(dashboardConfigRouter(deps.config, deps.paths));
  api.use(pipelineRouter({ status, mutate, cache: statusCache, compute: computeStatus, bodies: statusBodies }));
  app.use(
    prometheusRouter({
      metrics: deps.metrics,
      stateDir: deps.paths.stateDir,
      readRights,
      status: () => statusCache.get(computeStatus),
    }),
  );
  app.use(dashboardRouter());
  app.use('/api', api);
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  // The hottest reads skip Express when their answer is at hand (see hot-reads.ts); every server built on the listener,
  // tests' included, goes through them.
  const hot = hotReads({
    status: { cache: statusCache, compute: computeStatus, bodies: statusBodies },
    metrics: { store: deps.metrics, bodies: metricsBodies },
    readRefusal: readRefusal(readRules),
    hostRefusal: hostRefusal(guard),
  });
  const toExpress: RequestListener = (req, res) => app(req, res);
  const listener: RequestListener = (req, res) => {
    if (!hot(req, res, () => toExpress(req, res))) toExpress(req, res);
  };
  return { listener, express: app };
}
