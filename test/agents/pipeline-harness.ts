import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRunAgentTask } from '../../src/activities/agent';
import { startPipeline } from '../../src/cli/commands/start';
import { projectPaths, type EnvConfig } from '../../src/config';
import type { PipelineResult } from '../../src/shared/contracts/pipeline';
import type { TaskRecord } from '../../src/shared/contracts/task';
import type { TemporalClient } from '../../src/temporal/connection';
import type { RecordedRequest } from '../helpers/model-servers/core';
import { commitsOn, makeProject, readJsonl, type TempProject } from '../helpers/project';
import { startTestWorker, testClient, testConfig } from '../helpers/temporal';

export type Phase = 'spec' | 'impl' | 'test' | 'review';

const PHASES: [RegExp, Phase][] = [
  [/Write or expand the spec for:/, 'spec'],
  [/Implement per spec:|Fix the issues \(iteration/, 'impl'],
  [/Write and run tests for:/, 'test'],
  [/Review the implementation for:/, 'review'],
];

/** Every text a request carries (system, messages, input items), as one string: where the direction stands. */
export function requestText(req: RecordedRequest): string {
  return JSON.stringify(req.body ?? '');
}

/**
 * The pipeline phase a model request works for, read from the direction the CLI passed on: the direction
 * pattern that stands last in the conversation (a CLI's context also quotes earlier directions, e.g. Claude
 * Code's recent commits, whose subjects are directions).
 */
export function phaseOf(req: RecordedRequest): Phase | null {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const text = JSON.stringify(body.messages ?? body.input ?? body);
  let best: { at: number; phase: Phase } | null = null;
  for (const [re, phase] of PHASES) {
    const all = [...text.matchAll(new RegExp(re.source, 'g'))];
    const at = all.length ? all[all.length - 1].index! : -1;
    if (at >= 0 && (!best || at > best.at)) best = { at, phase };
  }
  return best?.phase ?? null;
}

/** The files the scripted model writes, per phase: a real item's spec, code and test. */
export const ITEM_FILES: Record<Exclude<Phase, 'review'>, { file: string; content: string }> = {
  spec: { file: 'specs/greeting.md', content: '# Greeting\n\n- `greet(name)` returns `Hello, <name>!`\n' },
  impl: { file: 'src/greeting.js', content: 'exports.greet = (name) => `Hello, ${name}!`;\n' },
  test: {
    file: 'test/greeting.test.js',
    content:
      "const assert = require('node:assert');\nassert.strictEqual(require('../src/greeting.js').greet('x'), 'Hello, x!');\n",
  },
};

export interface PipelineRun {
  result: PipelineResult;
  project: TempProject;
  tasks: TaskRecord[];
  metrics: Record<string, unknown>[];
  commits: { subject: string; files: string[] }[];
  log(taskId: string): string;
}

/** Subjects and files of every commit after the initial one, oldest first. */
export function commitsAfterInit(root: string): { subject: string; files: string[] }[] {
  return commitsOn(root, 'HEAD').slice(1);
}

/** The last snapshot of each task in the task store. */
export function finalTasks(stateDir: string): TaskRecord[] {
  const byId = new Map<string, TaskRecord>();
  for (const t of readJsonl<TaskRecord>(path.join(stateDir, 'tasks.jsonl'))) byId.set(t.id, t);
  return [...byId.values()];
}

/**
 * One backlog item through the real pipeline (dev server, worker, git with auto-commit) with a preset agent
 * whose CLI runs in `agentEnv` (its PATH finds the CLI; its variables point it at a scripted model server).
 */
export async function runItemWithPreset(
  agent: string,
  agentEnv: Record<string, string>,
  overrides: Record<string, string> = {},
  project = makeProject(['Add a greeting module']),
): Promise<PipelineRun> {
  const config: EnvConfig = testConfig({
    PIPELINE_AGENT: agent,
    PIPELINE_AUTO_COMMIT: '1',
    PIPELINE_META_RATIO: '0',
    PIPELINE_TASK_TIMEOUT_SECONDS: '120',
    PIPELINE_MAX_ITERATIONS: '2',
    ...overrides,
  });
  const t: TemporalClient = testClient(config);
  const worker = await startTestWorker(config, { runAgentTask: createRunAgentTask({ agentEnv }) });
  try {
    const paths = projectPaths(config, project.root);
    const started = await startPipeline(t, config, paths, { once: true });
    const result = (await t.client.workflow.getHandle(started.workflowId).result()) as PipelineResult;
    return {
      result,
      project,
      tasks: finalTasks(paths.stateDir),
      metrics: readJsonl(paths.metricsFile),
      commits: commitsAfterInit(project.root),
      log: (taskId) => readFileSync(path.join(paths.taskLogsDir, `${taskId}.log`), 'utf8'),
    };
  } finally {
    await worker.stop();
    await t.close();
  }
}

/** PATH with the CLI's own folder first, so the preset's bare `claude` / `codex` / `aider` is the pinned one. */
export function withCliOnPath(env: Record<string, string>, cliPath: string): Record<string, string> {
  return { ...env, PATH: `${path.dirname(cliPath)}${path.delimiter}${env.PATH ?? ''}` };
}
