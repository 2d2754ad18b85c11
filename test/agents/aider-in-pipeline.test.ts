import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { agentCliEnv, describeWithCli } from '../helpers/agent-clis';
import {
  downUrl,
  finalText,
  startChatServer,
  writeFile,
  type ScriptedServer,
  type Turn,
} from '../helpers/model-servers/chat';
import { git, makeProject } from '../helpers/project';
import { runPresetTask } from './activity-harness';
import { ITEM_FILES, phaseOf, runItemWithPreset, withCliOnPath } from './pipeline-harness';

/** A model that answers each phase with an aider SEARCH/REPLACE block creating the phase's file. */
function itemWork(): Turn {
  return (req) => {
    const phase = phaseOf(req);
    if (!phase) return finalText('Nothing to do here.');
    if (phase === 'review') return finalText('Reviewed src/greeting.js against the spec: correct.\nVERDICT: pass');
    const { file, content } = ITEM_FILES[phase];
    return writeFile(file, content, { say: `The ${phase} work: creating ${file}.` });
  };
}

const MODEL = { PIPELINE_AGENT_MODEL: 'openai/gpt-4o' };

describeWithCli('aider', 'aider (the aider preset) in the pipeline', (cliPath) => {
  let srv: ScriptedServer | undefined;
  afterEach(async () => srv?.close());
  const envFor = (url: string) => withCliOnPath(agentCliEnv('aider', { baseUrl: url }).env, cliPath);

  test('when an item runs with PIPELINE_AGENT=aider, then the real CLI applies its edits, each task is committed (nothing of aider in the project), and tokens are recorded', async () => {
    const project = makeProject(['Add a greeting module']);
    srv = await startChatServer({ turns: Array.from({ length: 40 }, () => itemWork()) });
    const run = await runItemWithPreset('aider', envFor(srv.url), MODEL, project);
    expect(run.result).toMatchObject({ itemsPassed: 1, itemsFailed: 0, tasksRun: 4 });
    expect(run.commits.map((c) => [c.subject.split(' ')[1], c.files])).toEqual([
      ['spec', ['specs/greeting.md']],
      ['impl', ['src/greeting.js']],
      ['test', ['test/greeting.test.js']],
    ]);
    // aider's chat history went to the state dir, its repo-map cache is git-excluded, and it left .gitignore alone
    expect(readdirSync(project.root).filter((f) => f.startsWith('.aider'))).toEqual(['.aider.tags.cache.v4']);
    expect(git(project.root, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(existsSync(path.join(project.root, '.gitignore'))).toBe(false);
    expect(readdirSync(path.join(project.root, '.nightshift', 'prompts')).some((f) => f.endsWith('.chat.md'))).toBe(
      true,
    );
    for (const m of run.metrics) {
      expect(m.model).toBe('aider/openai/gpt-4o');
      expect(m.tokens_in).toBeGreaterThan(0);
      expect(m.tokens_out).toBeGreaterThan(0);
    }
    expect(run.log(run.tasks.find((t) => t.task_type === 'impl')!.id)).toContain('Applied edit to src/greeting.js');
  }, 300_000); // aider takes ~15 s a task here (Python and litellm start-up)

  test('when the model API answers 401, then the task names the refused credential', async () => {
    srv = await startChatServer({ turns: [], failure: 'auth' });
    const { result } = await runPresetTask('aider', envFor(srv.url), { timeoutSeconds: 90, env: MODEL });
    expect(result.status).toBe('failed'); // aider itself exits 0
    expect(result.credentialRejected).toMatch(
      /^the model API refused the agent's credential \(ANTHROPIC_API_KEY or OPENAI_API_KEY/,
    );
  });

  // aider retries a 429 or a refused connection with backoff for about a minute; a short task timeout ends it first
  test('when the model API answers 429, then the task is usage-limited, not failed', async () => {
    srv = await startChatServer({ turns: [], failure: 'rate-limit', retryAfterSeconds: 1 });
    const { result } = await runPresetTask('aider', envFor(srv.url), { timeoutSeconds: 15, env: MODEL });
    expect(result.output).toContain('litellm.RateLimitError');
    expect(result.rateLimitedUntil).not.toBeNull();
    expect(result.credentialRejected).toBeNull();
  });

  test('when the model server is down, then the task fails and is not held for a credential', async () => {
    const { result } = await runPresetTask('aider', envFor(await downUrl()), { timeoutSeconds: 15, env: MODEL });
    expect(result.output).toMatch(/litellm\.\w*(Connection|InternalServer)\w*Error/);
    expect(result).toMatchObject({ status: 'failed', credentialRejected: null, rateLimitedUntil: null });
  });
});
