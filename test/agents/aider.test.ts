import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterCount, agentCliEnv, describeWithCli, runAgentCli, tempRepo } from '../helpers/agent-clis';
import {
  downUrl,
  editBlock,
  editFile,
  finalText,
  lastUserText,
  reply,
  startChatServer,
  text,
} from '../helpers/model-servers/chat';

/**
 * The real aider (the pinned PyPI version in the .tools/aider venv) against the scripted
 * chat-completions server: edits arrive as SEARCH/REPLACE blocks in the model's text.
 */

const ARGS = [
  '--yes-always',
  '--no-auto-commits',
  '--no-check-update',
  '--analytics-disable',
  '--model',
  'openai/gpt-4o',
];

/** aider's console wraps at 80 columns; compare text with the line breaks folded. */
const unwrap = (s: string): string => s.replace(/\s*\n\s*/g, ' ');

describeWithCli('aider', 'aider against the scripted chat-completions server', (cli) => {
  const run = (
    baseUrl: string,
    cwd: string,
    args: string[],
    opts: { killWhen?: (seen: { stdout: string }) => boolean } = {},
  ) =>
    runAgentCli(cli, [...ARGS, ...args], {
      cwd,
      env: agentCliEnv('aider', { baseUrl }).env,
      killAfterMs: 90_000,
      killWhen: opts.killWhen,
    });

  test('a SEARCH/REPLACE edit and a new-file block are applied; aider prints Applied edit and its Tokens/Cost line', async () => {
    const repo = tempRepo({ 'greet.py': 'print("hi")\n' });
    const srv = await startChatServer({
      turns: [
        reply([
          text(
            `Changing the greeting and adding hello.txt.\n\n${editBlock('greet.py', 'print("hi")', 'print("hello")')}\n${editBlock('hello.txt', '', 'hi')}`,
          ),
        ]),
      ],
    });
    try {
      const r = await run(srv.url, repo, ['--message', 'change the greeting and create hello.txt', 'greet.py']);
      expect(r.code).toBe(0);
      expect(readFileSync(path.join(repo, 'greet.py'), 'utf8')).toBe('print("hello")\n');
      expect(readFileSync(path.join(repo, 'hello.txt'), 'utf8')).toBe('hi\n');
      const lines = r.stdout.split('\n');
      expect(lines).toEqual(
        expect.arrayContaining([
          'Applied edit to greet.py',
          'Applied edit to hello.txt',
          'Main model: openai/gpt-4o with diff edit format',
        ]),
      );
      // Streaming: the Tokens line is aider's own count of the prompt, not the server's usage.
      expect(lines.find((l) => l.startsWith('Tokens: '))).toMatch(
        /^Tokens: [\d.]+k sent, \d+ received\. Cost: \$\d+\.\d+ message, \$\d+\.\d+ session\.$/,
      );
      const main = srv.mainRequests();
      expect(main).toHaveLength(1);
      expect(main[0].body).toMatchObject({ model: 'gpt-4o', stream: true });
      expect(lastUserText(main[0])).toContain('change the greeting and create hello.txt');
      // --no-auto-commits still stages the new file and ignores .aider* files.
      expect(execFileSync('git', ['status', '--porcelain'], { cwd: repo, encoding: 'utf8' }).split('\n')).toEqual(
        expect.arrayContaining([' M greet.py', 'AM hello.txt', '?? .gitignore']),
      );
      expect(readFileSync(path.join(repo, '.gitignore'), 'utf8')).toContain('.aider*');
    } finally {
      await srv.close();
    }
  });

  test('--no-stream: the Tokens line is the server usage; a failed SEARCH is sent back and a reacting turn fixes it', async () => {
    const repo = tempRepo({ 'greet.py': 'print("hi")\n' });
    const srv = await startChatServer({
      turns: [
        editFile('greet.py', 'print("nope")', 'print("hello")', { usage: { input_tokens: 1000, output_tokens: 10 } }),
        // aider answers a failed block with the error as the next user message.
        (req) =>
          lastUserText(req).includes('SearchReplaceNoExactMatch')
            ? editFile('greet.py', 'print("hi")', 'print("hello")', {
                usage: { input_tokens: 2000, output_tokens: 20 },
              })
            : finalText('unexpected request'),
      ],
    });
    try {
      const r = await run(srv.url, repo, ['--no-stream', '--message', 'change the greeting', 'greet.py']);
      expect(r.code).toBe(0);
      expect(readFileSync(path.join(repo, 'greet.py'), 'utf8')).toBe('print("hello")\n');
      const lines = r.stdout.split('\n');
      expect(lines.filter((l) => l.startsWith('Tokens: '))).toEqual([
        expect.stringMatching(/^Tokens: 1\.0k sent, 10 received\. Cost: \$0\.0026 message, \$0\.0026 session\.$/),
        expect.stringMatching(/^Tokens: 2\.0k sent, 20 received\. Cost: \$0\.0052 message, \$0\.0078 session\.$/),
      ]);
      expect(lines).toContain('# 1 SEARCH/REPLACE block failed to match!');
      expect(lines).toContain('Applied edit to greet.py');
      expect(srv.mainRequests()).toHaveLength(2);
      expect(srv.mainRequests()[1].body.stream).toBeUndefined();
    } finally {
      await srv.close();
    }
  });

  test('401: aider prints the AuthenticationError and still exits 0, editing nothing', async () => {
    const srv = await startChatServer({ failure: 'auth', turns: [] });
    const repo = tempRepo();
    try {
      const r = await run(srv.url, repo, ['--message', 'create hello.txt']);
      expect(r.code).toBe(0);
      const out = unwrap(r.stdout);
      expect(out).toContain(
        'litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key provided',
      );
      expect(out).toContain('The API provider is not able to authenticate you. Check your API key.');
      expect(r.stdout).not.toContain('Applied edit');
      expect(existsSync(path.join(repo, 'hello.txt'))).toBe(false);
      expect(srv.mainRequests()).toHaveLength(1);
    } finally {
      await srv.close();
    }
  });

  // aider retries with a doubling delay (0.2 s, 0.5 s, 1 s … 32 s: about a minute, after
  // litellm's own quick retries) and then exits 0; the test kills it at the second delay.
  test('429: aider prints the RateLimitError and "Retrying in …" and retries', async () => {
    const srv = await startChatServer({ failure: 'rate-limit', turns: [] });
    try {
      const r = await run(srv.url, tempRepo(), ['--message', 'create hello.txt'], {
        killWhen: ({ stdout }) => stdout.includes('Retrying in 0.5 seconds...'),
      });
      expect(r.killedByTest).toBe(true);
      const out = unwrap(r.stdout);
      expect(out).toContain('litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for gpt-4o');
      expect(out).toContain('The API provider has rate limited you. Try again later or check your quotas.');
      expect(out).toContain('Retrying in 0.2 seconds...');
      expect(srv.mainRequests().length).toBeGreaterThanOrEqual(2);
    } finally {
      await srv.close();
    }
  });

  test('provider down: "Connection error." as an InternalServerError, retried the same way (a 500 prints the same lines)', async () => {
    const r = await run(await downUrl(), tempRepo(), ['--message', 'create hello.txt'], {
      killWhen: ({ stdout }) => stdout.includes('Retrying in 0.5 seconds...'),
    });
    expect(r.killedByTest).toBe(true);
    expect(unwrap(r.stdout)).toContain(
      'litellm.InternalServerError: InternalServerError: OpenAIException - Connection error.',
    );
    expect(unwrap(r.stdout)).toContain("The API provider's servers are down or overloaded. Retrying in 0.2 seconds...");
  });

  test('a hanging provider: aider still waits 3 s after its request (killed by the test)', async () => {
    const srv = await startChatServer({ failure: 'hang', turns: [] });
    try {
      const r = await run(srv.url, tempRepo(), ['--message', 'create hello.txt'], {
        killWhen: afterCount(() => srv.mainRequests().length, 1, 3000),
      });
      expect(r.killedByTest).toBe(true);
      expect(r.stdout).not.toContain('Tokens:');
      expect(r.stdout).not.toMatch(/Error/);
    } finally {
      await srv.close();
    }
  });
});
