import { gzipSync } from 'node:zlib';
import type { RequestHandler } from 'express';

/** Bodies smaller than this go as they are: gzip would save a few bytes for the CPU it costs. */
export const COMPRESS_MIN_BYTES = 1024;

/** Whether an `Accept-Encoding` header admits gzip (`gzip`, or `*`, with a q-value above 0). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return false;
  let star = false;
  for (const part of value.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
    const admitted = !q || Number(q[1]) > 0;
    if (name.trim() === 'gzip') return admitted;
    if (name.trim() === '*') star = admitted;
  }
  return star;
}

const JSON_TYPE = /^application\/json\b/i;

/**
 * Gzips JSON bodies of COMPRESS_MIN_BYTES or more when the client accepts it (the status of a long backlog or a
 * task log is hundreds of kB of repetitive text). A response that already carries `Content-Encoding` (the cached
 * status and metrics bodies keep their own gzip, see encoded-json.ts) is left alone.
 */
export const compressJson: RequestHandler = (req, res, next) => {
  const send = res.send.bind(res);
  res.send = (body?: unknown) => {
    const type = String(res.getHeader('Content-Type') ?? '');
    const size = typeof body === 'string' ? Buffer.byteLength(body) : Buffer.isBuffer(body) ? body.length : 0;
    if (size < COMPRESS_MIN_BYTES || !JSON_TYPE.test(type) || res.getHeader('Content-Encoding') !== undefined)
      return send(body);
    res.vary('Accept-Encoding');
    if (!acceptsGzip(req.headers['accept-encoding'])) return send(body);
    if (typeof body === 'string' && !/charset=/i.test(type)) res.set('Content-Type', `${type}; charset=utf-8`);
    res.set('Content-Encoding', 'gzip');
    return send(gzipSync(body as string | Buffer));
  };
  next();
};
