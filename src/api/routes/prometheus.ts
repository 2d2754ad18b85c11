import { Router, type RequestHandler } from 'express';
import { createPrometheusRegistry, type PrometheusDeps } from '../../read-model/prometheus';

/** GET /metrics in the Prometheus text format, behind the same read rights as /api. */
export function prometheusRouter(deps: PrometheusDeps & { readRights: RequestHandler }): Router {
  const registry = createPrometheusRegistry(deps);
  const router = Router();
  router.get('/metrics', deps.readRights, async (_req, res) => {
    const body = await registry.metrics();
    res.type(registry.contentType).send(body);
  });
  return router;
}
