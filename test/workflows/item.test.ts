import { ApplicationFailure } from '@temporalio/common';
import path from 'node:path';
import { buildDirection } from '../../src/shared/directions';
import { finishedRecordOf, runRecordOf } from '../../src/shared/task-record';
import { itemStatusQuery, pauseSignal, resumeSignal, stopSignal } from '../../src/shared/messages';
import type {
  ItemInput,
  ItemResult,
  PipelineSettings,
  RunTestCommandInput,
  RunTestCommandResult,
} from '../../src/shared/contracts/pipeline';
import type { FinishTaskInput, RunAgentTaskResult, TaskSpec } from '../../src/shared/contracts/task';
import { waitFor } from '../helpers/project';
import { testConfig, useTestWorker } from '../helpers/temporal';
import { agentResult, passingOutput, settingsFor, sleep, uniqueId, type Fakes } from './fakes';

/**
 * itemWorkflow on a real dev server with fake activities: the phase order, the
 * fix loop, failures, validation and the pause/stop signals.
 */

interface Scenario {
  key: string;
  /** The fake agent: gets the task and how many tasks of this item ran before it. */
  agent: (task: TaskSpec, n: number) => RunAgentTaskResult | Promise<RunAgentTaskResult>;
  tests?: (n: number) => RunTestCommandResult;
  tasks: TaskSpec[];
  results: RunAgentTaskResult[];
  finished: FinishTaskInput[];
  testCalls: RunTestCommandInput[];
  /** How long the fake finishTask takes for a task (0 when unset). */
  finishDelayMs?: (task: TaskSpec) => number;
  /** The fake commitTask fails for good, like a step whose every attempt timed out. */
  commitFails?: boolean;
  /** The fake agent step commits a completed run itself when asked to (as the real one does). */
  agentCommits?: boolean;
  /** What each agent step was asked to commit (`commitWhenCompleted`), and how often the commit step ran. */
  commitAsked: ({ push: boolean } | null)[];
  commitSteps: number;
  /** Whether the fake agent step writes a finished task's record itself when asked to (n: tasks before it). */
  agentRecords?: (n: number) => boolean;
  /** Which agent steps were asked to write their record (`recordWhenFinished`), and the records finishTask wrote. */
  recordAsked: boolean[];
  finishSteps: number;
}

const scenarios = new Map<string, Scenario>();

const fakes: Fakes = {
  async runAgentTask(input) {
    const sc = scenarios.get(input.task.item_key ?? '');
    if (!sc) throw ApplicationFailure.nonRetryable(`no scenario for ${input.task.item_key}`);
    const n = sc.tasks.length;
    sc.tasks.push(input.task);
    sc.commitAsked.push(input.commitWhenCompleted ?? null);
    const ran = await sc.agent(input.task, n);
    const commit = { committed: true, sha: `step-sha-${input.task.id}`, skipped: null, pushed: false, pushError: null };
    const result: RunAgentTaskResult =
      sc.agentCommits && input.commitWhenCompleted && ran.status === 'completed'
        ? { ...ran, commit: { ...commit, error: null } }
        : ran;
    sc.recordAsked.push(!!input.recordWhenFinished);
    const finishes = result.status !== 'needs_decision' && !result.rateLimitedUntil;
    if (input.recordWhenFinished && finishes && sc.agentRecords?.(n)) {
      // what the real step writes: the record as the workflow builds it
      const task = finishedRecordOf(
        runRecordOf(input.task, result, input.recordWhenFinished.workflowId),
        result.commit ?? null,
      );
      sc.finished.push({
        stateDir: input.stateDir,
        metricsFile: input.recordWhenFinished.metricsFile,
        task,
        durationSeconds: result.durationSeconds,
      });
      result.recorded = true;
    }
    sc.results.push(result);
    return result;
  },
  async finishTask(input) {
    const sc = scenarios.get(input.task.item_key ?? '');
    if (sc) sc.finishSteps += 1;
    if (sc?.finishDelayMs) await sleep(sc.finishDelayMs(input.task));
    sc?.finished.push(input);
    return { metricsLineWritten: true };
  },
  async commitTask(input) {
    const sc = scenarios.get(path.basename(input.cwd));
    if (sc) sc.commitSteps += 1;
    if (sc?.commitFails) throw ApplicationFailure.nonRetryable('every attempt timed out', 'CommitStepTimeout');
    return { committed: true, sha: `sha-${input.taskId}`, skipped: null, pushed: false, pushError: null, error: null };
  },
  async runTestCommand(input) {
    const sc = scenarios.get(path.basename(input.projectRoot));
    if (!sc?.tests) throw ApplicationFailure.nonRetryable(`no test command fake for ${input.projectRoot}`);
    const n = sc.testCalls.length;
    sc.testCalls.push(input);
    return sc.tests(n);
  },
  async readBacklog() {
    throw ApplicationFailure.nonRetryable('readBacklog is not used by itemWorkflow');
  },
  async recordItemOutcome() {
    throw ApplicationFailure.nonRetryable('recordItemOutcome is not used by itemWorkflow');
  },
};

