import { Context, CancelledFailure } from '@temporalio/activity';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderArgv } from '../agents/argv';
import { detectRateLimit } from '../agents/rate-limit';
import { explicitVerdict } from '../shared/verdict';
import type { CommitTaskResult } from '../shared/contracts/repository';
import type { RunAgentTaskInput, RunAgentTaskResult, TaskRecord } from '../shared/contracts/task';
import { appendTaskSnapshot } from '../tasks/store';
import { killGroup, runInProcessGroup } from '../util/process-group';
import { commitReporting } from './git';
import { writeFinishedTask } from './finish-task';
import { finishedRecordOf, runRecordOf } from '../shared/task-record';
import { prepareRetryTree } from './retry-tree';
import { taskLogPath } from '../tasks/paths';
import { BoundedLog } from '../tasks/bounded-log';
import { judgeRun } from '../agents/outcome';
import { outputReader } from '../agents/output';
import { treeFingerprint } from '../git/fingerprint';
import { ARGV_DIRECTION_LIMIT_BYTES } from '../shared/limits';

export const OUTPUT_LIMIT = 4000;
/** Where a completed run's usage-limit message must stand: its closing lines. */
const USAGE_LIMIT_TAIL_CHARS = 400;
const NEEDS_DECISION_LINE = /^\s*NEEDS_DECISION:\s*(.+?)\s*$/;

function decisionPromptOf(line: string): string | null {
  return NEEDS_DECISION_LINE.exec(line)?.[1] ?? null;
}
const HEARTBEAT_EVERY_MS = 2000;

/**
 * How often the agent activity heartbeats: every 2 s, and several times within a shorter heartbeat timeout
 * (NIGHTSHIFT_HEARTBEAT_TIMEOUT_SECONDS may be 2), so one late timer tick does not time the attempt out.
 */
export function heartbeatEvery(heartbeatTimeoutMs: number | undefined): number {
  return heartbeatTimeoutMs ? Math.max(100, Math.min(HEARTBEAT_EVERY_MS, heartbeatTimeoutMs / 4)) : HEARTBEAT_EVERY_MS;
}

export interface AgentActivityDeps {
  agentEnv: NodeJS.ProcessEnv;
}

function nonWhitespaceLength(text: string): number {
  return text.replace(/\s+/g, '').length;
}

