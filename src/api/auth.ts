import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './errors';

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Constant-time comparison of equal-length digests, so the token's length leaks nothing either. */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return !!m && sameToken(m[1].trim(), token);
}

/** What deciding a read needs of a request (its path is relative to /api). */
export interface ReadRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

/**
 * Reads are open on a loopback bind. Off loopback (or with
 * PIPELINE_API_READ_TOKEN_REQUIRED=1) they need the bearer token, and without a
 * token configured they are refused. /api/health and /api/openapi.json stay open.
 * Returns why a read is refused, or undefined when it is allowed.
 */
export function readRefusal(opts: {
  token: string | undefined;
  host: string;
  required: boolean;
}): (req: ReadRequest) => HttpError | undefined {
  const needed = opts.required || !isLoopbackHost(opts.host);
  return (req) => {
    if (!needed || req.method !== 'GET' || req.path === '/health' || req.path === '/openapi.json') return undefined;
    if (!opts.token)
      return new HttpError(
        403,
        'Reads are disabled: the API is not bound to loopback (or PIPELINE_API_READ_TOKEN_REQUIRED=1) and PIPELINE_API_TOKEN is not set',
      );
    if (!bearerMatches(req.authorization, opts.token)) return new HttpError(401, 'Missing or invalid bearer token');
    return undefined;
  };
}

/** Express middleware for readRefusal. */
export function requireReadRights(opts: {
  token: string | undefined;
  host: string;
  required: boolean;
}): RequestHandler {
  const refusal = readRefusal(opts);
  return (req, _res, next) =>
    next(refusal({ method: req.method, path: req.path, authorization: req.get('authorization') }));
}

/**
 * Mutating endpoints: with PIPELINE_API_TOKEN set they need `Authorization: Bearer <token>`;
 * without a token they are allowed only when the API is bound to loopback.
 */
export function requireMutationRights(opts: { token: string | undefined; host: string }): RequestHandler {
  return (req, _res, next) => {
    if (opts.token) {
      if (!bearerMatches(req.get('authorization'), opts.token))
        return next(new HttpError(401, 'Missing or invalid bearer token'));
      return next();
    }
    if (!isLoopbackHost(opts.host)) {
      return next(
        new HttpError(
          403,
          'Mutating endpoints are disabled: the API is bound to a non-loopback address and PIPELINE_API_TOKEN is not set',
        ),
      );
    }
    next();
  };
}
