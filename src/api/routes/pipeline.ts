import { Router, type RequestHandler } from 'express';
import type { PipelineStatusDeps, PipelineStatusResponse } from '../../status/pipeline-status';
import { signalPipeline, type PipelineCommand } from '../../temporal/pipeline-control';
import type { TtlCache } from '../../util/ttl-cache';
import type { JsonEncodings } from '../encoded-json';

/** The `Age` header of a status: how old the answer is, in whole seconds. */
export function statusAge(ageMs: number): string {
  return String(Math.floor(ageMs / 1000));
}

/**
 * Status comes through the shared short-lived cache (see createApp) and is
 * serialised once per value (`bodies`); `Age` says how old the answer is.
 */
export function pipelineRouter(
  deps: Pick<PipelineStatusDeps, 'temporal' | 'projectId'> & {
    mutate: RequestHandler;
    cache: TtlCache<PipelineStatusResponse>;
    /** Computes a fresh status (the hot path refreshes the cache with the same function). */
    compute: () => Promise<PipelineStatusResponse>;
    bodies: JsonEncodings<PipelineStatusResponse>;
  },
): Router {
  const router = Router();
  const { cache } = deps;
  router.get('/agent/pipeline-status', async (_req, res) => {
    const { body, etag } = deps.bodies.encode(await cache.get(deps.compute));
    res
      .set({ Age: statusAge(cache.ageMs() ?? 0), ETag: etag })
      .type('application/json')
      .send(body);
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
