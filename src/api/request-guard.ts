import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { isLoopbackHost } from './auth';
import { HttpError } from './errors';

/**
 * The rules that keep a loopback API safe from the web pages its user visits. A browser sends any page's
 * form or `fetch` to 127.0.0.1 (pause, resume and stop take no body, so no preflight stops them), and a
 * DNS-rebinding page reaches it under its own name. So: a request must name this API in `Host` (421
 * otherwise), and a state-changing one must come from this API's own origin (403 otherwise). Tokens are
 * checked after these, by auth.ts.
 */
export interface GuardRules {
  /** The address the server is bound to. */
  bindHost: string;
  /** PIPELINE_API_ALLOWED_HOSTS: names (any port) or `name:port` (that port only), lower case. */
  allowedHosts: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** A Host header: a name or IPv4 address, or a bracketed IPv6 address, and an optional port. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/;

const unbracket = (name: string): string => (name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name);

/**
 * Why a request's `Host` is refused (421), or undefined when it names this API. A request without one is no browser's.
 */
export function hostRefusal(rules: GuardRules): (host: string | undefined) => HttpError | undefined {
  const bind = unbracket(rules.bindHost.toLowerCase());
  const allowed = new Set(rules.allowedHosts.flatMap((h) => [h, unbracket(h)]));
  return (host) => {
    if (host === undefined) return undefined;
    const value = host.trim().toLowerCase();
    const m = HOST_HEADER.exec(value);
    const name = m ? unbracket(m[1]).replace(/\.$/, '') : null;
    if (name !== null && (isLoopbackHost(name) || name === bind || allowed.has(name) || allowed.has(value)))
      return undefined;
    return new HttpError(
      421,
      `Misdirected request: Host ${JSON.stringify(host.slice(0, 200))} is not this API (its bind address, a loopback name or one of PIPELINE_API_ALLOWED_HOSTS)`,
    );
  };
}

/** `host:port` as an origin spells it: lower case, without the scheme's default port. */
function originHost(host: string, scheme: string): string {
  const value = host.trim().toLowerCase();
  const port = scheme === 'https:' ? ':443' : scheme === 'http:' ? ':80' : null;
  return port && value.endsWith(port) ? value.slice(0, -port.length) : value;
}

/**
 * Why a state-changing request is refused as cross-origin (403), or undefined. `curl` without `Origin` passes. The
 * API's own origin is the one its `Host` names, or one of PIPELINE_API_ALLOWED_HOSTS (a proxy may pass its upstream's
 * address as `Host`).
 */
export function originRefusal(
  method: string,
  headers: IncomingHttpHeaders,
  allowedHosts: readonly string[] = [],
): HttpError | undefined {
  if (SAFE_METHODS.has(method)) return undefined;
  if (headers['sec-fetch-site'] === 'cross-site')
    return new HttpError(403, 'Cross-site request refused (Sec-Fetch-Site: cross-site)');
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  let url: URL | null = null;
  try {
    url = new URL(origin);
  } catch {
    url = null;
  }
  const own =
    url &&
    url.origin !== 'null' &&
    ((headers.host !== undefined && url.host === originHost(headers.host, url.protocol)) ||
      allowedHosts.includes(url.hostname) ||
      allowedHosts.includes(url.host));
  if (own) return undefined;
  return new HttpError(
    403,
    `Cross-origin request refused: Origin ${JSON.stringify(origin.slice(0, 200))} is not this API's origin`,
  );
}

/** Express middleware for both rules, first in the app: nothing else runs for a refused request. */
export function requestGuard(rules: GuardRules): RequestHandler {
  const host = hostRefusal(rules);
  return (req, _res, next) =>
    next(host(req.headers.host) ?? originRefusal(req.method, req.headers, rules.allowedHosts));
}

const JSON_TYPE = /^application\/json\s*(?:;|$)/i;

/**
 * A POST's body must be JSON (415 otherwise). A POST without a body may leave the type out (`curl -X POST`),
 * but not name a form or text type: those are what a page can send cross-origin without a preflight.
 */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const type = req.headers['content-type'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (type === undefined ? hasBody : !JSON_TYPE.test(type))
    return next(new HttpError(415, 'Request body must be application/json'));
  next();
};
