import type http from 'node:http';
import {
  type Block,
  type FailureKind,
  type Provider,
  type RecordedRequest,
  type Reply,
  type ScriptedServer,
  type ServerOptions,
  reply,
  startScriptedServer,
  tool,
  writeJson,
} from './core';

export * from './core';

/**
 * A scripted OpenAI Responses API (`POST /v1/responses`, streaming) for Codex: function calls
 * and output text as SSE. Codex reaches it through a provider in $CODEX_HOME/config.toml
 * (see test/helpers/agent-clis.ts).
 */

let ids = 0;
const nextId = (prefix: string): string => `${prefix}_scripted${String(++ids).padStart(6, '0')}`;

/** Codex's shell tool: `exec_command` with `{"cmd": "…"}`. */
export const shell = (cmd: string, usage?: Reply['usage']): Reply => reply([tool('exec_command', { cmd })], usage);
/** Creates a file through the shell tool (printf, so any content is exact). */
export const writeFile = (filePath: string, content: string, usage?: Reply['usage']): Reply =>
  shell(`printf '%s' ${shellQuote(content)} > ${shellQuote(filePath)}`, usage);
/** Codex's file-edit tool: a freeform `apply_patch` call with the patch text as its input. */
export const applyPatch = (patch: string, usage?: Reply['usage']): Reply =>
  reply([{ type: 'tool', name: 'apply_patch', input: { [FREEFORM]: patch } }], usage);

/** Key of a tool input that is sent as a freeform (custom tool) input string rather than JSON. */
export const FREEFORM = '__freeform__';

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function outputItem(b: Block): Record<string, unknown> {
  if (b.type === 'text') {
    return {
      type: 'message',
      id: nextId('msg'),
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: b.text, annotations: [] }],
    };
  }
  if (FREEFORM in b.input) {
    return {
      type: 'custom_tool_call',
      id: nextId('ctc'),
      call_id: b.id ?? nextId('call'),
      name: b.name,
      input: String(b.input[FREEFORM]),
      status: 'completed',
    };
  }
  return {
    type: 'function_call',
    id: nextId('fc'),
    call_id: b.id ?? nextId('call'),
    name: b.name,
    arguments: JSON.stringify(b.input),
    status: 'completed',
  };
}

function usageOf(r: Reply): Record<string, unknown> {
  const u = r.usage!;
  return {
    input_tokens: u.input_tokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: u.output_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: u.input_tokens + u.output_tokens,
  };
}

function responseObject(
  req: RecordedRequest,
  id: string,
  status: string,
  output: unknown[],
  usage: unknown,
): Record<string, unknown> {
  return {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    model: req.body?.model ?? 'gpt-scripted',
    output,
    usage,
  };
}

function streamEvents(req: RecordedRequest, r: Reply): { event: string; data: Record<string, unknown> }[] {
  const id = nextId('resp');
  const items = r.blocks.map(outputItem);
  const events: { event: string; data: Record<string, unknown> }[] = [];
  const push = (type: string, data: Record<string, unknown>): void => {
    events.push({ event: type, data: { type, sequence_number: events.length, ...data } });
  };
  push('response.created', { response: responseObject(req, id, 'in_progress', [], null) });
  push('response.in_progress', { response: responseObject(req, id, 'in_progress', [], null) });
  items.forEach((item: Record<string, any>, output_index) => {
    if (item.type === 'message') {
      const textValue = item.content[0].text as string;
      push('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', content: [] } });
      push('response.content_part.added', {
        item_id: item.id,
        output_index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      });
      push('response.output_text.delta', { item_id: item.id, output_index, content_index: 0, delta: textValue });
      push('response.output_text.done', { item_id: item.id, output_index, content_index: 0, text: textValue });
      push('response.content_part.done', { item_id: item.id, output_index, content_index: 0, part: item.content[0] });
    } else if (item.type === 'function_call') {
      push('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', arguments: '' } });
      const args = item.arguments as string;
      const cut = Math.floor(args.length / 2);
      for (const delta of [args.slice(0, cut), args.slice(cut)])
        push('response.function_call_arguments.delta', { item_id: item.id, output_index, delta });
      push('response.function_call_arguments.done', { item_id: item.id, output_index, arguments: args });
    } else {
      push('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', input: '' } });
      push('response.custom_tool_call_input.delta', { item_id: item.id, output_index, delta: item.input });
      push('response.custom_tool_call_input.done', { item_id: item.id, output_index, input: item.input });
    }
    push('response.output_item.done', { output_index, item });
  });
  push('response.completed', { response: responseObject(req, id, 'completed', items, usageOf(r)) });
  return events;
}

function writeEvents(res: http.ServerResponse, events: { event: string; data: unknown }[], end = true): void {
  if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const e of events) res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
  if (end) res.end();
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
        'Rate limit reached for gpt-5 in organization org-scripted on tokens per min (TPM): Limit 30000, Used 30000, Requested 1000. Please try again in 2s.',
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

export const responsesProvider: Provider = {
  name: 'responses',
  classify(req) {
    return req.method === 'POST' && req.url.split('?')[0].endsWith('/responses') ? 'main' : 'other';
  },
  writeReply(req, res, r) {
    const events = streamEvents(req, r);
    if (req.body?.stream === false) writeJson(res, 200, events[events.length - 1].data.response);
    else writeEvents(res, events);
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
        data: [{ id: 'gpt-5-codex', object: 'model', created: 0, owned_by: 'scripted' }],
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
    writeEvents(
      res,
      streamEvents(req, { kind: 'reply', blocks: [], usage: { input_tokens: 1, output_tokens: 1 } }).slice(0, 1),
      false,
    );
  },
};

export function startResponsesServer(opts: ServerOptions): Promise<ScriptedServer> {
  return startScriptedServer(responsesProvider, opts);
}

/**
 * The function_call_output / custom_tool_call_output items in a request, oldest first (Codex resends the history: the
 * newest is last).
 */
export function toolOutputs(req: RecordedRequest): { call_id: string; output: string }[] {
  const input: any[] = Array.isArray(req.body?.input) ? req.body.input : [];
  return input
    .filter((i) => i.type === 'function_call_output' || i.type === 'custom_tool_call_output')
    .map((i) => ({ call_id: i.call_id, output: typeof i.output === 'string' ? i.output : JSON.stringify(i.output) }));
}
