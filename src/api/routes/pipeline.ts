import { Router, type RequestHandler } from 'express';
import { getPipelineStatus, type PipelineStatusDeps, type PipelineStatusResponse } from '../../status/pipeline-status';
import { signalPipeline, type PipelineCommand } from '../../temporal/pipeline-control';
import type { TtlCache } from '../../util/ttl-cache';

/** Status comes through the shared short-lived cache (see createApp). */
export function pipelineRouter(deps: PipelineStatusDeps & { mutate: RequestHandler; cache: TtlCache<PipelineStatusResponse> }): Router {
  const router = Router();
  const { cache } = deps;
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
