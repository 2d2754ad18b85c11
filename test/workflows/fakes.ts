import { randomUUID } from 'node:crypto';
import type { Activities } from '../../src/activities';
import { explicitVerdict } from '../../src/shared/verdict';
import type { PipelineSettings } from '../../src/shared/contracts/pipeline';
import type { FinishTaskInput, RunAgentTaskResult, TaskSpec } from '../../src/shared/contracts/task';

/** Shared pieces of the workflow tests (not a test file itself). */

export type Fakes = Partial<Activities>;

/**
 * Settings for one test: projectRoot/stateDir are unique so fakes can tell the tests apart; nothing touches the disk.
 */
export function settingsFor(scope: string, overrides: Partial<PipelineSettings> = {}): PipelineSettings {
  const root = `/nonexistent/nightshift-wf-test/${scope}`;
  return {
    projectRoot: root,
    stateDir: `${root}/.nightshift`,
    metricsFile: `${root}/.nightshift/logs/metrics.jsonl`,
    productBacklog: 'specs/006-overnight-backlog.md',
    metaBacklog: 'specs/007-meta-pipeline-backlog.md',
    metaRatio: 0,
    agent: {
      name: 'command',
      argvTemplate: ['x'],
      modelByType: { spec: 'm', impl: 'm', test: 'm', review: 'm', heal: 'm' },
    },
    maxIterations: 5,
    testCommand: null,
    taskTimeoutSeconds: 60,
    backlogPollSeconds: 1,
    continueAsNewEvents: 2000,
    heartbeatTimeoutSeconds: 60,
    autoCommit: false,
    autoPush: false,
    parallelItems: 1,
    baseBranch: null,
    specCoverage: 'docs/SPEC-COVERAGE.md',
    ...overrides,
  };
}

let clock = Date.parse('2026-03-10T12:00:00.000Z');

/** A result as the real runAgentTask builds it (verdict and decision prompt from the output's lines). */
export function agentResult(
  output: string,
  opts: { status?: 'completed' | 'failed'; exitCode?: number | null; durationSeconds?: number } = {},
): RunAgentTaskResult {
  const startedAt = new Date((clock += 1000)).toISOString();
  const finishedAt = new Date((clock += 1000)).toISOString();
  const decisionPrompt = /^\s*NEEDS_DECISION:\s*(.+?)\s*$/m.exec(output)?.[1] ?? null;
  const status = decisionPrompt ? 'needs_decision' : (opts.status ?? 'completed');
  return {
    status,
    output,
    exitCode: opts.exitCode !== undefined ? opts.exitCode : status === 'completed' ? 0 : 1,
    durationSeconds: opts.durationSeconds ?? 1,
    startedAt,
    finishedAt,
    timedOut: false,
    verdict: explicitVerdict(output),
    decisionPrompt,
    outputChars: output.replace(/\s+/g, '').length,
  };
}

/** Output that passes every phase: a verdict for review, a plain line otherwise. */
export function passingOutput(task: TaskSpec): string {
  return task.task_type === 'review' ? 'VERDICT: pass\nlooks good' : `${task.task_type} done for ${task.item_key}`;
}

export interface TaskLog {
  tasks: TaskSpec[];
  finished: FinishTaskInput[];
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
