import {
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { buildDirection } from '../shared/directions';
import { PHASE_ATTRIBUTE } from '../shared/search-attributes';
import {
  credentialRejectedSignal,
  itemStatusQuery,
  itemWaitingSignal,
  pauseSignal,
  rateLimitedSignal,
  resumeSignal,
  stopSignal,
} from '../shared/messages';
import type { ItemInput, ItemPosition, ItemResult, ItemStatusView, Phase, TaskSpec } from '../shared/types';
import { judgeValidation } from './item-validation';
import { newTaskId } from './task-id';
import { itemTextSteps, runSteps } from './steps';
import { handleDecisions, runTaskToEnd, withDecision, type DecisionWait } from './task-runner';

const NEXT_PHASE: Record<Phase, Phase | 'validate'> = {
  spec: 'impl',
  impl: 'test',
  test: 'review',
  review: 'validate',
};

/** Items started before this change wrote each record before the next task; they replay that way. */
const RECORD_BESIDE_NEXT_TASK = 'record-beside-next-task';

/** One backlog item through spec → impl → test → review → validation, with the fix loop. */
export async function itemWorkflow(input: ItemInput): Promise<ItemResult> {
  const s = input.settings;
  const steps = runSteps(s);
  const state = {
    phase: input.resume?.phase ?? ('spec' as Phase),
    iteration: input.resume?.iteration ?? 1,
    lastOutput: input.resume?.lastOutput ?? '',
    paused: input.paused ?? false,
    stopRequested: false,
    tasksRun: 0,
    currentTask: null as ItemStatusView['currentTask'],
    specOutput: '',
    /** A decision to carry into the next direction of the same phase. */
    decided: null as { prompt: string; decision: string } | null,
    /** The task to run again (same id) after a usage limit reset. */
    again: null as TaskSpec | null,
  };
  const wait: DecisionWait = { waiting: null, decision: null };
  let workDir = input.workDir ?? s.projectRoot;
  // In a worktree every task is committed: the item's branch is what gets merged.
  let commitTasks = s.autoCommit || workDir !== s.projectRoot;
  setHandler(itemStatusQuery, () => ({
    itemKey: input.itemKey,
    itemText: input.itemText,
    phase: state.phase,
    iteration: state.iteration,
    paused: state.paused,
    stopRequested: state.stopRequested,
    currentTask: state.currentTask,
    waiting: wait.waiting,
  }));
  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => void (state.paused = false));
  setHandler(stopSignal, () => void (state.stopRequested = true));
  handleDecisions(wait);

  const parent = workflowInfo().parent;
  const tellParent = async (waiting: boolean) => {
    if (parent)
      await getExternalWorkflowHandle(parent.workflowId)
        .signal(itemWaitingSignal, { itemKey: input.itemKey, waiting })
        .catch(() => undefined);
  };
  const tellRateLimited = async (until: string) => {
    if (parent)
      await getExternalWorkflowHandle(parent.workflowId)
        .signal(rateLimitedSignal, { itemKey: input.itemKey, until })
        .catch(() => undefined);
  };
  const tellCredentialRejected = async (message: string) => {
    state.paused = true; // this item waits for `resume` too, whatever the pipeline does
    if (parent)
      await getExternalWorkflowHandle(parent.workflowId)
        .signal(credentialRejectedSignal, { itemKey: input.itemKey, message })
        .catch(() => undefined);
  };
  const position = (): ItemPosition => ({
    phase: state.phase,
    iteration: state.iteration,
    lastOutput: state.lastOutput,
  });
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
    if (state.iteration + 1 > s.maxIterations)
      return end('failed', `still failing after ${s.maxIterations} iterations: ${state.lastOutput.slice(-200)}`);
    state.iteration += 1;
    state.phase = 'impl';
    return null;
  };

  // A finished task's record (snapshot + metrics line) is written beside the next task's agent run, not before it:
  // the hand-off between tasks is then one workflow task, like a plain sequence of activities.
  const recordBesideNext = patched(RECORD_BESIDE_NEXT_TASK);
  if (input.ownWorktree && s.baseBranch) {
    // Done here, not by the pipeline, so items prepare their worktrees side by side instead of one by one in its loop.
    workDir = (
      await steps.project.prepareWorktree({
        projectRoot: s.projectRoot,
        stateDir: s.stateDir,
        itemKey: input.itemKey,
        baseBranch: s.baseBranch,
      })
    ).path;
    commitTasks = true;
  }
  // A long text came as an excerpt (a backlog read is one bounded payload): directions are built from the whole text.
  // Only items started with an excerpt take this step, so runs recorded before it replay unchanged.
  let itemText = input.itemText;
  if (input.itemTextExcerptOf) {
    const whole = await itemTextSteps.readItemText({
      projectRoot: s.projectRoot,
      stateDir: s.stateDir,
      productBacklog: s.productBacklog,
      metaBacklog: s.metaBacklog,
      metaRatio: s.metaRatio,
      itemKey: input.itemKey,
    });
    if (whole.text === null)
      return end('failed', `the whole text of ${input.itemKey} is no longer kept nor in the backlog`);
    itemText = whole.text;
  }
  let recording: Promise<unknown> = Promise.resolve();
  const result = await runPhases();
  await recording; // every task is recorded before the item reports its end
  return result;

  async function runPhases(): Promise<ItemResult> {
    // The item starts with its phase as a search attribute; each change is one history event.
    let shownPhase: Phase = state.phase;
    for (;;) {
      await condition(() => !state.paused || state.stopRequested);
      if (state.stopRequested) return end('stopped', 'stop requested');
      if (s.searchAttributes && state.phase !== shownPhase) {
        upsertSearchAttributes([{ key: PHASE_ATTRIBUTE, value: state.phase }]);
        shownPhase = state.phase;
      }
      const base = buildDirection(state.phase, itemText, state.iteration, state.lastOutput);
      const task: TaskSpec = state.again ?? {
        id: newTaskId(),
        task_type: state.phase,
        direction: state.decided ? withDecision(base, state.decided.prompt, state.decided.decision) : base,
        model: `${s.agent.name}/${s.agent.modelByType[state.phase]}`,
        item_key: input.itemKey,
        iteration: state.iteration,
        created_at: new Date().toISOString(),
      };
      state.decided = null;
      state.again = null;
      state.currentTask = { ...task, status: 'running', started_at: null };
      const ended = await runTaskToEnd(
        {
          settings: s,
          steps,
          workDir,
          commit: commitTasks,
          summary: input.itemText,
          workflowId: workflowInfo().workflowId,
          wait,
          shouldStop: () => state.stopRequested,
          onWaiting: tellParent,
          onRateLimited: tellRateLimited,
          onCredentialRejected: tellCredentialRejected,
          recordBesideNext,
          previousRecords: recording,
        },
        task,
      );
      state.currentTask = null;
      if (ended.kind === 'finished') recording = ended.recorded; // chained on the earlier records
      if (ended.kind === 'rate_limited' || ended.kind === 'credential_rejected') {
        state.again = task; // the same task, once the limit has reset or the pipeline is resumed
        continue;
      }
      state.tasksRun += 1;
      if (ended.kind === 'decided') {
        state.decided = { prompt: ended.prompt, decision: ended.decision }; // same phase again, with the answer
        continue;
      }
      if (ended.kind === 'decision_timeout')
        return end('failed', `no decision for task ${task.id} within ${s.needsDecisionTimeoutHours} h`);
      if (ended.kind === 'stopped_waiting') return end('stopped', 'stop requested while waiting for a decision');
      const result = ended.result;
      if (state.phase === 'spec' && result.status === 'completed') state.specOutput = result.output;
      // No retry or fix can change a failure such as an agent binary that is missing: the item ends now.
      if (result.status === 'failed' && result.fatal) return end('failed', result.fatal);
      if (result.status === 'failed') {
        const failed = fail(result.output);
        if (failed) return failed;
        continue;
      }
      const next = NEXT_PHASE[state.phase];
      if (next !== 'validate') {
        state.phase = next;
        continue;
      }
      const tests = s.testCommand
        ? await steps.tests.runTestCommand({
            projectRoot: workDir,
            argv: s.testCommand,
            timeoutSeconds: s.taskTimeoutSeconds,
          })
        : null;
      const verdict = judgeValidation(result, tests);
      log.info('validation', { item: input.itemKey, passed: verdict.passed, feedback: verdict.feedback.slice(0, 120) });
      if (verdict.passed) return end('passed', 'passed validation', tests?.ok ?? false);
      const failed = fail(verdict.feedback);
      if (failed) return failed;
    }
  }
}
