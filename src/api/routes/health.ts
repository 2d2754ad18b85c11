import { Router } from 'express';
import { temporalReachable, type TemporalClient } from '../../temporal/connection';
import { VERSION } from '../../version';

export function healthRouter(temporal: TemporalClient): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const ok = await temporalReachable(temporal, 1500);
    res.json({
      status: 'ok',
      version: VERSION,
      timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      temporal: ok ? 'ok' : 'unreachable',
    });
  });
  return router;
}
