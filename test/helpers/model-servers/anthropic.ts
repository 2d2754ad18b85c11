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
  writeSse,
} from './core';

export * from './core';

/**
 * A scripted Anthropic Messages API (`POST /v1/messages[?beta=true]`) for Claude Code:
 * SSE when the request streams, JSON otherwise, tool_use blocks under Claude Code's own
 * tool names. Point the CLI at it with ANTHROPIC_BASE_URL=srv.url.
 */

let ids = 0;
const nextId = (prefix: string): string => `${prefix}_scripted${String(++ids).padStart(6, '0')}`;

/** Claude Code's Write tool: creates or overwrites a file. */
export const writeFile = (filePath: string, content: string, usage?: Reply['usage']): Reply =>
  reply([tool('Write', { file_path: filePath, content })], usage);
/** Claude Code's Edit tool: replaces old_string with new_string (it must have Read the file first). */
export const editFile = (filePath: string, oldString: string, newString: string, usage?: Reply['usage']): Reply =>
  reply([tool('Edit', { file_path: filePath, old_string: oldString, new_string: newString })], usage);
export const readFile = (filePath: string, usage?: Reply['usage']): Reply =>
  reply([tool('Read', { file_path: filePath })], usage);
export const bash = (command: string, usage?: Reply['usage']): Reply =>
  reply([tool('Bash', { command, description: 'scripted command' })], usage);

function contentBlock(b: Block): Record<string, unknown> {
  return b.type === 'text'
    ? { type: 'text', text: b.text }
    : { type: 'tool_use', id: b.id ?? nextId('toolu'), name: b.name, input: b.input };
}

function model(req: RecordedRequest): string {
  return typeof req.body?.model === 'string' ? req.body.model : 'claude-scripted';
}

function message(req: RecordedRequest, r: Reply): Record<string, unknown> {
  const content = r.blocks.map(contentBlock);
  return {
    id: nextId('msg'),
    type: 'message',
    role: 'assistant',
    model: model(req),
    content,
    stop_reason: content.some((c) => c.type === 'tool_use') ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: r.usage!.input_tokens,
      output_tokens: r.usage!.output_tokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  };
}

function streamEvents(req: RecordedRequest, r: Reply): { event: string; data: unknown }[] {
  const msg = message(req, r);
  const content = msg.content as Record<string, any>[];
  const usage = msg.usage as Record<string, number>;
  const events: { event: string; data: unknown }[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: { ...msg, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
      },
    },
  ];
  content.forEach((c, index) => {
    if (c.type === 'text') {
      events.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
      });
      events.push({
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text: c.text } },
      });
    } else {
      events.push({
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} },
        },
      });
      const json = JSON.stringify(c.input);
      // Two fragments: the client must join partial_json pieces, as with a real stream.
      const cut = Math.floor(json.length / 2);
      for (const part of [json.slice(0, cut), json.slice(cut)]) {
        events.push({
          event: 'content_block_delta',
          data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } },
        });
      }
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  events.push({
    event: 'message_delta',
    data: {
      type: 'message_delta',
      delta: { stop_reason: msg.stop_reason, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    },
  });
  events.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return events;
}

const ERRORS: Record<
  Exclude<FailureKind, 'hang' | 'hang-mid-stream'>,
  { status: number; type: string; message: string }
> = {
  auth: { status: 401, type: 'authentication_error', message: 'invalid x-api-key' },
  'rate-limit': {
    status: 429,
    type: 'rate_limit_error',
    message: 'Number of request tokens has exceeded your per-minute rate limit',
  },
  'usage-limit': {
    status: 429,
    type: 'rate_limit_error',
    message: 'Your credit balance is too low to access the Anthropic API.',
  },
  'server-error': { status: 500, type: 'api_error', message: 'Internal server error' },
  overloaded: { status: 529, type: 'overloaded_error', message: 'Overloaded' },
};

/** Side requests: Claude Code's token counting and its tool-less helper calls (titles, summaries). */
function isSide(req: RecordedRequest): boolean {
  if (req.url.startsWith('/v1/messages/count_tokens')) return true;
  return !Array.isArray(req.body?.tools) || req.body.tools.length === 0;
}

export const anthropicProvider: Provider = {
  name: 'anthropic',
  classify(req) {
    if (req.method !== 'POST' || !req.url.startsWith('/v1/messages')) return 'other';
    return isSide(req) ? 'side' : 'main';
  },
  writeReply(req, res, r) {
    if (req.body?.stream) writeSse(res, streamEvents(req, r));
    else writeJson(res, 200, message(req, r));
  },
  writeSide(req, res) {
    if (req.url.startsWith('/v1/messages/count_tokens')) return writeJson(res, 200, { input_tokens: 100 });
    const r: Reply = {
      kind: 'reply',
      blocks: [{ type: 'text', text: 'Scripted side answer' }],
      usage: { input_tokens: 1, output_tokens: 1 },
    };
    req.answer = { reply: r, status: 200 };
    if (req.body?.stream) writeSse(res, streamEvents(req, r));
    else writeJson(res, 200, message(req, r));
  },
  writeOther(req, res) {
    // Claude Code probes the base URL with `HEAD /` at start.
    if (req.method === 'HEAD') {
      res.writeHead(200);
      res.end();
      return 200;
    }
    writeJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: 'Not found' } });
    return 404;
  },
  failureBody(kind) {
    const e = ERRORS[kind];
    return { status: e.status, body: { type: 'error', error: { type: e.type, message: e.message } } };
  },
  streamStart(req, res) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const first = streamEvents(req, { kind: 'reply', blocks: [], usage: { input_tokens: 1, output_tokens: 1 } })[0];
    res.write(`event: ${first.event}\ndata: ${JSON.stringify(first.data)}\n\n`);
  },
};

export function startAnthropicServer(opts: ServerOptions): Promise<ScriptedServer> {
  return startScriptedServer(anthropicProvider, opts);
}

/** The tool_result blocks of a request's last user message (what the CLI sent back for the tool calls). */
export function toolResults(req: RecordedRequest): { tool_use_id: string; content: string; is_error: boolean }[] {
  const msgs: any[] = Array.isArray(req.body?.messages) ? req.body.messages : [];
  const last = [...msgs].reverse().find((m) => m.role === 'user');
  if (!last || !Array.isArray(last.content)) return [];
  return last.content
    .filter((c: any) => c.type === 'tool_result')
    .map((c: any) => ({
      tool_use_id: c.tool_use_id,
      is_error: c.is_error === true,
      content: typeof c.content === 'string' ? c.content : (c.content ?? []).map((p: any) => p.text ?? '').join(''),
    }));
}
