import { createHash } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { getPipelineStatus, type PipelineStatusDeps, type PipelineStatusResponse } from '../../status/pipeline-status';
import { signalPipeline, type PipelineCommand } from '../../temporal/pipeline-control';
import type { TtlCache } from '../../util/ttl-cache';

interface Encoded {
  body: Buffer;
  etag: string;
}

/**
 * Status comes through the shared short-lived cache (see createApp); `Age` says
 * how old the answer is, in seconds. Each cached status is serialised (and its
 * ETag hashed) once, not once per request: under load the same answer goes out thousands of times a second.
 */
export function pipelineRouter(deps: PipelineStatusDeps & { mutate: RequestHandler; cache: TtlCache<PipelineStatusResponse> }): Router {
  const router = Router();
  const { cache } = deps;
  const encoded = new WeakMap<PipelineStatusResponse, Encoded>();
  const encode = (status: PipelineStatusResponse): Encoded => {
    let e = encoded.get(status);
    if (!e) {
      const body = Buffer.from(JSON.stringify(status));
      e = { body, etag: `W/"${body.length.toString(16)}-${createHash('sha1').update(body).digest('base64url').slice(0, 27)}"` };
      encoded.set(status, e);
    }
    return e;
  };
  router.get('/agent/pipeline-status', async (_req, res) => {
    const { body, etag } = encode(await cache.get(() => getPipelineStatus(deps)));
    res
      .set({ Age: String(Math.floor((cache.ageMs() ?? 0) / 1000)), ETag: etag })
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
