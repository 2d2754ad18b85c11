import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterCount, agentCliEnv, describeWithCli, jsonLines, runAgentCli, tempRepo } from '../helpers/agent-clis';
import {
  type FailureKind,
  bash,
  downUrl,
  editFile,
  finalText,
  readFile,
  startAnthropicServer,
  toolResults,
  writeFile,
} from '../helpers/model-servers/anthropic';

/**
 * The real Claude Code CLI (the pinned npm version from .tools/agents) against the scripted
 * Anthropic server: it edits files through the scripted tool calls, reports the server's
 * usage, and shows refusals and provider failures the way the agent output parser reads them.
 */

const PROMPT = 'create hello.txt';

describeWithCli('claude', 'Claude Code CLI against the scripted Anthropic server', (cli) => {
  const run = (
    baseUrl: string,
    cwd: string,
    args: string[],
    opts: { extra?: Record<string, string>; killAfterMs?: number; killWhen?: () => boolean } = {},
  ) =>
    runAgentCli(cli, ['-p', PROMPT, '--model', 'sonnet', ...args], {
      cwd,
      env: agentCliEnv('claude', { baseUrl, extra: opts.extra }).env,
      killAfterMs: opts.killAfterMs ?? 60_000,
      killWhen: opts.killWhen,
    });

  test('acceptEdits: the scripted Write creates the file; the JSON result reports success and the server usage', async () => {
    const srv = await startAnthropicServer({
      turns: [writeFile('hello.txt', 'hi\n'), finalText('Done.\nVERDICT: pass')],
    });
    const repo = tempRepo();
    try {
      const r = await run(srv.url, repo, ['--output-format', 'json', '--permission-mode', 'acceptEdits']);
      expect(r.code).toBe(0);
      expect(readFileSync(path.join(repo, 'hello.txt'), 'utf8')).toBe('hi\n');
      const result = JSON.parse(r.stdout);
      expect(result).toMatchObject({
        type: 'result',
        subtype: 'success',
        is_error: false,
        num_turns: 2,
        result: 'Done.\nVERDICT: pass',
        permission_denials: [],
      });
      const usage = srv.reportedUsage();
      expect(usage.input_tokens).toBeGreaterThan(0);
      expect(result.usage).toMatchObject(usage);
      expect(Object.keys(result.modelUsage)).toEqual(['claude-sonnet-5']);
      expect(result.modelUsage['claude-sonnet-5']).toMatchObject({
        inputTokens: usage.input_tokens,
        outputTokens: usage.output_tokens,
      });
      expect(result.total_cost_usd).toBeGreaterThan(0);
      // The CLI streamed both scripted turns and sent the tool's result back.
      const main = srv.mainRequests();
      expect(main).toHaveLength(2);
      expect(main[0].url).toBe('/v1/messages?beta=true');
      expect(main[0].body.stream).toBe(true);
      expect(main[0].body.tools.map((t: { name: string }) => t.name)).toEqual(
        expect.arrayContaining(['Write', 'Edit', 'Read', 'Bash']),
      );
      expect(toolResults(main[1])).toEqual([
        expect.objectContaining({ is_error: false, content: expect.stringContaining('File created successfully') }),
      ]);
      expect(srv.exhausted()).toBe(0);
    } finally {
      await srv.close();
    }
  });

  test('no permission flag: the Write is refused, the file stays absent, permission_denials names it', async () => {
    const srv = await startAnthropicServer({
      turns: [writeFile('hello.txt', 'hi\n'), finalText('I could not write the file.')],
    });
    const repo = tempRepo();
    try {
      const r = await run(srv.url, repo, ['--output-format', 'json']);
      expect(r.code).toBe(0);
      expect(existsSync(path.join(repo, 'hello.txt'))).toBe(false);
      const result = JSON.parse(r.stdout);
      expect(result).toMatchObject({ subtype: 'success', is_error: false });
      expect(result.permission_denials).toEqual([
        expect.objectContaining({ tool_name: 'Write', tool_input: expect.objectContaining({ content: 'hi\n' }) }),
      ]);
      const [refusal] = toolResults(srv.mainRequests()[1]);
      expect(refusal.is_error).toBe(true);
      expect(refusal.content).toContain("haven't granted");
    } finally {
      await srv.close();
    }
  });

  test('Read then Edit changes an existing file; a Bash call runs only with --allowedTools Bash', async () => {
    const repo = tempRepo({ 'greet.py': 'print("hi")\n' });
    const srv = await startAnthropicServer({
      turns: [
        readFile(path.join(repo, 'greet.py')),
        editFile(path.join(repo, 'greet.py'), 'print("hi")', 'print("hello")'),
        bash('git rev-parse --is-inside-work-tree > bash-ran.txt'),
        finalText('Edited.'),
      ],
    });
    try {
      const r = await run(srv.url, repo, [
        '--output-format',
        'json',
        '--permission-mode',
        'acceptEdits',
        '--allowedTools',
        'Bash',
      ]);
      expect(r.code).toBe(0);
      expect(readFileSync(path.join(repo, 'greet.py'), 'utf8')).toBe('print("hello")\n');
      expect(readFileSync(path.join(repo, 'bash-ran.txt'), 'utf8')).toBe('true\n');
      expect(JSON.parse(r.stdout).permission_denials).toEqual([]);
      expect(srv.mainRequests()).toHaveLength(4);
    } finally {
      await srv.close();
    }
  });

  test('--output-format stream-json --verbose: init, assistant, user (tool result) and result lines', async () => {
    const srv = await startAnthropicServer({ turns: [writeFile('hello.txt', 'hi\n'), finalText('Done.')] });
    const repo = tempRepo();
    try {
      const r = await run(srv.url, repo, [
        '--output-format',
        'stream-json',
        '--verbose',
        '--permission-mode',
        'acceptEdits',
      ]);
      expect(r.code).toBe(0);
      const lines = jsonLines(r.stdout);
      expect(lines.map((l) => (l.subtype ? `${l.type}/${l.subtype}` : l.type))).toEqual([
        'system/init',
        'assistant',
        'user',
        'assistant',
        'result/success',
      ]);
      expect(lines[0]).toMatchObject({
        model: 'claude-sonnet-5',
        permissionMode: 'acceptEdits',
        tools: expect.arrayContaining(['Write', 'Bash']),
      });
      expect(lines[1].message.content).toEqual([expect.objectContaining({ type: 'tool_use', name: 'Write' })]);
      expect(lines[2].message.content).toEqual([expect.objectContaining({ type: 'tool_result' })]);
      expect(lines[3].message.content).toEqual([{ type: 'text', text: 'Done.' }]);
      // Per-message usage in the stream is the message_start snapshot; the totals are in result.
      expect(lines[4].usage).toMatchObject(srv.reportedUsage());
      expect(existsSync(path.join(repo, 'hello.txt'))).toBe(true);
    } finally {
      await srv.close();
    }
  });

  // With retries off (CLAUDE_CODE_MAX_RETRIES=0) a provider error ends the run at once: exit 1,
  // is_error true, subtype still "success", the HTTP status in api_error_status.
  test.each<[FailureKind, number, string]>([
    ['auth', 401, 'Invalid API key · Fix external API key'],
    [
      'rate-limit',
      429,
      'API Error: Request rejected (429) · Number of request tokens has exceeded your per-minute rate limit',
    ],
    [
      'usage-limit',
      429,
      'API Error: Request rejected (429) · Your credit balance is too low to access the Anthropic API.',
    ],
    ['server-error', 500, 'API Error: 500 Internal server error.'],
    ['overloaded', 529, 'API Error: 529 Overloaded.'],
  ])('provider %s: exit 1, is_error, api_error_status %i', async (failure, status, message) => {
    const srv = await startAnthropicServer({ failure, turns: [] });
    const repo = tempRepo();
    try {
      const r = await run(srv.url, repo, ['--output-format', 'json', '--permission-mode', 'acceptEdits'], {
        extra: { CLAUDE_CODE_MAX_RETRIES: '0' },
      });
      expect(r.code).toBe(1);
      const result = JSON.parse(r.stdout);
      expect(result).toMatchObject({
        type: 'result',
        subtype: 'success',
        is_error: true,
        api_error_status: status,
        num_turns: 1,
        permission_denials: [],
      });
      expect(result.result.startsWith(message)).toBe(true);
      expect(result.usage).toMatchObject({ input_tokens: 0, output_tokens: 0 });
      expect(srv.mainRequests()).toHaveLength(1);
      expect(srv.mainRequests()[0].answer?.status).toBe(status);
    } finally {
      await srv.close();
    }
  });

  test('a 401 is retried as CLAUDE_CODE_MAX_RETRIES allows', async () => {
    const srv = await startAnthropicServer({ failure: 'auth', turns: [] });
    try {
      const r = await run(srv.url, tempRepo(), ['--output-format', 'json'], {
        extra: { CLAUDE_CODE_MAX_RETRIES: '1' },
      });
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ is_error: true, api_error_status: 401 });
      expect(srv.mainRequests()).toHaveLength(2);
    } finally {
      await srv.close();
    }
  });

  test('provider down (closed port): exit 1, "Unable to connect to API (ConnectionRefused)"', async () => {
    const r = await run(await downUrl(), tempRepo(), ['--output-format', 'json'], {
      extra: { CLAUDE_CODE_MAX_RETRIES: '0' },
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      is_error: true,
      api_error_status: null,
      result: 'API Error: Unable to connect to API (ConnectionRefused)',
    });
  });

  test('a hanging provider: the CLI still waits 3 s after its request (killed by the test, nothing printed); API_TIMEOUT_MS ends it with "Request timed out"', async () => {
    const srv = await startAnthropicServer({ failure: 'hang', turns: [] });
    try {
      const hung = await run(srv.url, tempRepo(), ['--output-format', 'json'], {
        extra: { CLAUDE_CODE_MAX_RETRIES: '0' },
        killWhen: afterCount(() => srv.mainRequests().length, 1, 3000),
      });
      expect(hung.killedByTest).toBe(true);
      expect(hung.stdout).toBe('');
      expect(srv.mainRequests().length).toBeGreaterThanOrEqual(1);
      const timedOut = await run(srv.url, tempRepo(), ['--output-format', 'json'], {
        extra: { CLAUDE_CODE_MAX_RETRIES: '0', API_TIMEOUT_MS: '1500' },
      });
      expect(timedOut.killedByTest).toBe(false);
      expect(timedOut.code).toBe(1);
      expect(JSON.parse(timedOut.stdout)).toMatchObject({
        is_error: true,
        api_error_status: null,
        result: 'Request timed out',
      });
    } finally {
      await srv.close();
    }
  });

  test('a stream that stalls after message_start: API_TIMEOUT_MS does not end it (still waiting 3 s later, killed by the test)', async () => {
    const srv = await startAnthropicServer({ failure: 'hang-mid-stream', turns: [] });
    try {
      const r = await run(srv.url, tempRepo(), ['--output-format', 'json'], {
        extra: { CLAUDE_CODE_MAX_RETRIES: '0', API_TIMEOUT_MS: '1000' },
        killWhen: afterCount(() => srv.mainRequests().length, 1, 3000),
      });
      expect(r.killedByTest).toBe(true);
      expect(r.stdout).toBe('');
    } finally {
      await srv.close();
    }
  });
});
