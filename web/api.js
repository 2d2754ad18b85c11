/**
 * Talks to nightshift's own /api. The bearer token lives in sessionStorage only
 * (typed once per browser tab session, never put in a URL) and goes with every
 * request once set: mutations need it when PIPELINE_API_TOKEN is set, reads too
 * when PIPELINE_API_READ_TOKEN_REQUIRED=1 or the API is off loopback.
 */

const TOKEN_KEY = 'nightshift.apiToken';

export const token = {
  get() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) ?? '';
    } catch {
      return '';
    }
  },
  set(value) {
    sessionStorage.setItem(TOKEN_KEY, value);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === 'string' ? detail : `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
  }
}

let queue = Promise.resolve();

/**
 * One request at a time, in call order: a refresh is a handful of small requests, and the
 * API never gets a burst of concurrent reads from one page. Rejects with ApiError
 * (status 0 = the API did not answer at all).
 */
export function api(path, options = {}) {
  const run = queue.then(() => request(path, options));
  queue = run.catch(() => undefined);
  return run;
}

async function request(path, { method = 'GET', body, signal } = {}) {
  const headers = { accept: 'application/json' };
  const t = token.get();
  if (t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'nightshift API not reachable');
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, detailText(data?.detail) || `HTTP ${res.status}`);
  return data;
}

/** `detail` is a string or a list of `{loc, msg}` (validation errors). */
function detailText(detail) {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail))
    return detail.map((d) => (d && typeof d.msg === 'string' ? d.msg : JSON.stringify(d))).join('; ');
  return '';
}
