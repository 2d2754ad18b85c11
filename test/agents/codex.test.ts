import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterCount, agentCliEnv, describeWithCli, jsonLines, runAgentCli, tempRepo } from '../helpers/agent-clis';
import {
  type FailureKind,
  applyPatch,
  downUrl,
  finalText,
  startResponsesServer,
  toolOutputs,
  writeFile,
} from '../helpers/model-servers/responses';

/**
 * The real Codex CLI (the pinned npm version from .tools/agents) against the scripted OpenAI
 * Responses server, reached through a local provider in $CODEX_HOME/config.toml.
 */

// A model Codex knows (bundled metadata): with it the freeform apply_patch tool is offered and
// no "Model metadata … not found" error item is printed.
const MODEL = 'gpt-5.5';

describeWithCli('codex', 'Codex CLI against the scripted Responses server', (cli) => {
  const run = (
    baseUrl: string,
    cwd: string,
    opts: {
      sandbox?: string;
      retries?: number;
      streamIdleTimeoutMs?: number;
      killAfterMs?: number;
      killWhen?: (seen: { stdout: string }) => boolean;
      prompt?: string;
    } = {},
  ) => {
    const retries =
      opts.retries === undefined
        ? undefined
        : { request: opts.retries, stream: opts.retries, streamIdleTimeoutMs: opts.streamIdleTimeoutMs };
    const { env } = agentCliEnv('codex', { baseUrl, codexRetries: retries });
    const args = [
      'exec',
      '--sandbox',
      opts.sandbox ?? 'workspace-write',
      '--json',
      '--skip-git-repo-check',
      '-m',
      MODEL,
      opts.prompt ?? 'create hello.txt',
    ];
    return runAgentCli(cli, args, { cwd, env, killAfterMs: opts.killAfterMs ?? 60_000, killWhen: opts.killWhen });
  };

  test('workspace-write: the scripted exec_command creates the file; JSONL has the command, the final message and the server usage', async () => {
    const srv = await startResponsesServer({
      turns: [writeFile('hello.txt', 'hi\n'), finalText('Done.\nVERDICT: pass')],
    });
    const repo = tempRepo();
    try {
      const r = await run(srv.url, repo);
      expect(r.code).toBe(0);
      expect(readFileSync(path.join(repo, 'hello.txt'), 'utf8')).toBe('hi\n');
      const events = jsonLines(r.stdout);
      expect(events.map((e) => e.type)).toEqual([
        'thread.started',
        'turn.started',
        'item.started',
        'item.completed',
        'item.completed',
        'turn.completed',
      ]);
      expect(events[3].item).toMatchObject({
        type: 'command_execution',
        exit_code: 0,
        status: 'completed',
        command: expect.stringContaining('hello.txt'),
      });
      expect(events[4].item).toMatchObject({ type: 'agent_message', text: 'Done.\nVERDICT: pass' });
      expect(events[5].usage).toMatchObject(srv.reportedUsage());
      const main = srv.mainRequests();
      expect(main).toHaveLength(2);
      expect(main[0].url).toBe('/v1/responses');
      expect(main[0].body.stream).toBe(true);
      expect(main[0].headers.authorization).toBe('Bearer sk-scripted-test-key');
      const toolNames = main[0].body.tools.map((t: { name?: string }) => t.name);
      expect(toolNames).toEqual(expect.arrayContaining(['exec_command', 'apply_patch']));
      expect(toolOutputs(main[1])).toEqual([
        expect.objectContaining({ output: expect.stringContaining('Process exited with code 0') }),
      ]);
    } finally {
      await srv.close();
    }
  });

  test('apply_patch (its file-edit tool, freeform) adds then updates a file: file_change items', async () => {
    const srv = await startResponsesServer({
      turns: [
        applyPatch('*** Begin Patch\n*** Add File: notes.txt\n+one\n+two\n*** End Patch\n'),
        applyPatch('*** Begin Patch\n*** Update File: notes.txt\n@@\n one\n-two\n+zwei\n*** End Patch\n'),
        finalText('Patched.'),
      ],
    });
    const repo = tempRepo();
    try {
      const r = await run(srv.url, repo, { prompt: 'edit notes.txt' });
      expect(r.code).toBe(0);
      expect(readFileSync(path.join(repo, 'notes.txt'), 'utf8')).toBe('one\nzwei\n');
      const changes = jsonLines(r.stdout)
        .filter((e) => e.type === 'item.completed' && e.item.type === 'file_change')
        .map((e) => e.item.changes.map((c: { kind: string }) => c.kind));
      expect(changes).toEqual([['add'], ['update']]);
      expect(toolOutputs(srv.mainRequests()[2]).at(-1)?.output).toContain(
        'Success. Updated the following files:\nM notes.txt',
      );
    } finally {
      await srv.close();
    }
  });

  test('read-only sandbox: the write fails in the sandbox, the patch is rejected, the run still exits 0', async () => {
    const srv = await startResponsesServer({
      turns: [
        writeFile('hello.txt', 'hi\n'),
        applyPatch('*** Begin Patch\n*** Add File: p.txt\n+x\n*** End Patch\n'),
        finalText('Could not write.'),
      ],
    });
    const repo = tempRepo();
    try {
      const r = await run(srv.url, repo, { sandbox: 'read-only' });
      expect(r.code).toBe(0);
      expect(existsSync(path.join(repo, 'hello.txt'))).toBe(false);
      expect(existsSync(path.join(repo, 'p.txt'))).toBe(false);
      const main = srv.mainRequests();
      expect(toolOutputs(main[1]).at(-1)?.output).toContain('Read-only file system');
      expect(toolOutputs(main[2]).at(-1)?.output).toContain('patch rejected: writing is blocked by read-only sandbox');
      // the JSONL shows neither refusal as a failure: the turn completes with the agent's message (Codex
      // sometimes also reports the failed command as an item of its own, sometimes not)
      const events = jsonLines(r.stdout);
      expect(events.map((e) => e.type)).not.toContain('turn.failed');
      expect(events.slice(0, 2).map((e) => e.type)).toEqual(['thread.started', 'turn.started']);
      expect(events.slice(-2).map((e) => [e.type, e.item?.type ?? null])).toEqual([
        ['item.completed', 'agent_message'],
        ['turn.completed', null],
      ]);
      for (const e of events.filter((x) => x.item?.type === 'command_execution' && x.type === 'item.completed'))
        expect(e.item.exit_code).not.toBe(0);
    } finally {
      await srv.close();
    }
  });

  // Provider retries off in config.toml; the message is in the `error` and `turn.failed` events.
  test.each<[FailureKind, string]>([
    ['auth', 'unexpected status 401 Unauthorized: Incorrect API key provided'],
    ['rate-limit', 'exceeded retry limit, last status: 429 Too Many Requests'],
    ['usage-limit', 'Quota exceeded. Check your plan and billing details.'],
    ['server-error', 'We’re currently experiencing high demand, which may cause temporary errors.'],
  ])('provider %s: exit 1 and turn.failed', async (failure, message) => {
    const srv = await startResponsesServer({ failure, turns: [] });
    try {
      const r = await run(srv.url, tempRepo(), { retries: 0 });
      expect(r.code).toBe(1);
      const events = jsonLines(r.stdout);
      const failed = events.find((e) => e.type === 'turn.failed');
      expect(failed?.error.message).toContain(message);
      expect(events.filter((e) => e.type === 'error').map((e) => e.message)).toEqual([failed.error.message]);
      expect(srv.mainRequests()).toHaveLength(1);
    } finally {
      await srv.close();
    }
  });

  test('retries: a 401 is retried as the provider retry settings allow ("Reconnecting... n/N" error events; the defaults make 5)', async () => {
    const srv = await startResponsesServer({ failure: 'auth', turns: [] });
    try {
      const r = await run(srv.url, tempRepo(), { retries: 1 });
      expect(r.code).toBe(1);
      const errors = jsonLines(r.stdout)
        .filter((e) => e.type === 'error')
        .map((e) => e.message);
      expect(errors[0]).toMatch(/^Reconnecting\.\.\. 1\/1 \(unexpected status 401 Unauthorized/);
      expect(srv.mainRequests()).toHaveLength(2);
    } finally {
      await srv.close();
    }
  });

  test('provider down: Codex keeps reconnecting ("waiting for network") and does not exit on its own', async () => {
    // Killed after its second reconnect message: with retries set to 0 it still does not give up.
    const r = await run(await downUrl(), tempRepo(), {
      retries: 0,
      killWhen: ({ stdout }) => stdout.split('waiting for network').length > 2,
    });
    expect(r.killedByTest).toBe(true);
    const errors = jsonLines(r.stdout).filter((e) => e.type === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors[0].message).toBe('Reconnecting... waiting for network (Connection failed: error sending request)');
  });

  test('a hanging provider: Codex still waits 3 s after its request, no output after turn.started (killed by the test)', async () => {
    const srv = await startResponsesServer({ failure: 'hang', turns: [] });
    try {
      const r = await run(srv.url, tempRepo(), {
        retries: 0,
        killWhen: afterCount(() => srv.mainRequests().length, 1, 3000),
      });
      expect(r.killedByTest).toBe(true);
      expect(jsonLines(r.stdout).map((e) => e.type)).toEqual(['thread.started', 'turn.started']);
      expect(srv.mainRequests()).toHaveLength(1);
    } finally {
      await srv.close();
    }
  });

  test('a stream that stalls after response.created: stream_idle_timeout_ms ends it (exit 1, "idle timeout waiting for SSE")', async () => {
    const srv = await startResponsesServer({ failure: 'hang-mid-stream', turns: [] });
    try {
      const r = await run(srv.url, tempRepo(), { retries: 0, streamIdleTimeoutMs: 1500 });
      expect(r.killedByTest).toBe(false);
      expect(r.code).toBe(1);
      expect(jsonLines(r.stdout).find((e) => e.type === 'turn.failed')?.error.message).toBe(
        'stream disconnected before completion: idle timeout waiting for SSE',
      );
    } finally {
      await srv.close();
    }
  });
});
