import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetricsAggregates } from '../metrics/aggregate';
import type { MetricsStore } from '../metrics/store';
import type { PipelineStatusResponse } from '../read-model/pipeline-status';
import type { TtlCache } from '../util/ttl-cache';
import type { ReadRequest } from './auth';
import { acceptsGzip } from './compression';
import { writeEncodedJson, type JsonEncodings } from './encoded-json';
import type { HttpError } from './errors';
import { WINDOW_DAYS } from './routes/metrics';
import { statusAge } from './routes/pipeline';

const STATUS_PATH = '/api/agent/pipeline-status';
const METRICS_PATH = '/api/agent/metrics';
const WINDOW_QUERY = /^window_days=([0-9]{1,4})$/;

export interface HotReadDeps {
  status: {
    cache: TtlCache<PipelineStatusResponse>;
    compute: () => Promise<PipelineStatusResponse>;
    bodies: JsonEncodings<PipelineStatusResponse>;
  };
  metrics: { store: MetricsStore; bodies: JsonEncodings<MetricsAggregates> };
  readRefusal: (req: ReadRequest) => HttpError | undefined;
  /** The Host rule of request-guard.ts: a refused Host goes to Express, which answers 421. */
  hostRefusal: (host: string | undefined) => HttpError | undefined;
}

/**
 * Handles a request, or returns false to leave it to Express; `fallback` hands it to Express after all when an answer
 * it took on fails before anything was written.
 */
export type HotReads = (req: IncomingMessage, res: ServerResponse, fallback: () => void) => boolean;

/**
 * Answers the two reads that dashboards, scrapers and load generators poll hardest (pipeline-status and metrics)
 * before Express sees them, when the answer is at hand. Express 5 spends about 0.2 ms of CPU on a request before its
 * handler runs (it swaps the request's and response's prototypes, then walks the routers), ten times the cost of
 * writing a body already encoded; with 50 connections kept busy on 2 shared cores, that cost was the API's latency.
 * The answers are the ones the Express routes give, from the same cache, store and encodings. Everything else goes to
 * Express, which answers as it always has: other methods and paths, queries not in the plain form, conditional
 * requests, refused reads or Hosts, a status that has to wait for its refresh, and errors.
 */
export function hotReads(deps: HotReadDeps): HotReads {
  const { status, metrics } = deps;
  return (req, res, fallback) => {
    if (
      req.method !== 'GET' ||
      req.headers['if-none-match'] !== undefined ||
      req.headers['if-modified-since'] !== undefined
    )
      return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path !== STATUS_PATH && path !== METRICS_PATH) return false;
    if (deps.hostRefusal(req.headers.host)) return false;
    if (deps.readRefusal({ method: 'GET', path: path.slice('/api'.length), authorization: req.headers.authorization }))
      return false;
    if (path === STATUS_PATH) {
      const ready = q < 0 ? status.cache.ready(status.compute) : null;
      if (!ready) return false;
      writeEncodedJson(res, status.bodies.encode(ready.value), acceptsGzip(req.headers['accept-encoding']), {
        Age: statusAge(ready.ageMs),
      });
      return true;
    }
    const windowDays = q < 0 ? WINDOW_DAYS.default : windowOf(url.slice(q + 1));
    if (windowDays === undefined) return false;
    const gzip = acceptsGzip(req.headers['accept-encoding']);
    metrics.store.aggregates(windowDays).then((a) => writeEncodedJson(res, metrics.bodies.encode(a), gzip), fallback);
    return true;
  };
}

/** `window_days=N` with N in range; undefined for anything Express's validation should see. */
function windowOf(query: string): number | undefined {
  const m = WINDOW_QUERY.exec(query);
  const n = m ? Number(m[1]) : NaN;
  return n >= WINDOW_DAYS.min && n <= WINDOW_DAYS.max ? n : undefined;
}
