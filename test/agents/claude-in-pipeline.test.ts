import path from 'node:path';
import { agentCliEnv, describeWithCli } from '../helpers/agent-clis';
import { finalText, readFile, startAnthropicServer, toolResults, writeFile, type ScriptedServer, type Turn } from '../helpers/model-servers/anthropic';
import { makeProject } from '../helpers/project';
import { ITEM_FILES, phaseOf, runItemWithPreset, withCliOnPath } from './pipeline-harness';

/** A model that does each phase's work with Claude Code's own tools, then answers with text (and a verdict). */
function itemWork(root: string): Turn {
  return (req) => {
    const phase = phaseOf(req);
    if (!phase) return finalText('Nothing to do here.');
    if (toolResults(req).length) return finalText(phase === 'review' ? 'Reviewed src/greeting.js against the spec: correct.\nVERDICT: pass' : `The ${phase} work is done and saved.`);
    if (phase === 'review') return readFile(path.join(root, 'src/greeting.js'));
    const { file, content } = ITEM_FILES[phase];
    return writeFile(path.join(root, file), content);
  };
}

describeWithCli('claude', 'Claude Code (the claude preset) in the pipeline', (cliPath) => {
  let srv: ScriptedServer;
  afterEach(async () => srv?.close());

  test('when an item runs with PIPELINE_AGENT=claude, then the real CLI edits the files, each task is committed, and tokens and cost are recorded', async () => {
    const project = makeProject(['Add a greeting module']);
    srv = await startAnthropicServer({ turns: Array.from({ length: 40 }, () => itemWork(project.root)) });
    const env = withCliOnPath(agentCliEnv('claude', { baseUrl: srv.url }).env, cliPath);
    const run = await runItemWithPreset('claude', env, {}, project);

    expect(run.result).toMatchObject({ itemsPassed: 1, itemsFailed: 0, tasksRun: 4 });
    // spec, impl and test wrote a file each; the review changed nothing, so it has no commit
    expect(run.commits.map((c) => [c.subject.split(' ')[1], c.files])).toEqual([
      ['spec', ['specs/greeting.md']],
      ['impl', ['src/greeting.js']],
      ['test', ['test/greeting.test.js']],
    ]);
    const byType = Object.fromEntries(run.tasks.map((t) => [t.task_type, t]));
    expect(Object.values(byType).map((t) => t.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    for (const t of run.tasks) {
      expect(t.tokens_in).toBeGreaterThan(0);
      expect(t.tokens_out).toBeGreaterThan(0);
      expect(typeof t.cost_usd).toBe('number');
    }
    // the log is the human-readable transcript, not JSON events
    const specLog = run.log(byType.spec.id);
    expect(specLog).toContain(`> Write {"file_path":"${path.join(project.root, 'specs/greeting.md')}"`);
    expect(specLog).toContain('The spec work is done and saved.');
    expect(specLog).not.toContain('"type":"assistant"');
    expect(run.log(byType.review.id)).toContain('VERDICT: pass');
  });

  test('when the CLI is run without its unattended permissions, then the refused write fails the task instead of completing it', async () => {
    const project = makeProject(['Add a greeting module']);
    srv = await startAnthropicServer({ turns: Array.from({ length: 20 }, () => itemWork(project.root)) });
    const env = withCliOnPath(agentCliEnv('claude', { baseUrl: srv.url }).env, cliPath);
    // the old preset's argv: no permission flag
    const run = await runItemWithPreset('claude', env, { PIPELINE_AGENT_COMMAND: 'claude -p {direction} --model {model} --output-format stream-json --verbose', PIPELINE_MAX_ITERATIONS: '1' }, project);
    expect(run.result).toMatchObject({ itemsPassed: 0, itemsFailed: 1 });
    const spec = run.tasks.find((t) => t.task_type === 'spec')!;
    expect(spec.status).toBe('failed');
    expect(spec.output).toContain('tool call(s) were refused, so the agent could not act: Write');
    expect(run.commits).toEqual([]);
    const refused = srv.mainRequests().flatMap(toolResults).filter((r) => r.is_error);
    expect(refused[0]?.content).toMatch(/haven't granted/);
  });
});
