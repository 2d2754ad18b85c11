import {
  type ScriptedServer,
  bash,
  downUrl,
  fail,
  finalText,
  startAnthropicServer,
  toolResults,
  writeFile,
} from '../helpers/model-servers/anthropic';
import { editFile as aiderEdit, lastUserText, startChatServer } from '../helpers/model-servers/chat';
import { applyPatch, shell, startResponsesServer } from '../helpers/model-servers/responses';

/**
 * The scripted model servers on their own, over real HTTP (the agent CLI tests in test/agents
 * need the CLIs installed; these do not): wire shapes, script order, failures, recording.
 */

async function post(
  srv: ScriptedServer,
  path: string,
  body: unknown,
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function sse(text: string): { event?: string; data: any }[] {
  return text
    .split('\n\n')
    .filter((chunk) => chunk.trim())
    .map((chunk) => {
      const event = /^event: (.*)$/m.exec(chunk)?.[1];
      const data = /^data: (.*)$/m.exec(chunk)![1];
      return { event, data: data === '[DONE]' ? data : JSON.parse(data) };
    });
}

const TOOLS = [{ name: 'Write' }];

describe('scripted Anthropic server', () => {
  let srv: ScriptedServer;
  afterEach(() => srv?.close());

  test('streams a tool_use turn then a text turn as Messages SSE, with the scripted usage', async () => {
    srv = await startAnthropicServer({
      turns: [writeFile('a.txt', 'x'), finalText('Done.', { input_tokens: 7, output_tokens: 3 })],
    });
    const first = await post(srv, '/v1/messages?beta=true', {
      model: 'claude-sonnet-5',
      stream: true,
      tools: TOOLS,
      messages: [],
    });
    expect(first.headers.get('content-type')).toBe('text/event-stream');
    const events = sse(first.text);
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[1].data.content_block).toMatchObject({ type: 'tool_use', name: 'Write', input: {} });
    const json = events
      .filter((e) => e.data.delta?.type === 'input_json_delta')
      .map((e) => e.data.delta.partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ file_path: 'a.txt', content: 'x' });
    expect(events[5].data).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 10 } });
    expect(events[0].data.message).toMatchObject({ model: 'claude-sonnet-5', usage: { input_tokens: 1000 } });

    const second = sse((await post(srv, '/v1/messages?beta=true', { stream: true, tools: TOOLS, messages: [] })).text);
    expect(second[2].data.delta).toEqual({ type: 'text_delta', text: 'Done.' });
    expect(second[4].data).toMatchObject({ delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } });
    expect(srv.reportedUsage()).toEqual({ input_tokens: 1007, output_tokens: 13 });
    expect(srv.mainRequests().map((r) => r.turn)).toEqual([0, 1]);
  });

  test('answers JSON when not streaming; tool-less requests are side requests that use no turn', async () => {
    srv = await startAnthropicServer({ turns: [bash('ls')] });
    const side = await post(srv, '/v1/messages', { model: 'claude-haiku', messages: [] });
    expect(JSON.parse(side.text)).toMatchObject({ type: 'message', content: [{ type: 'text' }] });
    const main = JSON.parse((await post(srv, '/v1/messages', { tools: TOOLS, messages: [] })).text);
    expect(main).toMatchObject({
      type: 'message',
      role: 'assistant',
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', name: 'Bash', input: { command: 'ls' } }],
    });
    expect(srv.requests.map((r) => r.role)).toEqual(['side', 'main']);
    // Used up: a short final text, counted.
    const extra = JSON.parse((await post(srv, '/v1/messages', { tools: TOOLS, messages: [] })).text);
    expect(extra).toMatchObject({ stop_reason: 'end_turn' });
    expect(srv.exhausted()).toBe(1);
  });

  test('failures: the provider error JSON and status; fail(kind, {times}) repeats, then the script goes on', async () => {
    srv = await startAnthropicServer({
      turns: [fail('rate-limit', { times: 2, retryAfterSeconds: 3 }), fail('auth'), finalText('ok')],
    });
    const req = { stream: true, tools: TOOLS, messages: [] };
    const r1 = await post(srv, '/v1/messages', req);
    const r2 = await post(srv, '/v1/messages', req);
    expect([r1.status, r2.status]).toEqual([429, 429]);
    expect(r1.headers.get('retry-after')).toBe('3');
    expect(JSON.parse(r1.text)).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: expect.any(String) },
    });
    const r3 = await post(srv, '/v1/messages', req);
    expect(r3.status).toBe(401);
    expect(JSON.parse(r3.text)).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'invalid x-api-key' },
    });
    expect(sse((await post(srv, '/v1/messages', req)).text)[2].data.delta.text).toBe('ok');
    srv.setFailure('server-error');
    const r5 = await post(srv, '/v1/messages', req);
    expect(r5.status).toBe(500);
    expect(JSON.parse(r5.text).error.type).toBe('api_error');
  });

  test('hang accepts the request and never answers; close() ends it', async () => {
    srv = await startAnthropicServer({ failure: 'hang', turns: [] });
    const pending = fetch(`${srv.url}/v1/messages`, { method: 'POST', body: JSON.stringify({ tools: TOOLS }) }).then(
      () => 'answered',
      () => 'connection closed',
    );
    while (srv.requests.length === 0) await new Promise((r) => setTimeout(r, 20));
    expect(srv.requests[0].answer).toEqual({ failure: 'hang', status: 0 });
    await srv.close();
    expect(await pending).toBe('connection closed');
  });

  test('a turn may be a function of the request; toolResults reads the tool_result blocks sent back', async () => {
    srv = await startAnthropicServer({
      turns: [(req) => finalText(toolResults(req)[0]?.content.includes("haven't granted") ? 'refused' : 'granted')],
    });
    const body = {
      stream: false,
      tools: TOOLS,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', is_error: true, content: "… but you haven't granted it yet." },
          ],
        },
      ],
    };
    expect(JSON.parse((await post(srv, '/v1/messages', body)).text).content[0].text).toBe('refused');
  });

  test('downUrl is a port nobody listens on', async () => {
    await expect(fetch(`${await downUrl()}/v1/messages`)).rejects.toThrow();
  });
});

