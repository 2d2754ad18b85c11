import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger';
import { TemporalUnreachableError } from '../temporal/connection';

/** An error that maps to an HTTP status; `detail` is what the client sees. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | unknown[],
  ) {
    super(typeof detail === 'string' ? detail : 'validation error');
  }
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ detail: `Not found: ${req.method} ${req.path}` });
};

/** The one place errors become responses: JSON `{detail}`, never a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (err instanceof HttpError) return void res.status(err.status).json({ detail: err.detail });
    if (err instanceof TemporalUnreachableError) return void res.status(503).json({ detail: err.message });
    const e = err as { type?: string; status?: number; statusCode?: number };
    if (e?.type === 'entity.parse.failed')
      return void res.status(400).json({ detail: 'Request body is not valid JSON' });
    if (e?.type === 'entity.too.large') return void res.status(413).json({ detail: 'Request body too large' });
    const status = e?.status ?? e?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500)
      return void res.status(status).json({ detail: String((err as Error).message) });
    logger.error('request failed', { error: err instanceof Error ? err.message : String(err) });
    res.status(500).json({ detail: 'Internal server error' });
  };
}
