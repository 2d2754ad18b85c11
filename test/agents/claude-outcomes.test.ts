import { agentCliEnv, describeWithCli } from '../helpers/agent-clis';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  downUrl,
  finalText,
  startAnthropicServer,
  toolResults,
  writeFile,
  type ScriptedServer,
} from '../helpers/model-servers/anthropic';
import { runPresetTask } from './activity-harness';
import { withCliOnPath } from './pipeline-harness';

/**
 * What the real Claude Code CLI does when its model API fails, and what nightshift makes of it. Claude Code
 * retries a failed call 10 times with growing delays by default; CLAUDE_CODE_MAX_RETRIES=1 keeps these short.
 */
describeWithCli('claude', 'Claude Code outcomes (the real CLI, scripted failures)', (cliPath) => {
  let srv: ScriptedServer | undefined;
  afterEach(async () => srv?.close());
  const envFor = (url: string, retries = '1') =>
    withCliOnPath(agentCliEnv('claude', { baseUrl: url, extra: { CLAUDE_CODE_MAX_RETRIES: retries } }).env, cliPath);

  test('when the model API answers 401, then the CLI is stopped at its first retry and the task names the refused credential', async () => {
    srv = await startAnthropicServer({ turns: [], failure: 'auth' });
    // the CLI's default 10 retries: nightshift must not wait them out
    const { result, log } = await runPresetTask('claude', envFor(srv.url, '10'), { timeoutSeconds: 100 });
    expect(result.timedOut).toBe(false);
    expect(result.durationSeconds).toBeLessThan(60); // not a timing claim: 10 retries take minutes, one is seconds
    expect(result.credentialRejected).toMatch(
      /^the model API refused the agent's credential \(ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN\): /,
    );
    expect(result.status).toBe('failed');
    expect(log).toContain('! model API call failed (401 authentication_failed)');
    expect(srv.mainRequests().length).toBeLessThan(4);
  });

  test('when the model API answers 429 until the CLI gives up, then the task is usage-limited (paused), not failed', async () => {
    srv = await startAnthropicServer({ turns: [], failure: 'rate-limit', retryAfterSeconds: 1 });
    const { result } = await runPresetTask('claude', envFor(srv.url), { timeoutSeconds: 90 });
    expect(result.output).toContain('API Error: Request rejected (429)');
    expect(result.rateLimitedUntil).not.toBeNull();
    expect(result.credentialRejected).toBeNull();
  });

  test('when the model API answers 500, then the task fails with the API error and is not held for a credential', async () => {
    srv = await startAnthropicServer({ turns: [], failure: 'server-error' });
    const { result } = await runPresetTask('claude', envFor(srv.url), { timeoutSeconds: 90 });
    expect(result).toMatchObject({
      status: 'failed',
      timedOut: false,
      credentialRejected: null,
      rateLimitedUntil: null,
    });
    expect(result.output).toMatch(/API Error/);
  });

  test('when the model server is down, then the task fails (the fix loop tries again), without a timeout', async () => {
    const { result } = await runPresetTask('claude', envFor(await downUrl()), { timeoutSeconds: 90 });
    expect(result).toMatchObject({ status: 'failed', timedOut: false, credentialRejected: null });
  });

  test('when the model server hangs, then the task times out and its process group is gone', async () => {
    srv = await startAnthropicServer({ turns: [], failure: 'hang' });
    const { result } = await runPresetTask('claude', envFor(srv.url), { timeoutSeconds: 6 });
    expect(result).toMatchObject({ status: 'failed', timedOut: true, exitCode: -9 });
    expect(result.output).toContain('[Timeout 6s]');
  });

  test("when the model writes outside the task's work tree (another item's worktree), then the preset refuses it and the task fails", async () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'nightshift-other-worktree-'));
    const target = path.join(elsewhere, 'stolen.txt');
    srv = await startAnthropicServer({
      turns: [writeFile(target, 'not yours\n'), finalText('Wrote the file as asked.')],
    });
    const { result } = await runPresetTask('claude', envFor(srv.url), { timeoutSeconds: 90 });
    expect(existsSync(target)).toBe(false);
    expect(result.status).toBe('failed');
    expect(result.output).toContain(
      `tool call(s) were refused, so the agent could not act: Write: {"file_path":"${target}"`,
    );
    expect(toolResults(srv.mainRequests()[1]).map((r) => r.is_error)).toEqual([true]);
  });
});
