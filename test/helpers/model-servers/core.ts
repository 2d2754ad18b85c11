import http from 'node:http';
import type net from 'node:net';
import { freePort } from '../../../src/util/free-port';

/**
 * The provider-independent part of the scripted model servers: a node:http server on
 * 127.0.0.1 that records every request and answers the main-loop requests from a script of
 * turns, one turn per request, in order. Each provider module (anthropic.ts, responses.ts,
 * chat.ts) renders turns in its own wire format.
 */

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

export type Block =
  { type: 'text'; text: string } | { type: 'tool'; name: string; input: Record<string, unknown>; id?: string };

/** One scripted model answer: text and tool calls, in order, with the usage the server reports. */
export interface Reply {
  kind: 'reply';
  blocks: Block[];
  usage?: Usage;
}

/**
 * What a failing request gets. `auth` 401, `rate-limit` 429 (with retry-after), `usage-limit`
 * 429 with the provider's quota body, `server-error` 500, `overloaded` 529 (Anthropic) / 503,
 * `hang` accepts and never answers, `hang-mid-stream` sends the stream's first event and stalls.
 */
export type FailureKind =
  'auth' | 'rate-limit' | 'usage-limit' | 'server-error' | 'overloaded' | 'hang' | 'hang-mid-stream';

export interface Failure {
  kind: 'failure';
  failure: FailureKind;
  /** How many requests in a row get it (CLIs retry): default 1. */
  times: number;
  retryAfterSeconds?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path with query string, e.g. `/v1/messages?beta=true`. */
  url: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body: any;
  /** `main`: answered from the script; `side`: an auxiliary request (title, token count, …). */
  role: 'main' | 'side' | 'other';
  /** What the server answered: a reply (with its usage) or a failure kind, or a status for other routes. */
  answer?: { reply?: Reply; failure?: FailureKind; status: number; exhausted?: boolean };
  /** Index of the script turn used (main requests). */
  turn?: number;
}

/** A turn is a reply, a failure, or a function of the request (to react to the prompt). */
export type Turn = Reply | Failure | ((req: RecordedRequest, srv: ScriptedServer) => Reply | Failure);

export interface ServerOptions {
  turns: Turn[];
  /** Every main request gets this failure instead of the script (a dead key, a provider outage). */
  failure?: FailureKind;
  retryAfterSeconds?: number;
  /** What the server answers once the script is used up: default a short final text. */
  whenExhausted?: Reply;
  /** Log each request to stderr (for exploring what a CLI sends). */
  log?: boolean;
}

export interface ScriptedServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Every request, in arrival order. */
  requests: RecordedRequest[];
  /** The main-loop requests only (answered from the script). */
  mainRequests(): RecordedRequest[];
  /** Sum of the usage the server reported in replies (what the CLI should report back). */
  reportedUsage(): Usage;
  /** Main requests that came after the script was used up. */
  exhausted(): number;
  /** Change the sticky failure at run time (null: answer from the script again). */
  setFailure(kind: FailureKind | null): void;
  close(): Promise<void>;
}

export const reply = (blocks: Block[], usage?: Usage): Reply => ({ kind: 'reply', blocks, usage });
export const text = (t: string): Block => ({ type: 'text', text: t });
export const tool = (name: string, input: Record<string, unknown>, id?: string): Block => ({
  type: 'tool',
  name,
  input,
  id,
});
/** A final answer: only text, so the CLI's loop ends. */
export const finalText = (t: string, usage?: Usage): Reply => reply([text(t)], usage);
export const fail = (failure: FailureKind, opts: { times?: number; retryAfterSeconds?: number } = {}): Failure => ({
  kind: 'failure',
  failure,
  times: opts.times ?? 1,
  retryAfterSeconds: opts.retryAfterSeconds,
});

/** The default usage of the n-th reply (0-based): distinct numbers so sums are checkable. */
export const defaultUsage = (n: number): Usage => ({ input_tokens: 1000 + 100 * n, output_tokens: 10 + n });

/** A URL on a port where nothing listens (the "provider is down" case). */
export async function downUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

