import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger';
import { ERROR_TYPE, type ErrorType } from '../shared/errors';

/** An error of the API itself (auth, guards, validation, routes) with its HTTP status; `detail` is what the client sees. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | unknown[],
  ) {
    super(typeof detail === 'string' ? detail : 'validation error');
  }
}

/**
 * The HTTP status of each kind of failure the layers below the API raise (src/shared/errors.ts); the body is
 * `{detail: <the error's message>}`. A kind not listed here never reaches a client: it is a 500.
 */
const STATUS_OF_TYPE: { readonly [T in ErrorType]?: number } = {
  [ERROR_TYPE.TemporalUnreachable]: 503,
  [ERROR_TYPE.PipelineNotRunning]: 409,
  [ERROR_TYPE.TaskNotFound]: 404,
  [ERROR_TYPE.TaskNotWaiting]: 409,
};

/** Express's body parser's errors (their `type`) whose answer is a fixed text. */
const BODY_PARSER_ANSWERS: Readonly<Record<string, { status: number; detail: string }>> = {
  'entity.parse.failed': { status: 400, detail: 'Request body is not valid JSON' },
  'entity.too.large': { status: 413, detail: 'Request body too large' },
};

export interface HttpAnswer {
  status: number;
  detail: string | unknown[];
}

/** The one mapping from an error to its HTTP answer; undefined for an unexpected error (a 500, logged). */
export function httpAnswer(err: unknown): HttpAnswer | undefined {
  if (err instanceof HttpError) return { status: err.status, detail: err.detail };
  const e = err as { type?: unknown; status?: unknown; statusCode?: unknown; message?: unknown } | null | undefined;
  const type = typeof e?.type === 'string' ? e.type : undefined;
  if (type !== undefined && Object.hasOwn(STATUS_OF_TYPE, type))
    return { status: STATUS_OF_TYPE[type as ErrorType]!, detail: String(e?.message) };
  if (type !== undefined && Object.hasOwn(BODY_PARSER_ANSWERS, type)) return { ...BODY_PARSER_ANSWERS[type] };
  // The body parser's other refusals (an unsupported charset or encoding, an aborted request) carry their 4xx status.
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, detail: String(e?.message) };
  return undefined;
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ detail: `Not found: ${req.method} ${req.path}` });
};

/** The one place errors become responses: JSON `{detail}`, never a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const answer = httpAnswer(err);
    if (answer) return void res.status(answer.status).json({ detail: answer.detail });
    logger.error('request failed', { error: err instanceof Error ? err.message : String(err) });
    res.status(500).json({ detail: 'Internal server error' });
  };
}
