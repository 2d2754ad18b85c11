import { Router } from 'express';
import type { MetricsAggregates } from '../../metrics/aggregate';
import type { MetricsStore } from '../../metrics/store';
import { acceptsGzip } from '../compression';
import { encodedVariant, type JsonEncodings } from '../encoded-json';
import { parseOr422, queryInteger } from '../validation';
import { z } from '../zod';

/** The `window_days` query parameter of the metrics endpoints. */
export const WINDOW_DAYS = { min: 1, max: 3650, default: 7 } as const;

/** The query of both metrics endpoints (openapi.ts documents it). */
export const metricsQuery = z
  .object({
    window_days: queryInteger(WINDOW_DAYS.min, WINDOW_DAYS.max).default(WINDOW_DAYS.default),
  })
  .passthrough();

export function metricsRouter(metrics: MetricsStore, bodies: JsonEncodings<MetricsAggregates>): Router {
  const router = Router();
  router.get('/agent/metrics', async (req, res) => {
    const { window_days } = parseOr422(metricsQuery, req.query, 'query');
    const encoded = bodies.encode(await metrics.aggregates(window_days));
    const { body, headers } = encodedVariant(encoded, acceptsGzip(req.headers['accept-encoding']));
    res
      .set({ ...headers, ETag: encoded.etag })
      .type('application/json')
      .send(body);
  });
  router.get('/agent/metrics/breakdown', async (req, res) => {
    const { window_days } = parseOr422(metricsQuery, req.query, 'query');
    res.json(await metrics.breakdown(window_days));
  });
  return router;
}