const config = testConfig();
const fixture = useTestWorker(config, fakes);

function scenario(agent: Scenario['agent'], tests?: Scenario['tests']): Scenario {
  const sc: Scenario = {
    key: uniqueId('item'),
    agent,
    tests,
    tasks: [],
    results: [],
    finished: [],
    testCalls: [],
    commitAsked: [],
    commitSteps: 0,
    recordAsked: [],
    finishSteps: 0,
  };
  scenarios.set(sc.key, sc);
  return sc;
}

const textOf = (sc: Scenario) => `Add the widget endpoint ${sc.key}`;

function inputFor(sc: Scenario, overrides: Partial<PipelineSettings> = {}, extra: Partial<ItemInput> = {}): ItemInput {
  const settings: PipelineSettings = settingsFor(sc.key, overrides);
  return { projectId: 'wftest', itemKey: sc.key, itemText: textOf(sc), settings, ...extra };
}

function start(sc: Scenario, overrides: Partial<PipelineSettings> = {}, extra: Partial<ItemInput> = {}) {
  return fixture.client().client.workflow.start('itemWorkflow', {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: `wf-${sc.key}`,
    args: [inputFor(sc, overrides, extra)],
  });
}

async function runItem(sc: Scenario, overrides: Partial<PipelineSettings> = {}): Promise<ItemResult> {
  return (await fixture.client().client.workflow.execute('itemWorkflow', {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: `wf-${sc.key}`,
    args: [inputFor(sc, overrides)],
  })) as ItemResult;
}

const phasesOf = (sc: Scenario) => sc.tasks.map((task) => `${task.task_type}#${task.iteration}`);
const allPass = (task: TaskSpec, n: number) => agentResult(passingOutput(task), { durationSeconds: 1 + n / 2 });

