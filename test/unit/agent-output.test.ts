import { outputReader } from '../../src/agents/output';

const lines = (...events: unknown[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

describe('Claude Code stream-json reader', () => {
  const init = { type: 'system', subtype: 'init', cwd: '/p', tools: ['Write'] };
  const assistant = (...content: unknown[]) => ({ type: 'assistant', message: { role: 'assistant', content } });

  test('when the run succeeds, then the transcript shows text and tool calls and the result gives usage and cost', () => {
    const r = outputReader('claude-stream-json');
    const stream = lines(
      init,
      assistant({ type: 'tool_use', id: 't1', name: 'Write', input: { file_path: '/p/hello.txt', content: 'hi\n' } }),
      {
        type: 'user',
        message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'File created' }] },
      },
      assistant({ type: 'text', text: 'Done.\nVERDICT: pass' }),
      {
        type: 'result',
        subtype: 'success',
        is_error: false,
        num_turns: 2,
        result: 'Done.\nVERDICT: pass',
        total_cost_usd: 0.0123,
        usage: { input_tokens: 100, cache_creation_input_tokens: 20, cache_read_input_tokens: 5, output_tokens: 42 },
        permission_denials: [],
      },
    );
    // split mid-line: the reader must join chunks into lines
    const text = r.stdout(stream.slice(0, 57)) + r.stdout(stream.slice(57));
    const { text: rest, report } = r.finish();
    expect(text + rest).toBe('> Write {"file_path":"/p/hello.txt","content":"hi\\n"}\nDone.\nVERDICT: pass\n');
    expect(report).toEqual({
      finalText: 'Done.\nVERDICT: pass',
      error: null,
      denied: [],
      usage: { tokensIn: 125, tokensOut: 42, costUsd: 0.0123, turns: 2 },
      apiStatus: null,
      hopeless: null,
    });
  });

  test('when tool calls were refused, then each is reported and the refused result is in the transcript', () => {
    const r = outputReader('claude-stream-json');
    const text = r.stdout(
      lines(
        assistant({ type: 'tool_use', id: 't1', name: 'Write', input: { file_path: '/p/a.txt' } }),
        {
          type: 'user',
          message: {
            content: [
              {
                type: 'tool_result',
                tool_use_id: 't1',
                is_error: true,
                content: "Claude requested permissions to write to /p/a.txt, but you haven't granted it yet.",
              },
            ],
          },
        },
        {
          type: 'result',
          subtype: 'success',
          is_error: false,
          result: 'I could not write.',
          permission_denials: [{ tool_name: 'Write', tool_use_id: 't1', tool_input: { file_path: '/p/a.txt' } }],
        },
      ),
    );
    const { report } = r.finish();
    expect(text).toContain("! Claude requested permissions to write to /p/a.txt, but you haven't granted it yet.");
    expect(report.denied).toEqual(['Write: {"file_path":"/p/a.txt"}']);
    expect(report.error).toBeNull();
  });

  test('when the CLI retries a refused key, then the retry shows in the transcript and the run is hopeless at once', () => {
    const r = outputReader('claude-stream-json');
    const text = r.stdout(
      lines({
        type: 'system',
        subtype: 'api_retry',
        attempt: 1,
        max_retries: 10,
        retry_delay_ms: 1000,
        error_status: 401,
        error: 'authentication_failed',
      }),
    );
    expect(text).toBe('! model API call failed (401 authentication_failed); retry 1 of 10\n');
    expect(r.current().hopeless).toBe('model API 401 authentication_failed');
    const limited = outputReader('claude-stream-json');
    limited.stdout(
      lines({
        type: 'system',
        subtype: 'api_retry',
        attempt: 1,
        max_retries: 10,
        error_status: 429,
        error: 'rate_limit',
      }),
    );
    expect(limited.current().hopeless).toBeNull(); // a rate limit may pass: the CLI's own retries go on
    limited.stdout(
      lines({
        type: 'result',
        subtype: 'success',
        is_error: true,
        api_error_status: 429,
        result: 'API Error: Request rejected (429) · rate limited',
      }),
    );
    expect(limited.finish().report).toMatchObject({
      apiStatus: 429,
      error: 'API Error: Request rejected (429) · rate limited',
    });
  });

  test('when the result is an error, then its text is the error; plain lines pass through', () => {
    const r = outputReader('claude-stream-json');
    const text = r.stdout('not json at all\n');
    r.stdout(
      JSON.stringify({
        type: 'result',
        subtype: 'success',
        is_error: true,
        result: 'Invalid API key · Please run /login',
      }),
    );
    const { text: rest, report } = r.finish();
    expect(text).toBe('not json at all\n');
    expect(rest).toBe('Invalid API key · Please run /login\n');
    expect(report.error).toBe('Invalid API key · Please run /login');
  });
});