describe('scripted Responses server', () => {
  let srv: ScriptedServer;
  afterEach(() => srv?.close());

  test('streams a function call, a freeform apply_patch call and output text, ending in response.completed with usage', async () => {
    srv = await startResponsesServer({
      turns: [shell('ls'), applyPatch('*** Begin Patch\n*** End Patch\n'), finalText('Done.')],
    });
    const call = sse((await post(srv, '/v1/responses', { model: 'gpt-5.5', stream: true, input: [] })).text);
    expect(call.map((e) => e.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(call[6].data.item).toMatchObject({
      type: 'function_call',
      name: 'exec_command',
      arguments: '{"cmd":"ls"}',
      call_id: expect.any(String),
    });
    expect(call[7].data.response).toMatchObject({
      status: 'completed',
      usage: { input_tokens: 1000, output_tokens: 10, total_tokens: 1010 },
    });
    const patch = sse((await post(srv, '/v1/responses', { stream: true, input: [] })).text);
    expect(patch.find((e) => e.event === 'response.output_item.done')!.data.item).toMatchObject({
      type: 'custom_tool_call',
      name: 'apply_patch',
      input: '*** Begin Patch\n*** End Patch\n',
    });
    const msg = sse((await post(srv, '/v1/responses', { stream: true, input: [] })).text);
    expect(msg.find((e) => e.event === 'response.output_text.delta')!.data.delta).toBe('Done.');
    expect(msg.find((e) => e.event === 'response.output_item.done')!.data.item).toMatchObject({
      type: 'message',
      content: [{ type: 'output_text', text: 'Done.' }],
    });
  });

  test('OpenAI error bodies for 401 and 429 quota', async () => {
    srv = await startResponsesServer({ turns: [fail('auth'), fail('usage-limit')] });
    const a = await post(srv, '/v1/responses', { stream: true });
    expect(a.status).toBe(401);
    expect(JSON.parse(a.text)).toEqual({
      error: {
        message: expect.stringContaining('Incorrect API key provided'),
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    const q = await post(srv, '/v1/responses', { stream: true });
    expect(q.status).toBe(429);
    expect(JSON.parse(q.text).error.code).toBe('insufficient_quota');
  });
});

describe('scripted chat-completions server', () => {
  let srv: ScriptedServer;
  afterEach(() => srv?.close());

  test('streams a SEARCH/REPLACE reply as chat.completion.chunk deltas, a usage chunk and [DONE]', async () => {
    srv = await startChatServer({
      turns: [(req) => aiderEdit('a.py', 'x = 1', lastUserText(req).includes('two') ? 'x = 2' : 'x = 3')],
    });
    const chunks = sse(
      (
        await post(srv, '/v1/chat/completions', {
          model: 'gpt-4o',
          stream: true,
          messages: [{ role: 'user', content: 'make it two' }],
        })
      ).text,
    );
    expect(chunks.at(-1)!.data).toBe('[DONE]');
    const data = chunks.slice(0, -1).map((c) => c.data);
    const content = data.map((d) => d.choices[0]?.delta?.content ?? '').join('');
    expect(content).toContain('a.py\n```\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n');
    expect(data.find((d) => d.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('stop');
    expect(data.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 1000, completion_tokens: 10 } });
  });

  test('answers a plain completion with usage when not streaming', async () => {
    srv = await startChatServer({ turns: [finalText('hi', { input_tokens: 5, output_tokens: 2 })] });
    const body = JSON.parse((await post(srv, '/v1/chat/completions', { model: 'gpt-4o', messages: [] })).text);
    expect(body).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { role: 'assistant', content: 'hi' } }],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    });
  });
});
