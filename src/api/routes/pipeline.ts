import { Router, type RequestHandler } from 'express';
import { getPipelineStatus, type PipelineStatusDeps } from '../../status/pipeline-status';
import { signalPipeline, type PipelineCommand } from '../../temporal/pipeline-control';
import { TtlCache } from '../../util/ttl-cache';

/** Status is cached briefly so a polling dashboard costs Temporal one query a second, not one per request. */
export function pipelineRouter(deps: PipelineStatusDeps & { mutate: RequestHandler }): Router {
  const router = Router();
  const cache = new TtlCache<Awaited<ReturnType<typeof getPipelineStatus>>>(1000);
  router.get('/agent/pipeline-status', async (_req, res) => {
    res.json(await cache.get(() => getPipelineStatus(deps)));
  });
  for (const command of ['pause', 'resume', 'stop'] as PipelineCommand[]) {
    router.post(`/agent/pipeline/${command}`, deps.mutate, async (_req, res) => {
      await signalPipeline(deps.temporal, deps.projectId, command);
      cache.clear();
      res.status(202).json({ accepted: command, workflow_id: `nightshift-${deps.projectId}` });
    });
  }
  return router;
}
