import path from 'node:path';
import { createRunAgentTask } from '../../src/activities/agent';
import { startPipeline } from '../../src/cli/commands/start';
import { projectPaths } from '../../src/config';
import { pipelineStatusQuery } from '../../src/shared/messages';
import { signalPipeline } from '../../src/temporal/pipeline-control';
import { agentCliEnv, describeWithCli } from '../helpers/agent-clis';
import {
  finalText,
  readFile,
  startAnthropicServer,
  toolResults,
  writeFile,
  type ScriptedServer,
  type Turn,
} from '../helpers/model-servers/anthropic';
import { makeProject, readJsonl, waitFor } from '../helpers/project';
import { startTestWorker, testClient, testConfig } from '../helpers/temporal';
import { finalTasks, ITEM_FILES, phaseOf, runItemWithPreset, withCliOnPath } from './pipeline-harness';

/** A model that does each phase's work with Claude Code's own tools, then answers with text (and a verdict). */
function itemWork(root: string): Turn {
  return (req) => {
    const phase = phaseOf(req);
    if (!phase) return finalText('Nothing to do here.');
    if (toolResults(req).length)
      return finalText(
        phase === 'review'
          ? 'Reviewed src/greeting.js against the spec: correct.\nVERDICT: pass'
          : `The ${phase} work is done and saved.`,
      );
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
    // each task's metrics line carries what the CLI reported, after the seed's keys
    expect(run.metrics).toHaveLength(4);
    for (const m of run.metrics) {
      expect(Object.keys(m).slice(0, 6)).toEqual([
        'task_id',
        'task_type',
        'model',
        'duration_seconds',
        'status',
        'created_at',
      ]);
      expect(m.model).toBe('claude/sonnet');
      expect(m.tokens_in).toBeGreaterThan(0);
      expect(m.tokens_out).toBeGreaterThan(0);
    }
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
    const run = await runItemWithPreset(
      'claude',
      env,
      {
        PIPELINE_AGENT_COMMAND: 'claude -p {direction} --model {model} --output-format stream-json --verbose',
        PIPELINE_MAX_ITERATIONS: '1',
      },
      project,
    );
    expect(run.result).toMatchObject({ itemsPassed: 0, itemsFailed: 1 });
    const spec = run.tasks.find((t) => t.task_type === 'spec')!;
    expect(spec.status).toBe('failed');
    expect(spec.output).toContain('tool call(s) were refused, so the agent could not act: Write');
    expect(run.commits).toEqual([]);
    const refused = srv
      .mainRequests()
      .flatMap(toolResults)
      .filter((r) => r.is_error);
    expect(refused[0]?.content).toMatch(/haven't granted/);
  });

  test('when the model API refuses the key, then the pipeline pauses saying which credential, records no failure, and goes on after resume', async () => {
    const project = makeProject(['Add a greeting module']);
    srv = await startAnthropicServer({
      turns: Array.from({ length: 40 }, () => itemWork(project.root)),
      failure: 'auth',
    });
    const env = withCliOnPath(agentCliEnv('claude', { baseUrl: srv.url }).env, cliPath);
    const config = testConfig({
      PIPELINE_AGENT: 'claude',
      PIPELINE_META_RATIO: '0',
      PIPELINE_TASK_TIMEOUT_SECONDS: '120',
    });
    const t = testClient(config);
    const worker = await startTestWorker(config, { runAgentTask: createRunAgentTask({ agentEnv: env }) });
    try {
      const paths = projectPaths(config, project.root);
      const started = await startPipeline(t, config, paths, { once: true });
      const handle = t.client.workflow.getHandle(started.workflowId);
      const paused = await waitFor(
        async () => {
          const s = await handle.query(pipelineStatusQuery);
          return s.paused && s.pauseReason ? s : null;
        },
        60_000,
        'the pipeline to pause itself',
      );
      expect(paused.state).toBe('paused');
      expect(paused.pauseReason).toMatch(/^the model API refused the agent's credential \(ANTHROPIC_API_KEY or /);
      // not a failed task: no metrics line, the task is kept pending, and nothing else ran meanwhile
      await new Promise((r) => setTimeout(r, 1500));
      expect(readJsonl(paths.metricsFile)).toEqual([]);
      const held = finalTasks(paths.stateDir);
      expect(held.map((x) => [x.task_type, x.status])).toEqual([['spec', 'pending']]);
      const callsWhilePaused = srv.mainRequests().length;
      await new Promise((r) => setTimeout(r, 1500));
      expect(srv.mainRequests().length).toBe(callsWhilePaused);

      srv.setFailure(null); // the operator fixed the key
      await signalPipeline(t, paths.projectId, 'resume');
      const result = await handle.result();
      expect(result).toMatchObject({ itemsPassed: 1, itemsFailed: 0, tasksRun: 4 });
      const tasks = finalTasks(paths.stateDir);
      expect(tasks.filter((x) => x.task_type === 'spec')).toHaveLength(1); // the same task ran again, not a new one
      expect(tasks.every((x) => x.status === 'completed')).toBe(true);
      expect((await handle.query(pipelineStatusQuery)).pauseReason ?? null).toBeNull();
    } finally {
      await worker.stop();
      await t.close();
    }
  });
});
