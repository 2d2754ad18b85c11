import { agentCliEnv, describeWithCli } from '../helpers/agent-clis';
import { finalText, startAnthropicServer, type ScriptedServer } from '../helpers/model-servers/anthropic';
import { runCli } from '../helpers/cli';
import { makeProject } from '../helpers/project';
import { testAddress } from '../helpers/temporal';
import { withCliOnPath } from './pipeline-harness';

interface DoctorJson {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
}

describeWithCli('claude', 'nightshift doctor with the real Claude Code', (cliPath) => {
  let srv: ScriptedServer | undefined;
  afterEach(async () => srv?.close());

  const doctor = async (url: string, extra: Record<string, string> = {}) => {
    const project = makeProject(['Add a greeting module']);
    const env = {
      ...withCliOnPath(agentCliEnv('claude', { baseUrl: url, extra: { CLAUDE_CODE_MAX_RETRIES: '1' } }).env, cliPath),
      TEMPORAL_ADDRESS: testAddress(),
      PIPELINE_AGENT: 'claude',
      ...extra,
    };
    const run = await runCli(
      ['doctor', '--probe', '--json', '--project', project.root],
      { ...env, PIPELINE_API_TOKEN: undefined },
      120_000,
    );
    const out = JSON.parse(run.stdout) as DoctorJson;
    return { run, check: (name: string) => out.checks.find((c) => c.name === name) };
  };

  test("when the agent answers, then doctor prints the CLI version against the tested one, the credential, and the probe's answer", async () => {
    srv = await startAnthropicServer({ turns: [finalText('OK')] });
    const { run, check } = await doctor(srv.url);
    expect(check('agent')).toMatchObject({ ok: true });
    expect(check('agent')!.detail).toContain('2.1.197 (Claude Code); tested with 2.1.197');
    expect(check('agent-credential')).toEqual({ name: 'agent-credential', ok: true, detail: 'ANTHROPIC_API_KEY set' });
    expect(check('agent-probe')).toEqual({ name: 'agent-probe', ok: true, detail: 'answered: OK' });
    expect(run.code).toBe(0);
    expect(srv.mainRequests()).toHaveLength(1);
  });

  test('when the key is refused, then the probe fails with the exact error and which credential', async () => {
    srv = await startAnthropicServer({ turns: [], failure: 'auth' });
    const { run, check } = await doctor(srv.url);
    expect(check('agent-probe')!.ok).toBe(false);
    expect(check('agent-probe')!.detail).toMatch(
      /^the model API refused the agent's credential \(ANTHROPIC_API_KEY or [^)]*\): (Invalid API key|.*401)/,
    );
    expect(run.code).toBe(1);
  });

  test('when no credential variable is set, then doctor says which ones the CLI reads', async () => {
    srv = await startAnthropicServer({ turns: [finalText('OK')] });
    const { check } = await doctor(srv.url, { ANTHROPIC_API_KEY: '' });
    expect(check('agent-credential')!.detail).toBe(
      'none of ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_OAUTH_TOKEN is set: the CLI needs one, or its own stored login',
    );
  });
});
