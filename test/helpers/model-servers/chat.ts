import type http from 'node:http';
import {
  type FailureKind,
  type Provider,
  type RecordedRequest,
  type Reply,
  type ScriptedServer,
  type ServerOptions,
  reply,
  startScriptedServer,
  text,
  writeJson,
} from './core';

export * from './core';

/**
 * A scripted OpenAI chat-completions API (`POST /v1/chat/completions`, streaming) for aider,
 * which edits files through SEARCH/REPLACE blocks in the model's text (its "diff" edit
 * format). Point aider at it with OPENAI_API_BASE=srv.url + '/v1'.
 */

let ids = 0;
const nextId = (): string => `chatcmpl-scripted${String(++ids).padStart(6, '0')}`;

const FENCE = '```';

/** One SEARCH/REPLACE block (empty `search` creates the file). */
export function editBlock(filePath: string, search: string, replace: string): string {
  const body = (s: string): string => (s === '' || s.endsWith('\n') ? s : `${s}\n`);
  return `${filePath}\n${FENCE}\n<<<<<<< SEARCH\n${body(search)}=======\n${body(replace)}>>>>>>> REPLACE\n${FENCE}\n`;
}

/** A reply that edits a file: optional prose, then the block(s). */
export const editFile = (
  filePath: string,
  search: string,
  replace: string,
  opts: { say?: string; usage?: Reply['usage'] } = {},
): Reply =>
  reply([text(`${opts.say ?? `I will edit ${filePath}.`}\n\n${editBlock(filePath, search, replace)}`)], opts.usage);
/** A reply that creates (or fills an empty) file. */
export const writeFile = (
  filePath: string,
  content: string,
  opts: { say?: string; usage?: Reply['usage'] } = {},
): Reply => editFile(filePath, '', content, { say: opts.say ?? `I will create ${filePath}.`, usage: opts.usage });

function replyText(r: Reply): string {
  // Chat completions has no tool blocks in aider's edit format: everything is text.
  return r.blocks.map((b) => (b.type === 'text' ? b.text : JSON.stringify(b))).join('\n');
}

function usageOf(r: Reply): Record<string, number> {
  return {
    prompt_tokens: r.usage!.input_tokens,
    completion_tokens: r.usage!.output_tokens,
    total_tokens: r.usage!.input_tokens + r.usage!.output_tokens,
  };
}

function chunks(req: RecordedRequest, r: Reply): unknown[] {
  const base = {
    id: nextId(),
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: req.body?.model ?? 'gpt-4o',
    system_fingerprint: 'fp_scripted',
  };
  const content = replyText(r);
  // A few pieces, as a real stream: aider joins the deltas.
  const parts = content.match(/[\s\S]{1,40}/g) ?? [''];
  const out: unknown[] = [
    {
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    },
  ];
  for (const p of parts)
    out.push({ ...base, choices: [{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null }] });
  out.push({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] });
  out.push({ ...base, choices: [], usage: usageOf(r) });
  return out;
}

function completion(req: RecordedRequest, r: Reply): unknown {
  return {
    id: nextId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: req.body?.model ?? 'gpt-4o',
    choices: [
      { index: 0, message: { role: 'assistant', content: replyText(r) }, logprobs: null, finish_reason: 'stop' },
    ],
    usage: usageOf(r),
  };
}

function writeChunks(res: http.ServerResponse, list: unknown[], done = true): void {
  if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const c of list) res.write(`data: ${JSON.stringify(c)}\n\n`);
  if (done) {
    res.write('data: [DONE]\n\n');
    res.end();
  }
}

const ERRORS: Record<
  Exclude<FailureKind, 'hang' | 'hang-mid-stream'>,
  { status: number; error: Record<string, unknown> }
> = {
  auth: {
    status: 401,
    error: {
      message:
        'Incorrect API key provided: sk-scrip***. You can find your API key at https://platform.openai.com/account/api-keys.',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_api_key',
    },
  },
  'rate-limit': {
    status: 429,
    error: {
      message:
        'Rate limit reached for gpt-4o in organization org-scripted on tokens per min (TPM): Limit 30000, Used 30000, Requested 1000. Please try again in 2s.',
      type: 'tokens',
      param: null,
      code: 'rate_limit_exceeded',
    },
  },
  'usage-limit': {
    status: 429,
    error: {
      message: 'You exceeded your current quota, please check your plan and billing details.',
      type: 'insufficient_quota',
      param: null,
      code: 'insufficient_quota',
    },
  },
  'server-error': {
    status: 500,
    error: {
      message: 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error',
      param: null,
      code: null,
    },
  },
  overloaded: {
    status: 503,
    error: {
      message: 'The engine is currently overloaded, please try again later.',
      type: 'server_error',
      param: null,
      code: null,
    },
  },
};

export const chatProvider: Provider = {
  name: 'chat',
  classify(req) {
    return req.method === 'POST' && req.url.split('?')[0].endsWith('/chat/completions') ? 'main' : 'other';
  },
  writeReply(req, res, r) {
    if (req.body?.stream) writeChunks(res, chunks(req, r));
    else writeJson(res, 200, completion(req, r));
  },
  writeSide(_req, res) {
    writeJson(res, 404, {
      error: { message: 'no side requests', type: 'invalid_request_error', param: null, code: null },
    });
  },
  writeOther(req, res) {
    if (req.method === 'GET' && req.url.split('?')[0].endsWith('/models')) {
      writeJson(res, 200, {
        object: 'list',
        data: [{ id: 'gpt-4o', object: 'model', created: 0, owned_by: 'scripted' }],
      });
      return 200;
    }
    writeJson(res, 404, {
      error: {
        message: `Unknown request URL: ${req.method} ${req.url}`,
        type: 'invalid_request_error',
        param: null,
        code: 'unknown_url',
      },
    });
    return 404;
  },
  failureBody(kind) {
    const e = ERRORS[kind];
    return { status: e.status, body: { error: e.error } };
  },
  streamStart(req, res) {
    writeChunks(
      res,
      chunks(req, { kind: 'reply', blocks: [], usage: { input_tokens: 1, output_tokens: 1 } }).slice(0, 1),
      false,
    );
  },
};

export function startChatServer(opts: ServerOptions): Promise<ScriptedServer> {
  return startScriptedServer(chatProvider, opts);
}

/** The text of the last user message of a request (what aider sent: the prompt, or its feedback). */
export function lastUserText(req: RecordedRequest): string {
  const msgs: any[] = Array.isArray(req.body?.messages) ? req.body.messages : [];
  const last = [...msgs].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  return typeof last.content === 'string' ? last.content : (last.content ?? []).map((p: any) => p.text ?? '').join('');
}
