import { Router, type RequestHandler } from 'express';
import { getPipelineItem, ITEM_KEY_PATTERN } from '../../read-model/pipeline-item';
import type { PipelineStatusDeps, PipelineStatusResponse } from '../../read-model/pipeline-status';
import { HttpError } from '../errors';
import { signalPipeline, type PipelineCommand } from '../../temporal/pipeline-control';
import { pipelineWorkflowId } from '../../shared/names';
import type { TtlCache } from '../../util/ttl-cache';
import { acceptsGzip } from '../compression';
import { encodedVariant, type JsonEncodings } from '../encoded-json';
import { parseOr404 } from '../validation';
import { z } from '../zod';

/** The `Age` header of a status: how old the answer is, in whole seconds. */
export function statusAge(ageMs: number): string {
  return String(Math.floor(ageMs / 1000));
}

/** `{key}` of /agent/pipeline/items/{key} (openapi.ts documents it). */
export const itemKeyParams = z.object({
  key: z
    .string()
    .regex(new RegExp(ITEM_KEY_PATTERN))
    .openapi({ param: { description: 'the item key (spec 001)' } }),
});

/**
 * Status comes through the shared short-lived cache (see createApp) and is
 * serialised once per value (`bodies`); `Age` says how old the answer is.
 */
export function pipelineRouter(deps: {
  status: PipelineStatusDeps;
  mutate: RequestHandler;
  cache: TtlCache<PipelineStatusResponse>;
  /** Computes a fresh status (the hot path refreshes the cache with the same function). */
  compute: () => Promise<PipelineStatusResponse>;
  bodies: JsonEncodings<PipelineStatusResponse>;
}): Router {
  const router = Router();
  const { cache } = deps;
  const { temporal, projectId } = deps.status;
  router.get('/agent/pipeline-status', async (req, res) => {
    const encoded = deps.bodies.encode(await cache.get(deps.compute));
    const { body, headers } = encodedVariant(encoded, acceptsGzip(req.headers['accept-encoding']));
    res
      .set({ ...headers, Age: statusAge(cache.ageMs() ?? 0), ETag: encoded.etag })
      .type('application/json')
      .send(body);
  });
  for (const command of ['pause', 'resume', 'stop'] as PipelineCommand[]) {
    router.post(`/agent/pipeline/${command}`, deps.mutate, async (_req, res) => {
      await signalPipeline(temporal, projectId, command);
      cache.clear();
      res.status(202).json({ accepted: command, workflow_id: pipelineWorkflowId(projectId) });
    });
  }
  router.get('/agent/pipeline/items/:key', async (req, res) => {
    const { key } = parseOr404(itemKeyParams, req.params, 'Item not found');
    const item = await getPipelineItem(deps.status, key);
    if (!item) throw new HttpError(404, 'Item not found');
    res.json(item);
  });
  return router;
}