describe('Codex exec --json reader', () => {
  test('when commands run and the agent answers, then the transcript shows them and usage is summed over turns', () => {
    const r = outputReader('codex-json');
    const text = r.stdout(
      lines(
        { type: 'thread.started', thread_id: 'x' },
        { type: 'turn.started' },
        {
          type: 'item.completed',
          item: {
            id: 'i0',
            type: 'command_execution',
            command: 'bash -lc "echo hi > b.txt"',
            aggregated_output: '',
            exit_code: 0,
            status: 'completed',
          },
        },
        {
          type: 'item.completed',
          item: { id: 'i1', type: 'file_change', changes: [{ path: 'src/a.ts', kind: 'add' }], status: 'completed' },
        },
        { type: 'item.completed', item: { id: 'i2', type: 'agent_message', text: 'Done.\nVERDICT: pass' } },
        { type: 'turn.completed', usage: { input_tokens: 300, cached_input_tokens: 100, output_tokens: 50 } },
      ),
    );
    const { report } = r.finish();
    expect(text).toBe('$ bash -lc "echo hi > b.txt" (exit 0)\n~ add src/a.ts\nDone.\nVERDICT: pass\n');
    expect(report.finalText).toBe('Done.\nVERDICT: pass');
    expect(report.usage).toEqual({ tokensIn: 300, tokensOut: 50, costUsd: null, turns: 1 });
    expect(report.error).toBeNull();
  });

  test('when the turn fails, then the error is reported', () => {
    const r = outputReader('codex-json');
    r.stdout(
      lines(
        { type: 'error', message: 'unexpected status 401 Unauthorized: Incorrect API key provided' },
        { type: 'turn.failed', error: { message: 'unexpected status 401 Unauthorized' } },
      ),
    );
    expect(r.finish().report.error).toBe('unexpected status 401 Unauthorized');
  });
});

describe('aider reader', () => {
  test('when aider replies twice, then tokens are summed and the session cost is the last one', () => {
    const r = outputReader('aider');
    const out =
      'Applied edit to hello.py\nTokens: 2.3k sent, 120 received. Cost: $0.0071 message, $0.0071 session.\nTokens: 1k sent, 1.5k received. Cost: $0.02 message, $0.0271 session.\n';
    expect(r.stdout(out)).toBe(out);
    expect(r.finish().report.usage).toEqual({ tokensIn: 3300, tokensOut: 1620, costUsd: 0.0271, turns: 2 });
  });

  test("when the model API failed (aider still exits 0), then the wrapped litellm error is the run's error; a later reply clears it", () => {
    const failed = outputReader('aider');
    failed.stdout(
      'Aider v0.86.2\n\nlitellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect \nAPI key provided: sk-x***.\n\nThe API provider is not able to authenticate you.\n',
    );
    expect(failed.finish().report.error).toBe(
      'litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key provided: sk-x***.',
    );
    const retried = outputReader('aider');
    retried.stdout(
      'litellm.APIConnectionError: Connection refused\nRetrying in 0.2 seconds...\n\nTokens: 1k sent, 10 received.\n',
    );
    expect(retried.finish().report.error).toBeNull();
  });

  test('when aider prints no token line, then no usage is reported', () => {
    const r = outputReader('aider');
    r.stdout('Applied edit to a.py\n');
    expect(r.finish().report.usage).toBeNull();
  });
});

describe('text reader', () => {
  test('when the CLI has no structured output, then stdout is the transcript and nothing else is reported', () => {
    const r = outputReader(undefined);
    expect(r.stdout('{"type":"result","is_error":true}\n')).toBe('{"type":"result","is_error":true}\n');
    expect(r.finish().report).toEqual({
      finalText: null,
      error: null,
      denied: [],
      usage: null,
      apiStatus: null,
      hopeless: null,
    });
  });
});
