import { condition, isCancellation, log, proxyActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { buildDirection } from '../shared/directions';
import { itemStatusQuery, pauseSignal, resumeSignal, stopSignal } from '../shared/messages';
import type { ItemInput, ItemPosition, ItemResult, ItemStatusView, Phase, PipelineSettings, RunAgentTaskResult, TaskRecord, TaskSpec } from '../shared/types';
import { judgeValidation } from './item-validation';
import { newTaskId } from './task-id';

const NEXT_PHASE: Record<Phase, Phase | 'validate'> = { spec: 'impl', impl: 'test', test: 'review', review: 'validate' };

/** Short local steps: file appends and backlog reads. */
function bookkeeping() {
  return proxyActivities<Activities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
  });
}

/** Git steps (commit, push): bounded, retried; they report failures instead of throwing. */
function gitSteps(s: PipelineSettings) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: `${s.heartbeatTimeoutSeconds} seconds`,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
  });
}

/** The agent run: long, heartbeating; retried when its worker disappears, not when the agent fails. */
function agentRunner(s: PipelineSettings, summary: string) {
  return proxyActivities<Activities>({
    startToCloseTimeout: `${s.taskTimeoutSeconds + 120} seconds`,
    heartbeatTimeout: `${s.heartbeatTimeoutSeconds} seconds`,
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3 },
    summary,
  });
}

/** The validation command: bounded like an agent task. */
function testRunner(s: PipelineSettings) {
  return proxyActivities<Activities>({
    startToCloseTimeout: `${s.taskTimeoutSeconds + 60} seconds`,
    heartbeatTimeout: `${s.heartbeatTimeoutSeconds} seconds`,
    retry: { initialInterval: '5s', maximumAttempts: 2 },
  });
}

/** One backlog item through spec → impl → test → review → validation, with the fix loop. */
export async function itemWorkflow(input: ItemInput): Promise<ItemResult> {
  const s = input.settings;
  const state = {
    phase: input.resume?.phase ?? ('spec' as Phase),
    iteration: input.resume?.iteration ?? 1,
    lastOutput: input.resume?.lastOutput ?? '',
    paused: input.paused ?? false,
    stopRequested: false,
    tasksRun: 0,
    currentTask: null as ItemStatusView['currentTask'],
    specOutput: '',
  };
  const workDir = input.workDir ?? s.projectRoot;
  // In a worktree every task is committed: the item's branch is what gets merged.
  const commitTasks = s.autoCommit || workDir !== s.projectRoot;
  setHandler(itemStatusQuery, () => ({
    itemKey: input.itemKey,
    itemText: input.itemText,
    phase: state.phase,
    iteration: state.iteration,
    paused: state.paused,
    stopRequested: state.stopRequested,
    currentTask: state.currentTask,
  }));
  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => void (state.paused = false));
  setHandler(stopSignal, () => void (state.stopRequested = true));

  const position = (): ItemPosition => ({ phase: state.phase, iteration: state.iteration, lastOutput: state.lastOutput });
  const end = (outcome: ItemResult['outcome'], reason: string, testsPassed = false): ItemResult => ({
    outcome,
    iteration: state.iteration,
    tasksRun: state.tasksRun,
    position: outcome === 'stopped' ? position() : null,
    reason,
    testsPassed,
    specOutput: state.specOutput,
  });
  const fail = (why: string): ItemResult | null => {
    state.lastOutput = why.slice(-300);
    if (state.iteration + 1 > s.maxIterations) return end('failed', `still failing after ${s.maxIterations} iterations: ${state.lastOutput.slice(-200)}`);
    state.iteration += 1;
    state.phase = 'impl';
    return null;
  };

  for (;;) {
    await condition(() => !state.paused || state.stopRequested);
    if (state.stopRequested) return end('stopped', 'stop requested');
    const result = await runTask(input, workDir, commitTasks, state.phase, state.iteration, state.lastOutput, (t) => (state.currentTask = t));
    state.tasksRun += 1;
    if (state.phase === 'spec' && result.status === 'completed') state.specOutput = result.output;
    state.currentTask = null;
    if (result.status === 'failed') {
      const ended = fail(result.output);
      if (ended) return ended;
      continue;
    }
    const next = NEXT_PHASE[state.phase];
    if (next !== 'validate') {
      state.phase = next;
      continue;
    }
    const tests = s.testCommand ? await testRunner(s).runTestCommand({ projectRoot: workDir, argv: s.testCommand, timeoutSeconds: s.taskTimeoutSeconds }) : null;
    const verdict = judgeValidation(result, tests);
    log.info('validation', { item: input.itemKey, passed: verdict.passed, feedback: verdict.feedback.slice(0, 120) });
    if (verdict.passed) return end('passed', 'passed validation', tests?.ok ?? false);
    const ended = fail(verdict.feedback);
    if (ended) return ended;
  }
}

async function runTask(
  input: ItemInput,
  workDir: string,
  commitTasks: boolean,
  phase: Phase,
  iteration: number,
  lastOutput: string,
  onCurrent: (t: ItemStatusView['currentTask']) => void,
): Promise<RunAgentTaskResult> {
  const s = input.settings;
  const task: TaskSpec = {
    id: newTaskId(),
    task_type: phase,
    direction: buildDirection(phase, input.itemText, iteration, lastOutput),
    model: `${s.agent.name}/${s.agent.modelByType[phase]}`,
    item_key: input.itemKey,
    iteration,
    created_at: new Date().toISOString(),
  };
  onCurrent({ ...task, status: 'running', started_at: null });
  setCurrentDetails(`**${phase}** (iteration ${iteration}) — task \`${task.id}\`\n\n${input.itemText}`);
  let result: RunAgentTaskResult;
  try {
    result = await agentRunner(s, `${phase} #${iteration}: ${input.itemText.slice(0, 120)}`).runAgentTask({
      task,
      projectRoot: workDir,
      stateDir: s.stateDir,
      agent: s.agent,
      timeoutSeconds: s.taskTimeoutSeconds,
    });
  } catch (err) {
    if (isCancellation(err)) throw err;
    // Retries exhausted (the worker kept dying, or the activity itself broke): the task failed.
    const now = new Date().toISOString();
    const message = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err);
    result = { status: 'failed', output: `[Pipeline] Task could not run: ${message}`, exitCode: null, durationSeconds: 0, startedAt: now, finishedAt: now, timedOut: false, verdict: null };
  }
  const commit =
    commitTasks && result.status === 'completed'
      ? await gitSteps(s).commitTask({ cwd: workDir, taskId: task.id, taskType: task.task_type, direction: task.direction, push: s.autoPush })
      : null;
  const record: TaskRecord = {
    ...task,
    status: result.status,
    started_at: result.startedAt,
    finished_at: result.finishedAt,
    output: result.output,
    exit_code: result.exitCode,
    decision_prompt: null,
    decision: null,
    commit_sha: commit?.sha ?? null,
    push_error: commit?.pushError ?? commit?.error ?? null,
  };
  await bookkeeping().finishTask({ stateDir: s.stateDir, metricsFile: s.metricsFile, task: record, durationSeconds: result.durationSeconds });
  return result;
}