export interface Provider {
  name: string;
  /** Which requests are answered from the script, which are side requests, which are unknown. */
  classify(req: RecordedRequest): 'main' | 'side' | 'other';
  /** Answers a main request with a reply: SSE when the request asked to stream, else JSON. */
  writeReply(req: RecordedRequest, res: http.ServerResponse, r: Reply, n: number): void;
  /** Answers a side request (usage and content of its own). */
  writeSide(req: RecordedRequest, res: http.ServerResponse): void;
  /** Answers an unknown route. */
  writeOther(req: RecordedRequest, res: http.ServerResponse): number;
  /** Status and JSON body of a failure. */
  failureBody(kind: Exclude<FailureKind, 'hang' | 'hang-mid-stream'>): { status: number; body: unknown };
  /** The first event of a stream (for hang-mid-stream). */
  streamStart(req: RecordedRequest, res: http.ServerResponse): void;
}

export function writeSse(res: http.ServerResponse, events: { event?: string; data: unknown }[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const e of events) {
    if (e.event) res.write(`event: ${e.event}\n`);
    res.write(`data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`);
  }
  res.end();
}

export function writeJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startScriptedServer(provider: Provider, opts: ServerOptions): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<net.Socket>();
  let sticky: FailureKind | null = opts.failure ?? null;
  let turnIndex = 0;
  let repeatsLeft = -1; // remaining repeats of the current failure turn
  let replies = 0;
  let exhausted = 0;

  const nextTurn = (rec: RecordedRequest, srv: ScriptedServer): { r: Reply | Failure | null; index: number } => {
    if (turnIndex >= opts.turns.length) return { r: null, index: turnIndex };
    const index = turnIndex;
    const t = opts.turns[index];
    const r = typeof t === 'function' ? t(rec, srv) : t;
    if (r.kind === 'failure') {
      if (repeatsLeft < 0) repeatsLeft = r.times;
      repeatsLeft -= 1;
      if (repeatsLeft <= 0) {
        repeatsLeft = -1;
        turnIndex += 1;
      }
    } else {
      turnIndex += 1;
    }
    return { r, index };
  };

  const sendFailure = (
    rec: RecordedRequest,
    res: http.ServerResponse,
    kind: FailureKind,
    retryAfter?: number,
  ): void => {
    rec.answer = { failure: kind, status: 0 };
    if (kind === 'hang') return; // keep the socket open, write nothing
    if (kind === 'hang-mid-stream') {
      rec.answer.status = 200;
      provider.streamStart(rec, res);
      return;
    }
    const { status, body } = provider.failureBody(kind);
    rec.answer.status = status;
    const headers: http.OutgoingHttpHeaders = {};
    if (status === 429 || status === 529 || status === 503)
      headers['retry-after'] = String(retryAfter ?? opts.retryAfterSeconds ?? 1);
    writeJson(res, status, body, headers);
  };

  const server = http.createServer(async (req, res) => {
    const raw = await readBody(req).catch(() => '');
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // keep the raw text
    }
    const rec: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body,
      role: 'other',
    };
    rec.role = provider.classify(rec);
    requests.push(rec);
    if (opts.log)
      process.stderr.write(`[${provider.name}] ${rec.method} ${rec.url} ${rec.role} ${raw.slice(0, 3000)}\n`);
    if (rec.role === 'other') {
      rec.answer = { status: provider.writeOther(rec, res) };
      return;
    }
    if (sticky) return sendFailure(rec, res, sticky);
    if (rec.role === 'side') {
      rec.answer = { status: 200 };
      provider.writeSide(rec, res);
      return;
    }
    const { r, index } = nextTurn(rec, srv);
    rec.turn = index;
    if (r && r.kind === 'failure') return sendFailure(rec, res, r.failure, r.retryAfterSeconds);
    const answer = r ?? opts.whenExhausted ?? finalText('(scripted server: no more turns)');
    if (!r) exhausted += 1;
    const n = replies++;
    const withUsage: Reply = { ...answer, usage: answer.usage ?? defaultUsage(n) };
    rec.answer = { reply: withUsage, status: 200, exhausted: !r };
    provider.writeReply(rec, res, withUsage, n);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  const srv: ScriptedServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    mainRequests: () => requests.filter((r) => r.role === 'main'),
    reportedUsage: () =>
      requests.reduce<Usage>(
        (acc, r) => {
          const u = r.answer?.reply?.usage;
          return u
            ? { input_tokens: acc.input_tokens + u.input_tokens, output_tokens: acc.output_tokens + u.output_tokens }
            : acc;
        },
        { input_tokens: 0, output_tokens: 0 },
      ),
    exhausted: () => exhausted,
    setFailure: (kind) => {
      sticky = kind;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return srv;
}
