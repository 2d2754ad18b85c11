import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { EnvConfig } from '../config';
import { ERROR_TYPE } from '../shared/errors';

/** The frontend address: TEMPORAL_ADDRESS, or the embedded dev server on loopback. */
export function temporalAddress(config: EnvConfig): string {
  return config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.NIGHTSHIFT_TEMPORAL_PORT}`;
}

/** TLS / API-key options for a remote cluster, shared by clients and workers. */
export function securityOptions(config: EnvConfig): { tls?: TLSConfig; apiKey?: string } {
  const mtls = config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY;
  const tlsWanted = config.TEMPORAL_TLS || !!mtls || !!config.TEMPORAL_TLS_CA;
  const tls: TLSConfig | undefined = tlsWanted
    ? {
        ...(mtls
          ? {
              clientCertPair: {
                crt: readFileSync(config.TEMPORAL_TLS_CERT!),
                key: readFileSync(config.TEMPORAL_TLS_KEY!),
              },
            }
          : {}),
        ...(config.TEMPORAL_TLS_CA ? { serverRootCACertificate: readFileSync(config.TEMPORAL_TLS_CA) } : {}),
      }
    : undefined;
  return { ...(tls ? { tls } : {}), ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}) };
}

export interface TemporalClient {
  client: Client;
  connection: Connection;
  address: string;
  namespace: string;
  taskQueue: string;
  close(): Promise<void>;
}

/**
 * One lazily-connecting client per process: the API starts (and answers
 * /api/health) even while Temporal is down; every call sets its own deadline.
 * The SDK's gRPC retry interceptor is left out on purpose: callers bound each
 * call in time and retry where it makes sense (waitForTemporal), and a retry
 * timer must never outlive the call or the connection it belonged to.
 */
export function createTemporalClient(config: EnvConfig, address = temporalAddress(config)): TemporalClient {
  const connection = Connection.lazy({ address, connectTimeout: '1s', interceptors: [], ...securityOptions(config) });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  return {
    client,
    connection,
    address,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    close: () => connection.close(),
  };
}

/**
 * Runs a Temporal call with a hard time limit. gRPC deadlines do not bound the
 * time spent (re)connecting, so the caller also gets an answer when a
 * connect attempt hangs: the API promises a 503 within 2 s.
 */
export function withTimeLimit<T>(t: TemporalClient, ms: number, call: () => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort(); // stop the call and its gRPC retries instead of leaving them running
      reject(new TemporalUnreachableError(t.address));
    }, ms);
  });
  const attempt = t.connection.withAbortSignal(abort.signal, () => t.connection.withDeadline(Date.now() + ms, call));
  attempt.catch(() => undefined); // its outcome no longer matters once the limit has answered
  return Promise.race([attempt, limit]).finally(() => clearTimeout(timer));
}

/** True when the frontend answers within the deadline. */
export async function temporalReachable(t: TemporalClient, deadlineMs = 1500): Promise<boolean> {
  try {
    await withTimeLimit(t, deadlineMs, () => t.connection.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}

/** gRPC UNAVAILABLE / DEADLINE_EXCEEDED (or a failed connect), possibly wrapped in a ServiceError's cause. */
export function isUnreachableError(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    e = e.cause as typeof e, depth++
  ) {
    if (e.code === 14 || e.code === 4) return true;
    if (/UNAVAILABLE|DEADLINE_EXCEEDED|Failed to connect|ECONNREFUSED/i.test(String(e.message ?? ''))) return true;
  }
  return false;
}

export class TemporalUnreachableError extends Error {
  readonly type = ERROR_TYPE.TemporalUnreachable;
  constructor(address: string) {
    super(`Temporal not reachable at ${address}`);
  }
}

/** Retries with backoff until Temporal answers or `timeoutSeconds` pass. */
export async function waitForTemporal(
  t: TemporalClient,
  timeoutSeconds: number,
  onRetry?: (attempt: number) => void,
): Promise<void> {
  const until = Date.now() + timeoutSeconds * 1000;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    if (await temporalReachable(t, Math.max(200, Math.min(1000, until - Date.now())))) return;
    if (Date.now() >= until) throw new TemporalUnreachableError(t.address);
    onRetry?.(attempt);
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, until - Date.now()))));
    delay = Math.min(delay * 2, 5000);
  }
}