/** Ends a process group left behind by an earlier attempt of the same task (e.g. its worker was killed). */
async function killPreviousAttempt(pidFile: string, taskId: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    // Only a process that carries this task's id in its environment is ours (pids get reused).
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    if (environ.split('\0').includes(`NIGHTSHIFT_TASK_ID=${taskId}`)) killGroup(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** What a direction too long for argv is replaced by when the CLI has no other way to take it. */
export function promptFilePointer(promptFile: string): string {
  return `The task is too long for the command line. Read it from ${promptFile} and do what it says.`;
}

/**
 * The agent's argv for a task. A direction over ARGV_DIRECTION_LIMIT_BYTES never goes on the command line
 * (Linux refuses one argument over 128 KiB): the preset's long form takes it on stdin or from the prompt
 * file, or the direction word becomes a pointer to the prompt file.
 */
export function agentArgv(
  input: RunAgentTaskInput,
  promptFile: string,
  long: boolean,
): { argv: string[]; stdinText?: string } {
  const { task, agent } = input;
  const values = {
    task_type: task.task_type,
    task_id: task.id,
    model: agent.modelByType[task.task_type],
    prompt_file: promptFile,
  };
  if (!long) return { argv: renderArgv(agent.argvTemplate, { ...values, direction: task.direction }) };
  if (agent.longArgvTemplate) {
    const argv = renderArgv(agent.longArgvTemplate, { ...values, direction: promptFilePointer(promptFile) });
    return agent.stdinPrompt ? { argv, stdinText: task.direction } : { argv };
  }
  return { argv: renderArgv(agent.argvTemplate, { ...values, direction: promptFilePointer(promptFile) }) };
}

/** Until when the agent is usage-limited: from its text (the limit's reset time), or a model API 429 it gave up on. */
function rateLimitedUntil(
  text: string,
  apiStatus: number | null,
  limit: { pattern: string; backoffMinutes: number },
): Date | null {
  const now = new Date();
  return (
    detectRateLimit(text, limit.pattern, now, limit.backoffMinutes) ??
    (apiStatus === 429 ? new Date(now.getTime() + limit.backoffMinutes * 60_000) : null)
  );
}

export function createRunAgentTask(deps: AgentActivityDeps) {
  return async function runAgentTask(input: RunAgentTaskInput): Promise<RunAgentTaskResult> {
    const ctx = Context.current();
    const { task, stateDir } = input;
    const runDir = path.join(stateDir, 'run');
    const promptFile = path.join(stateDir, 'prompts', `${task.id}.md`);
    const logFile = taskLogPath(stateDir, task.id);
    const pidFile = path.join(runDir, `${task.id}.pid`);
    await Promise.all([
      mkdir(runDir, { recursive: true }),
      mkdir(path.dirname(promptFile), { recursive: true }),
      mkdir(path.dirname(logFile), { recursive: true }),
    ]);

    const long = Buffer.byteLength(task.direction) > ARGV_DIRECTION_LIMIT_BYTES;
    const { argv, stdinText } = agentArgv(input, promptFile, long);
    const startedAt = new Date().toISOString();
    const running: TaskRecord = {
      ...task,
      status: 'running',
      started_at: startedAt,
      finished_at: null,
      output: null,
      exit_code: null,
      decision_prompt: null,
      decision: null,
    };
    // Only an impl task is judged by whether it changed the tree; the fingerprint is taken before the agent starts.
    const watchTree = task.task_type === 'impl' && (input.agent.noChange ?? 'fail') !== 'allow';
    // Independent file steps run side by side: they sit between one task's end and the next one's start.
    await Promise.all([
      killPreviousAttempt(pidFile, task.id),
      writeFile(promptFile, task.direction),
      // The "running" snapshot is informative; a state dir that cannot take it must not stop the agent.
      appendTaskSnapshot(stateDir, running).catch((err: Error) =>
        ctx.log.warn('task snapshot not writable', { taskId: task.id, error: err.message }),
      ),
    ]);
    // After the kill: a retry starts from the tree the lost attempt started from (or records what it left there).
    const retryNote = await prepareRetryTree({
      projectRoot: input.projectRoot,
      ownsTree: input.ownsTree ?? false,
      attempt: ctx.info.attempt,
      stateDir,
      logFile,
    });
    // ...and is judged against that tree, not against what the lost attempt left.
    const before = watchTree ? await treeFingerprint(input.projectRoot, stateDir) : null;

    const stream: WriteStream = createWriteStream(logFile, { flags: 'a' });
    const log = new BoundedLog(stream);
    // A full disk or a read-only state dir must not crash the worker or lose the task:
    // the agent still runs, its output is still returned, and the log's failure is reported.
    let logError: string | null = null;
    stream.on('error', (err) => {
      logError ??= err.message;
      Context.current().log.warn('task log not writable', { taskId: task.id, error: err.message });
    });
    log.write(
      `# task_id=${task.id} status=running attempt=${ctx.info.attempt}\n# command=${JSON.stringify(argv)}${long ? ` (direction of ${Buffer.byteLength(task.direction)} bytes: ${stdinText !== undefined ? 'on stdin' : 'through the prompt file'})` : ''}\n---\n`,
    );
    const reader = outputReader(input.agent.output);
    let tail = '';
    let lineBuffer = '';
    let verdict: 'pass' | 'fail' | null = null;
    let decisionPrompt: string | null = null;
    let nonWhitespace = 0;
    let pidWritten: Promise<unknown> = Promise.resolve();
    /** The transcript: what the log shows and where verdict and decision lines are looked for. */
    const transcript = (text: string) => {
      if (!text) return;
      log.write(text);
      tail = (tail + text).slice(-OUTPUT_LIMIT * 2);
      nonWhitespace += nonWhitespaceLength(text);
      const lines = (lineBuffer + text).split('\n');
      lineBuffer = lines.pop() ?? '';
      for (const line of lines) {
        verdict = explicitVerdict(line) ?? verdict;
        decisionPrompt = decisionPromptOf(line) ?? decisionPrompt;
      }
    };
    // Stopped by us when the CLI's own output shows that waiting cannot help (a refused credential it keeps retrying).
    const giveUp = new AbortController();
    const heartbeat = setInterval(
      () => ctx.heartbeat({ lastOutput: tail.slice(-200) }),
      heartbeatEvery(ctx.info.heartbeatTimeoutMs),
    );
    ctx.heartbeat({ started: startedAt });
    const outcome = await runInProcessGroup({
      argv,
      cwd: input.projectRoot,
      env: { ...deps.agentEnv, NIGHTSHIFT_TASK_ID: task.id, NIGHTSHIFT_TASK_TYPE: task.task_type },
      timeoutMs: input.timeoutSeconds * 1000,
      signal: AbortSignal.any([ctx.cancellationSignal, giveUp.signal]),
      stdinText,
      onSpawn: (pid) => void (pidWritten = writeFile(pidFile, String(pid)).catch(() => undefined)),
      onOutput: (chunk, from) => {
        transcript(from === 'stdout' ? reader.stdout(chunk) : chunk);
        if (reader.current().hopeless && !giveUp.signal.aborted) {
          transcript(`[Pipeline] Agent stopped: ${reader.current().hopeless}; retrying cannot help.\n`);
          giveUp.abort();
        }
      },
    })
      .finally(() => clearInterval(heartbeat))
      .catch((err: Error) => {
        // The spawn helper ended while the agent ran (its group was killed): the step is retried, as after a lost worker.
        log.end(`\n# ${err.message}; the agent was stopped and the step is retried\n`);
        throw err;
      });
    const { text: rest, report } = reader.finish();
    transcript(rest);
    verdict = explicitVerdict(lineBuffer) ?? verdict;
    decisionPrompt = decisionPromptOf(lineBuffer) ?? decisionPrompt;
    const after =
      watchTree && before !== null && !outcome.spawnError ? await treeFingerprint(input.projectRoot, stateDir) : null;

    const judged = judgeRun({
      argv0: argv[0],
      taskType: task.task_type,
      spawnError: outcome.spawnError,
      timedOut: outcome.timedOut,
      timeoutSeconds: input.timeoutSeconds,
      exitCode: outcome.exitCode,
      decisionPrompt,
      outputChars: nonWhitespace,
      report,
      tail,
      changedFiles: before !== null && after !== null ? before !== after : null,
      noChange: input.agent.noChange ?? 'fail',
      credentialEnv: input.agent.credentialEnv ?? [],
    });
    let output = tail;
    if (judged.note) output += `${output.endsWith('\n') || output === '' ? '' : '\n'}${judged.note}\n`;
    const status = judged.status;
    const exitCode = judged.exitCode;
    // A run that completed is usage-limited only when the limit is what it ended on (its closing lines), not
    // when its work merely mentions a rate limit.
    const limitText = `${report.error ?? ''}\n${status === 'completed' ? tail.slice(-USAGE_LIMIT_TAIL_CHARS) : tail}`;
    const cancelled = outcome.aborted && ctx.cancellationSignal.aborted;
    const limitedUntil =
      input.rateLimit && !cancelled && !judged.credentialRejected
        ? rateLimitedUntil(limitText, report.apiStatus, input.rateLimit)
        : null;
    if (limitedUntil)
      output += `\n[Pipeline] Usage limit reached: paused until ${limitedUntil.toISOString()}; the task runs again then (not a failure).`;
    const durationSeconds = Math.round(outcome.durationMs / 100) / 10;
    const usage = report.usage;
    const usageLine = usage
      ? ` tokens_in=${usage.tokensIn ?? '?'} tokens_out=${usage.tokensOut ?? '?'} cost_usd=${usage.costUsd ?? '?'}`
      : '';
    log.end(
      `\n# duration_seconds=${durationSeconds} exit=${outcome.exitCode ?? outcome.signal ?? 'none'} status=${cancelled ? 'cancelled' : status}${usageLine}\n`,
    );
    await new Promise<void>((r) => (stream.closed || stream.destroyed ? r() : stream.once('close', () => r())));
    // Removed last: the space it frees on a full disk must not look to the task's record like space that is back.
    const removePidFile = () => pidWritten.then(() => rm(pidFile, { force: true }));
    if (retryNote) output += `\n${retryNote}`;
    if (logError) output += `\n[Pipeline] The task log could not be written: ${logError}`;
    if (cancelled) {
      await removePidFile();
      throw new CancelledFailure('agent task cancelled');
    }
    // A run that ends the task as completed is committed here, not in a step of its own (a run that waits, for a
    // decision, a usage limit or a credential, is not).
    const commit =
      input.commitWhenCompleted && status === 'completed' && !limitedUntil && !judged.credentialRejected
        ? await commitReporting(
            {
              cwd: input.projectRoot,
              taskId: task.id,
              taskType: task.task_type,
              direction: task.direction,
              push: input.commitWhenCompleted.push,
            },
            true,
          )
        : undefined;
    const result: RunAgentTaskResult = {
      status,
      output: output.slice(-OUTPUT_LIMIT),
      exitCode,
      durationSeconds,
      startedAt,
      finishedAt: new Date().toISOString(),
      timedOut: outcome.timedOut,
      verdict,
      decisionPrompt: status === 'needs_decision' ? judged.decisionPrompt : null,
      outputChars: nonWhitespace,
      rateLimitedUntil: limitedUntil ? limitedUntil.toISOString() : null,
      credentialRejected: judged.credentialRejected,
      fatal: judged.fatal,
      usage,
      ...(commit ? { commit } : {}),
    };
    const finishes =
      status !== 'needs_decision' &&
      !limitedUntil &&
      !(judged.credentialRejected && input.recordWhenFinished?.credentialHeld);
    // A record names its commit: one asked for and not made here is the commit step's, and so is the record.
    const commitSettled = !input.commitWhenCompleted || status !== 'completed' || commit !== undefined;
    if (input.recordWhenFinished && finishes && commitSettled)
      result.recorded = await recordInStep(input, result, commit ?? null);
    await removePidFile();
    return result;
  };
}

/**
 * The final record of a task the run finished, as the workflow builds it; false when it could not be written (a full
 * disk, say): the workflow then writes it with `finishTask`, which retries until the disk lets it through.
 */
async function recordInStep(
  input: RunAgentTaskInput,
  result: RunAgentTaskResult,
  commit: CommitTaskResult | null,
): Promise<boolean> {
  const ctx = Context.current();
  const record = finishedRecordOf(runRecordOf(input.task, result, input.recordWhenFinished!.workflowId), commit);
  try {
    await writeFinishedTask(
      {
        stateDir: input.stateDir,
        metricsFile: input.recordWhenFinished!.metricsFile,
        task: record,
        durationSeconds: result.durationSeconds,
      },
      ctx.info.attempt,
    );
    return true;
  } catch (err) {
    ctx.log.warn('task record not written by the agent step; finishTask writes it', {
      taskId: input.task.id,
      error: (err as Error).message,
    });
    return false;
  }
}
