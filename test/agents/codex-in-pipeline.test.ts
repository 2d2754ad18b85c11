import path from 'node:path';
import { agentCliEnv, describeWithCli } from '../helpers/agent-clis';
import {
  downUrl,
  finalText,
  shell,
  shellQuote,
  startResponsesServer,
  toolOutputs,
  type ScriptedServer,
  type Turn,
} from '../helpers/model-servers/responses';
import { makeProject } from '../helpers/project';
import { runPresetTask } from './activity-harness';
import { ITEM_FILES, phaseOf, runItemWithPreset, withCliOnPath } from './pipeline-harness';

/** A model that does each phase's work with Codex's shell tool, then answers with text (and a verdict). */
function itemWork(): Turn {
  return (req) => {
    const phase = phaseOf(req);
    if (!phase) return finalText('Nothing to do here.');
    if (toolOutputs(req).length)
      return finalText(
        phase === 'review'
          ? 'Reviewed src/greeting.js: correct.\nVERDICT: pass'
          : `The ${phase} work is done and saved.`,
      );
    if (phase === 'review') return shell('cat src/greeting.js');
    const { file, content } = ITEM_FILES[phase];
    return shell(`mkdir -p ${path.dirname(file)} && printf '%s' ${shellQuote(content)} > ${file}`);
  };
}

describeWithCli('codex', 'Codex (the codex preset) in the pipeline', (cliPath) => {
  let srv: ScriptedServer | undefined;
  afterEach(async () => srv?.close());
  const envFor = (url: string) =>
    withCliOnPath(
      agentCliEnv('codex', { baseUrl: url, codexRetries: { request: 0, stream: 0, streamIdleTimeoutMs: 5000 } }).env,
      cliPath,
    );

  test('when an item runs with PIPELINE_AGENT=codex, then the real CLI edits the files in its sandbox, each task is committed, and tokens are recorded', async () => {
    const project = makeProject(['Add a greeting module']);
    srv = await startResponsesServer({ turns: Array.from({ length: 40 }, () => itemWork()) });
    const run = await runItemWithPreset('codex', envFor(srv.url), {}, project);
    expect(run.result).toMatchObject({ itemsPassed: 1, itemsFailed: 0, tasksRun: 4 });
    expect(run.commits.map((c) => [c.subject.split(' ')[1], c.files])).toEqual([
      ['spec', ['specs/greeting.md']],
      ['impl', ['src/greeting.js']],
      ['test', ['test/greeting.test.js']],
    ]);
    for (const m of run.metrics) {
      expect(m.model).toBe('codex/gpt-5-codex');
      expect(m.tokens_in).toBeGreaterThan(0);
      expect(m.tokens_out).toBeGreaterThan(0);
    }
    const spec = run.tasks.find((t) => t.task_type === 'spec')!;
    const log = run.log(spec.id);
    expect(log).toContain(`$ `);
    expect(log).toContain('specs/greeting.md');
    expect(log).toContain('The spec work is done and saved.');
    expect(log).not.toContain('"type":"item.completed"');
  });

  test('when the model API answers 401, then the task names the refused credential', async () => {
    srv = await startResponsesServer({ turns: [], failure: 'auth' });
    const { result } = await runPresetTask('codex', envFor(srv.url), { timeoutSeconds: 90 });
    expect(result.status).toBe('failed');
    expect(result.credentialRejected).toMatch(
      /^the model API refused the agent's credential \(OPENAI_API_KEY or CODEX_API_KEY\): /,
    );
  });

  test('when the model API answers 429, then the task is usage-limited, not failed', async () => {
    srv = await startResponsesServer({ turns: [], failure: 'rate-limit' });
    const { result } = await runPresetTask('codex', envFor(srv.url), { timeoutSeconds: 90 });
    expect(result.output).toContain('exceeded retry limit, last status: 429 Too Many Requests');
    expect(result.rateLimitedUntil).not.toBeNull();
    expect(result.credentialRejected).toBeNull();
  });

  test('when the model server is down, then Codex waits for the network until the task times out, and the task fails', async () => {
    const { result } = await runPresetTask('codex', envFor(await downUrl()), { timeoutSeconds: 8 });
    expect(result.output).toContain('Reconnecting... waiting for network');
    expect(result).toMatchObject({
      status: 'failed',
      timedOut: true,
      credentialRejected: null,
      rateLimitedUntil: null,
    });
  });

  test('when the model server hangs, then the task times out', async () => {
    srv = await startResponsesServer({ turns: [], failure: 'hang' });
    const { result } = await runPresetTask('codex', envFor(srv.url), { timeoutSeconds: 6 });
    expect(result).toMatchObject({ status: 'failed', timedOut: true });
  });
});