describe('itemWorkflow', () => {
  test('when every phase completes and review passes, then spec, impl, test and review run once in order with the reference directions', async () => {
    const sc = scenario(allPass);
    const result = await runItem(sc);

    expect(result).toEqual({
      outcome: 'passed',
      iteration: 1,
      tasksRun: 4,
      position: null,
      reason: expect.any(String),
      testsPassed: false,
      specOutput: expect.stringContaining('spec done for'),
    });
    expect(phasesOf(sc)).toEqual(['spec#1', 'impl#1', 'test#1', 'review#1']);
    for (const task of sc.tasks) {
      expect(task.direction).toBe(buildDirection(task.task_type, textOf(sc), 1));
      expect(task.id).toMatch(/^task_[0-9a-f]{16}$/);
      expect(task.model).toBe('command/m');
      expect(task.item_key).toBe(sc.key);
      expect(Number.isNaN(Date.parse(task.created_at))).toBe(false);
    }
    expect(new Set(sc.tasks.map((x) => x.id)).size).toBe(4);

    // finishTask: exactly once per task, in order, with the final record and the agent's duration.
    expect(sc.finished).toHaveLength(4);
    sc.finished.forEach((f, i) => {
      const task = sc.tasks[i];
      const r = sc.results[i];
      expect(f.stateDir).toBe(inputFor(sc).settings.stateDir);
      expect(f.metricsFile).toBe(inputFor(sc).settings.metricsFile);
      expect(f.durationSeconds).toBe(r.durationSeconds);
      expect(f.task).toEqual({
        ...task,
        status: 'completed',
        started_at: r.startedAt,
        finished_at: r.finishedAt,
        output: r.output,
        exit_code: 0,
        decision_prompt: null,
        decision: null,
        commit_sha: null, // auto-commit is off in these settings
        push_error: null,
        workflow_id: expect.stringMatching(/^wf-item-/),
        output_chars: r.output.replace(/\s+/g, '').length,
      });
    });
  });

  test('when a task ends, then its record is scheduled in the same workflow task as the next agent run, and the item ends only once every record is written', async () => {
    // Each agent run outlasts the record before it (as real agents do), so every record is free to leave at once.
    const sc = scenario(async (task, n) => {
      if (n > 0) await sleep(500);
      return allPass(task, n);
    });
    sc.finishDelayMs = (task) => (task.task_type === 'review' ? 1500 : 0);
    const result = await runItem(sc);
    expect(result.outcome).toBe('passed');
    expect(sc.finished.map((f) => f.task.task_type)).toEqual(['spec', 'impl', 'test', 'review']); // the slow last record was awaited

    const { events = [] } = await fixture.client().client.workflow.getHandle(`wf-${sc.key}`).fetchHistory();
    const scheduled = events
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => ({
        type: e.activityTaskScheduledEventAttributes!.activityType!.name,
        by: Number(e.activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId),
      }));
    const runs = scheduled.filter((a) => a.type === 'runAgentTask');
    const records = scheduled.filter((a) => a.type === 'finishTask');
    expect(runs).toHaveLength(4);
    expect(records).toHaveLength(4);
    // Hand-off: task n's record and task n+1's agent leave in one workflow task completion.
    for (let n = 0; n < 3; n++) expect(records[n].by).toBe(runs[n + 1].by);
    const lastRecordDone = events.findIndex(
      (e) =>
        e.activityTaskCompletedEventAttributes &&
        Number(e.activityTaskCompletedEventAttributes.scheduledEventId) ===
          Number(
            events.find(
              (x) =>
                Number(x.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId) === records[3].by &&
                x.activityTaskScheduledEventAttributes?.activityType?.name === 'finishTask',
            )!.eventId,
          ),
    );
    const completed = events.findIndex((e) => e.workflowExecutionCompletedEventAttributes);
    expect(lastRecordDone).toBeGreaterThan(-1);
    expect(completed).toBeGreaterThan(lastRecordDone);
  });

  test('when a record is slow to write, then later tasks run on and every record is still written in task order before the item ends', async () => {
    const sc = scenario(allPass);
    sc.finishDelayMs = (task) => (task.task_type === 'spec' ? 1500 : 0);
    const result = await runItem(sc);
    expect(result.outcome).toBe('passed');
    expect(sc.finished.map((f) => f.task.task_type)).toEqual(['spec', 'impl', 'test', 'review']);
    // impl's agent did not wait for spec's record
    const { events = [] } = await fixture.client().client.workflow.getHandle(`wf-${sc.key}`).fetchHistory();
    const order = events.flatMap((e) => {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      return name ? [name] : [];
    });
    expect(order.slice(0, 3)).toEqual(['runAgentTask', 'finishTask', 'runAgentTask']);
  });

  test('when the first review fails, then a fix impl with the review feedback starts iteration 2 and the item passes after test and review', async () => {
    let reviews = 0;
    const sc = scenario((task, n) => {
      if (task.task_type === 'review')
        return agentResult(++reviews === 1 ? 'VERDICT: fail\nmissing tests' : 'VERDICT: pass');
      return allPass(task, n);
    });
    const result = await runItem(sc);

    expect(result).toMatchObject({ outcome: 'passed', iteration: 2, tasksRun: 7, position: null });
    expect(phasesOf(sc)).toEqual(['spec#1', 'impl#1', 'test#1', 'review#1', 'impl#2', 'test#2', 'review#2']);
    const fix = sc.tasks[4];
    expect(fix.direction.startsWith(`Fix the issues (iteration 2): ${textOf(sc)}. `)).toBe(true);
    expect(fix.direction).toContain('missing tests');
    expect(sc.tasks[5].direction).toBe(buildDirection('test', textOf(sc), 2));
    expect(sc.tasks[6].direction).toBe(buildDirection('review', textOf(sc), 2));
    expect(sc.finished).toHaveLength(7);
  });

  test('when an impl task fails with exit code 1, then the item loops into a fix impl of iteration 2 carrying the failure output', async () => {
    let impls = 0;
    const sc = scenario((task, n) => {
      if (task.task_type === 'impl' && ++impls === 1)
        return agentResult('compile error: widget.ts line 3', { status: 'failed', exitCode: 1 });
      return allPass(task, n);
    });
    const result = await runItem(sc);

    expect(result).toMatchObject({ outcome: 'passed', iteration: 2, tasksRun: 5 });
    expect(phasesOf(sc)).toEqual(['spec#1', 'impl#1', 'impl#2', 'test#2', 'review#2']);
    expect(sc.tasks[2].direction).toMatch(/^Fix the issues \(iteration 2\): /);
    expect(sc.tasks[2].direction).toContain('compile error: widget.ts line 3');
    expect(sc.finished[1].task).toMatchObject({
      id: sc.tasks[1].id,
      status: 'failed',
      exit_code: 1,
      output: 'compile error: widget.ts line 3',
    });
  });

  test('when a spec task fails, then the next task is a fix impl (any phase failure goes to impl), not a spec retry', async () => {
    let specs = 0;
    const sc = scenario((task, n) => {
      if (task.task_type === 'spec' && ++specs === 1)
        return agentResult('agent crashed while writing the spec', { status: 'failed', exitCode: 2 });
      return allPass(task, n);
    });
    const result = await runItem(sc);

    expect(result).toMatchObject({ outcome: 'passed', iteration: 2, tasksRun: 4 });
    expect(phasesOf(sc)).toEqual(['spec#1', 'impl#2', 'test#2', 'review#2']);
    expect(sc.tasks[1].direction).toContain('agent crashed while writing the spec');
  });

  test('when review keeps failing and maxIterations is 2, then the item fails after 7 tasks with a reason about iterations', async () => {
    const sc = scenario((task, n) =>
      task.task_type === 'review' ? agentResult('VERDICT: fail\nstill broken') : allPass(task, n),
    );
    const result = await runItem(sc, { maxIterations: 2 });

    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/iterations/);
    expect(result.position).toBeNull();
    expect(result.tasksRun).toBe(7);
    expect(phasesOf(sc)).toEqual(['spec#1', 'impl#1', 'test#1', 'review#1', 'impl#2', 'test#2', 'review#2']);
    expect(sc.finished).toHaveLength(7);
  });

  test('when a test command is set and fails once, then the first validation fails although the review verdict passes', async () => {
    const sc = scenario(allPass, (n) =>
      n === 0
        ? { ok: false, exitCode: 1, output: 'FAIL widget.test.ts: 2 failed' }
        : { ok: true, exitCode: 0, output: 'all green' },
    );
    const result = await runItem(sc, { testCommand: ['npm', 'test'], taskTimeoutSeconds: 77 });

    expect(result).toMatchObject({ outcome: 'passed', iteration: 2, tasksRun: 7, testsPassed: true });
    expect(phasesOf(sc)).toEqual(['spec#1', 'impl#1', 'test#1', 'review#1', 'impl#2', 'test#2', 'review#2']);
    expect(sc.results[3].verdict).toBe('pass');
    expect(sc.tasks[4].direction).toMatch(/^Fix the issues \(iteration 2\): /);
    expect(sc.tasks[4].direction).toContain('2 failed');
    expect(sc.testCalls).toEqual([
      { projectRoot: inputFor(sc).settings.projectRoot, argv: ['npm', 'test'], timeoutSeconds: 77 },
      { projectRoot: inputFor(sc).settings.projectRoot, argv: ['npm', 'test'], timeoutSeconds: 77 },
    ]);
  });

  test('when runAgentTask throws a non-retryable ApplicationFailure, then it counts as a failed task and the item loops to a fix', async () => {
    let impls = 0;
    const sc = scenario((task, n) => {
      if (task.task_type === 'impl' && ++impls === 1)
        throw ApplicationFailure.nonRetryable('agent binary vanished', 'AgentNotFound');
      return allPass(task, n);
    });
    const result = await runItem(sc);

    expect(result).toMatchObject({ outcome: 'passed', iteration: 2, tasksRun: 5 });
    expect(phasesOf(sc)).toEqual(['spec#1', 'impl#1', 'impl#2', 'test#2', 'review#2']);
    // The thrown task still gets its record, marked failed.
    expect(sc.finished).toHaveLength(5);
    const failed = sc.finished[1];
    expect(failed.task).toMatchObject({ id: sc.tasks[1].id, task_type: 'impl', status: 'failed', exit_code: null });
    expect(failed.task.output).toContain('agent binary vanished');
    expect(failed.durationSeconds).toBe(0);
    expect(sc.tasks[2].direction).toContain('agent binary vanished');
  });

  test('when the agent run fails in a way no retry can change (fatal), then the item fails at once with the reason, without fix iterations', async () => {
    const sc = scenario((task, n) =>
      task.task_type === 'impl'
        ? {
            ...agentResult('[Pipeline] Agent could not be started: claude: command not found', {
              status: 'failed',
              exitCode: null,
            }),
            fatal: 'Agent could not be started: claude: command not found',
          }
        : allPass(task, n),
    );
    const result = await runItem(sc, { maxIterations: 5 });
    expect(result).toMatchObject({
      outcome: 'failed',
      iteration: 1,
      tasksRun: 2,
      reason: 'Agent could not be started: claude: command not found',
    });
    expect(phasesOf(sc)).toEqual(['spec#1', 'impl#1']);
    expect(sc.finished.map((f) => f.task.status)).toEqual(['completed', 'failed']);
  });

  test('when the commit step fails for good, then each task stays completed with the failure in push_error and the item goes on', async () => {
    const sc = scenario(allPass);
    sc.commitFails = true;
    const result = await runItem(sc, { autoCommit: true });

    expect(result).toMatchObject({ outcome: 'passed', iteration: 1, tasksRun: 4 });
    expect(sc.finished.map((f) => f.task.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    for (const f of sc.finished)
      expect(f.task).toMatchObject({
        commit_sha: null,
        push_error: 'the commit step did not finish: every attempt timed out',
      });
    // and a working commit step records its commit
    const ok = scenario(allPass);
    await runItem(ok, { autoCommit: true });
    expect(ok.finished.map((f) => f.task.commit_sha)).toEqual(ok.tasks.map((t) => `sha-${t.id}`));
  });

  test('when the agent step commits its completed run itself, then each record has that commit and no commit step runs', async () => {
    const sc = scenario(allPass);
    sc.agentCommits = true;
    const result = await runItem(sc, { autoCommit: true, autoPush: true });

    expect(result).toMatchObject({ outcome: 'passed', tasksRun: 4 });
    expect(sc.commitAsked).toEqual([{ push: true }, { push: true }, { push: true }, { push: true }]);
    expect(sc.commitSteps).toBe(0);
    expect(sc.finished.map((f) => f.task.commit_sha)).toEqual(sc.tasks.map((t) => `step-sha-${t.id}`));
    // an agent step that could not commit leaves it to the commit step (the fallback of the test above)
    const fallback = scenario(allPass);
    await runItem(fallback, { autoCommit: true });
    expect(fallback.commitSteps).toBe(4);
    expect(fallback.finished.map((f) => f.task.commit_sha)).toEqual(fallback.tasks.map((t) => `sha-${t.id}`));
    // without auto-commit nothing is asked
    const off = scenario(allPass);
    await runItem(off);
    expect(off.commitAsked).toEqual([null, null, null, null]);
  });

  test('when the agent step writes each finished record itself, then no finishTask runs and the records are those the workflow builds, commit included', async () => {
    const sc = scenario(allPass);
    sc.agentCommits = true;
    sc.agentRecords = () => true;
    const result = await runItem(sc, { autoCommit: true });

    expect(result).toMatchObject({ outcome: 'passed', tasksRun: 4 });
    expect(sc.recordAsked).toEqual([true, true, true, true]);
    expect(sc.finishSteps).toBe(0);
    expect(sc.commitSteps).toBe(0);
    expect(sc.finished.map((f) => f.task.task_type)).toEqual(['spec', 'impl', 'test', 'review']);
    expect(sc.finished.map((f) => f.task.commit_sha)).toEqual(sc.tasks.map((t) => `step-sha-${t.id}`));
    expect(sc.finished.every((f) => f.task.workflow_id === `wf-${sc.key}` && f.task.status === 'completed')).toBe(true);
    const { events = [] } = await fixture.client().client.workflow.getHandle(`wf-${sc.key}`).fetchHistory();
    const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(scheduled).toEqual(['runAgentTask', 'runAgentTask', 'runAgentTask', 'runAgentTask']);
  });

  test('when an agent step could not write its record and finishTask is still writing it, then the next task leaves its record to finishTask too, in task order', async () => {
    const sc = scenario(allPass);
    sc.agentRecords = (n) => n > 0; // the first step's disk was full
    sc.finishDelayMs = (task) => (task.task_type === 'spec' ? 2000 : 0);
    const result = await runItem(sc);

    expect(result.outcome).toBe('passed');
    expect(sc.recordAsked[0]).toBe(true);
    // impl started while spec's record was still being written: its record may not overtake it
    expect(sc.recordAsked[1]).toBe(false);
    expect(sc.finished.map((f) => f.task.task_type)).toEqual(['spec', 'impl', 'test', 'review']);
    // each record written once: by finishTask, or by a later step once the chain was written
    const byStep = sc.recordAsked.filter((asked, n) => asked && n > 0).length;
    expect(sc.finishSteps).toBeGreaterThanOrEqual(2);
    expect(sc.finishSteps + byStep).toBe(4);
  });

  test('when paused during a task and then stopped, then no further task starts and the item ends stopped at its next position', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sc = scenario(async (task, n) => {
      if (task.task_type === 'spec') await gate;
      return allPass(task, n);
    });
    const handle = await start(sc);
    try {
      await waitFor(() => sc.tasks.length === 1, 20_000, 'the spec task to start');
      await handle.signal(pauseSignal);
      const paused = await waitFor(
        async () => {
          const s = await handle.query(itemStatusQuery);
          return s.paused ? s : null;
        },
        10_000,
        'the paused status',
      );
      expect(paused).toMatchObject({
        itemKey: sc.key,
        phase: 'spec',
        iteration: 1,
        paused: true,
        stopRequested: false,
      });
      expect(paused.currentTask).toMatchObject({ id: sc.tasks[0].id, task_type: 'spec', status: 'running' });

      // The running task finishes; while paused the next phase must not start.
      release();
      await waitFor(() => sc.finished.length === 1, 10_000, 'the spec task to be finished');
      await waitFor(
        async () => (await handle.query(itemStatusQuery)).phase === 'impl',
        10_000,
        'the item to move to impl',
      );
      await sleep(700);
      expect(sc.tasks).toHaveLength(1);
      expect(await handle.query(itemStatusQuery)).toMatchObject({ phase: 'impl', paused: true, currentTask: null });

      await handle.signal(stopSignal);
      const result = (await handle.result()) as ItemResult;
      expect(result).toMatchObject({
        outcome: 'stopped',
        iteration: 1,
        tasksRun: 1,
        position: { phase: 'impl', iteration: 1 },
      });
      expect(sc.tasks).toHaveLength(1);
    } finally {
      release();
      await handle.terminate().catch(() => undefined);
    }
  });

  test('when an item starts paused, then no task runs until it is resumed, and it then runs to the end', async () => {
    const sc = scenario(allPass);
    const handle = await start(sc, {}, { paused: true });
    try {
      await waitFor(async () => (await handle.query(itemStatusQuery)).paused, 10_000, 'the paused status');
      await sleep(700);
      expect(sc.tasks).toHaveLength(0);
      await handle.signal(resumeSignal);
      const result = (await handle.result()) as ItemResult;
      expect(result).toMatchObject({ outcome: 'passed', iteration: 1, tasksRun: 4 });
      expect(phasesOf(sc)).toEqual(['spec#1', 'impl#1', 'test#1', 'review#1']);
    } finally {
      await handle.terminate().catch(() => undefined);
    }
  });

  test('when resumed from a stopped position, then the item starts at that phase and iteration with the carried feedback', async () => {
    const sc = scenario(allPass);
    const handle = await start(
      sc,
      {},
      { resume: { phase: 'impl', iteration: 3, lastOutput: 'review=fail tests=skipped. no error handling' } },
    );
    const result = (await handle.result()) as ItemResult;
    expect(result).toMatchObject({ outcome: 'passed', iteration: 3, tasksRun: 3 });
    expect(phasesOf(sc)).toEqual(['impl#3', 'test#3', 'review#3']);
    expect(sc.tasks[0].direction).toBe(
      buildDirection('impl', textOf(sc), 3, 'review=fail tests=skipped. no error handling'),
    );
  });
});
