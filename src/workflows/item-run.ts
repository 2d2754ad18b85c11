import { getExternalWorkflowHandle, log, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { buildDirection } from '../shared/directions';
import { credentialRejectedSignal, itemWaitingSignal, rateLimitedSignal } from '../shared/messages';
import { PHASE_ATTRIBUTE } from '../shared/search-attributes';
import type {
  ItemInput,
  ItemPosition,
  ItemResult,
  ItemStatusView,
  PipelineSettings,
  RunTestCommandResult,
} from '../shared/contracts/pipeline';
import type { Phase, RunAgentTaskResult, TaskSpec } from '../shared/contracts/task';
import { judgeValidation } from './item-validation';
import { itemTextSteps, runSteps, type RunSteps } from './steps';
import { newTaskId } from './task-id';
import { withDecision, type DecisionWait, type TaskEnd, type TaskRunContext } from './task-runner';

const NEXT_PHASE: Record<Phase, Phase | 'validate'> = {
  spec: 'impl',
  impl: 'test',
  test: 'review',
  review: 'validate',
};

/** What the item does after a task: run the next task, validate, or end with this result. */
export type NextStep = 'next' | 'validate' | ItemResult;

/**
 * The state of one item's run and what its loop and handlers do with it. The loop's awaits stay in the workflow
 * function: these methods are synchronous, or return the one activity the loop awaits, so that a finished task's
 * record keeps its place beside the next task's agent run.
 */
export class ItemRun {
  readonly s: PipelineSettings;
  readonly steps: RunSteps;
  phase: Phase;
  iteration: number;
  lastOutput: string;
  paused: boolean;
  stopRequested = false;
  tasksRun = 0;
  currentTask: ItemStatusView['currentTask'] = null;
  specOutput = '';
  /** A decision to carry into the next direction of the same phase. */
  decided: { prompt: string; decision: string } | null = null;
  /** The task to run again (same id) after a usage limit reset. */
  again: TaskSpec | null = null;
  readonly wait: DecisionWait = { waiting: null, decision: null };
  workDir: string;
  /** In a worktree every task is committed: the item's branch is what gets merged. */
  commitTasks: boolean;
  itemText: string;
  /** A finished task's record is written beside the next task's agent run (see `RECORD_BESIDE_NEXT_TASK`). */
  recordBesideNext = false;
  /** Finished tasks whose records finishTask is still writing. */
  private unrecorded = 0;
  /** The records of the finished tasks, chained in task order. */
  recording: Promise<unknown> = Promise.resolve();
  /** The item starts with its phase as a search attribute; each change is one history event. */
  private shownPhase: Phase;
  private readonly parent = workflowInfo().parent;

  constructor(private readonly input: ItemInput) {
    this.s = input.settings;
    this.steps = runSteps(this.s);
    this.phase = input.resume?.phase ?? 'spec';
    this.iteration = input.resume?.iteration ?? 1;
    this.lastOutput = input.resume?.lastOutput ?? '';
    this.paused = input.paused ?? false;
    this.workDir = input.workDir ?? this.s.projectRoot;
    this.commitTasks = this.s.autoCommit || this.workDir !== this.s.projectRoot;
    this.itemText = input.itemText;
    this.shownPhase = this.phase;
  }

  status(): ItemStatusView {
    return {
      itemKey: this.input.itemKey,
      itemText: this.input.itemText,
      phase: this.phase,
      iteration: this.iteration,
      paused: this.paused,
      stopRequested: this.stopRequested,
      currentTask: this.currentTask,
      waiting: this.wait.waiting,
    };
  }

  preparesOwnWorktree(): boolean {
    return !!this.input.ownWorktree && !!this.s.baseBranch;
  }

  prepareWorktree() {
    return this.steps.project.prepareWorktree({
      projectRoot: this.s.projectRoot,
      stateDir: this.s.stateDir,
      itemKey: this.input.itemKey,
      baseBranch: this.s.baseBranch!,
    });
  }

  inOwnWorktree(path: string): void {
    this.workDir = path;
    this.commitTasks = true;
  }

  readWholeText() {
    const s = this.s;
    return itemTextSteps.readItemText({
      projectRoot: s.projectRoot,
      stateDir: s.stateDir,
      productBacklog: s.productBacklog,
      metaBacklog: s.metaBacklog,
      metaRatio: s.metaRatio,
      itemKey: this.input.itemKey,
    });
  }

  /** The next task: the one to run again, or a new one of the current phase (with the decision it asked for). */
  nextTask(): TaskSpec {
    const s = this.s;
    if (s.searchAttributes && this.phase !== this.shownPhase) {
      upsertSearchAttributes([{ key: PHASE_ATTRIBUTE, value: this.phase }]);
      this.shownPhase = this.phase;
    }
    const base = buildDirection(this.phase, this.itemText, this.iteration, this.lastOutput);
    const task: TaskSpec = this.again ?? {
      id: newTaskId(),
      task_type: this.phase,
      direction: this.decided ? withDecision(base, this.decided.prompt, this.decided.decision) : base,
      model: `${s.agent.name}/${s.agent.modelByType[this.phase]}`,
      item_key: this.input.itemKey,
      iteration: this.iteration,
      created_at: new Date().toISOString(),
    };
    this.decided = null;
    this.again = null;
    this.currentTask = { ...task, status: 'running', started_at: null };
    return task;
  }

  taskContext(): TaskRunContext {
    return {
      settings: this.s,
      steps: this.steps,
      workDir: this.workDir,
      commit: this.commitTasks,
      summary: this.input.itemText,
      workflowId: workflowInfo().workflowId,
      wait: this.wait,
      shouldStop: () => this.stopRequested,
      onWaiting: this.tellParent,
      onRateLimited: this.tellRateLimited,
      onCredentialRejected: this.tellCredentialRejected,
      recordBesideNext: this.recordBesideNext,
      previousRecords: this.recording,
      recordsPending: () => this.unrecorded > 0,
    };
  }

  /** The task's record joins the chain (it was chained on the earlier ones); until it is written, the next task's
   * record is finishTask's too, after it. */
  private followRecord(recorded: Promise<void>): void {
    this.recording = recorded;
    this.unrecorded += 1;
    const written = () => void (this.unrecorded -= 1);
    void recorded.then(written, written); // a failed record is reported where the item awaits the chain
  }

  /** How a task ended decides what comes next. */
  afterTask(task: TaskSpec, ended: TaskEnd): NextStep {
    this.currentTask = null;
    // A usage limit or a refused credential ran no task: the same one runs again.
    if (ended.kind !== 'rate_limited' && ended.kind !== 'credential_rejected') this.tasksRun += 1;
    switch (ended.kind) {
      case 'finished':
        this.followRecord(ended.recorded);
        return this.advance(ended.result);
      case 'rate_limited':
      case 'credential_rejected':
        this.again = task; // the same task, once the limit has reset or the pipeline is resumed
        return 'next';
      case 'decided':
        this.decided = { prompt: ended.prompt, decision: ended.decision }; // same phase again, with the answer
        return 'next';
      case 'decision_timeout':
        return this.end('failed', `no decision for task ${task.id} within ${this.s.needsDecisionTimeoutHours} h`);
      case 'stopped_waiting':
        return this.end('stopped', 'stop requested while waiting for a decision');
    }
  }

  private advance(result: RunAgentTaskResult): NextStep {
    if (this.phase === 'spec' && result.status === 'completed') this.specOutput = result.output;
    // No retry or fix can change a failure such as an agent binary that is missing: the item ends now.
    if (result.status === 'failed' && result.fatal) return this.end('failed', result.fatal);
    if (result.status === 'failed') return this.fail(result.output) ?? 'next';
    const next = NEXT_PHASE[this.phase];
    if (next === 'validate') return 'validate';
    this.phase = next;
    return 'next';
  }

  runTests() {
    return this.steps.tests.runTestCommand({
      projectRoot: this.workDir,
      argv: this.s.testCommand!,
      timeoutSeconds: this.s.taskTimeoutSeconds,
    });
  }

  /** The review passed: the item passes if validation does, else it goes back to impl. */
  judge(result: RunAgentTaskResult, tests: RunTestCommandResult | null): ItemResult | 'next' {
    const verdict = judgeValidation(result, tests);
    log.info('validation', {
      item: this.input.itemKey,
      passed: verdict.passed,
      feedback: verdict.feedback.slice(0, 120),
    });
    if (verdict.passed) return this.end('passed', 'passed validation', tests?.ok ?? false);
    return this.fail(verdict.feedback) ?? 'next';
  }

  private position(): ItemPosition {
    return { phase: this.phase, iteration: this.iteration, lastOutput: this.lastOutput };
  }

  end(outcome: ItemResult['outcome'], reason: string, testsPassed = false): ItemResult {
    return {
      outcome,
      iteration: this.iteration,
      tasksRun: this.tasksRun,
      position: outcome === 'stopped' ? this.position() : null,
      reason,
      testsPassed,
      specOutput: this.specOutput,
    };
  }

  /** A failed task or validation: the fix loop goes on in impl, or the item fails once the iterations run out. */
  private fail(why: string): ItemResult | null {
    this.lastOutput = why.slice(-300);
    if (this.iteration + 1 > this.s.maxIterations)
      return this.end(
        'failed',
        `still failing after ${this.s.maxIterations} iterations: ${this.lastOutput.slice(-200)}`,
      );
    this.iteration += 1;
    this.phase = 'impl';
    return null;
  }

  private readonly tellParent = async (waiting: boolean) => {
    if (this.parent)
      await getExternalWorkflowHandle(this.parent.workflowId)
        .signal(itemWaitingSignal, { itemKey: this.input.itemKey, waiting })
        .catch(() => undefined);
  };

  private readonly tellRateLimited = async (until: string) => {
    if (this.parent)
      await getExternalWorkflowHandle(this.parent.workflowId)
        .signal(rateLimitedSignal, { itemKey: this.input.itemKey, until })
        .catch(() => undefined);
  };

  private readonly tellCredentialRejected = async (message: string) => {
    this.paused = true; // this item waits for `resume` too, whatever the pipeline does
    if (this.parent)
      await getExternalWorkflowHandle(this.parent.workflowId)
        .signal(credentialRejectedSignal, { itemKey: this.input.itemKey, message })
        .catch(() => undefined);
  };
}
