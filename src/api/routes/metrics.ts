import { Router } from 'express';
import { z } from 'zod';
import type { MetricsStore } from '../../metrics/store';
import { parseOr422 } from '../validation';

const query = z.object({ window_days: z.coerce.number().int().min(1).max(3650).default(7) }).passthrough();

export function metricsRouter(metrics: MetricsStore): Router {
  const router = Router();
  router.get('/agent/metrics', async (req, res) => {
    const { window_days } = parseOr422(query, req.query, 'query');
    res.json(await metrics.aggregates(window_days));
  });
  router.get('/agent/metrics/breakdown', async (req, res) => {
    const { window_days } = parseOr422(query, req.query, 'query');
    res.json(await metrics.breakdown(window_days));
  });
  return router;
}
