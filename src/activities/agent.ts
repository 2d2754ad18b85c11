import { Context, CancelledFailure } from '@temporalio/activity';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderArgv } from '../agents/argv';
import { detectRateLimit } from '../agents/rate-limit';
import { explicitVerdict } from '../shared/verdict';
import type { RunAgentTaskInput, RunAgentTaskResult, TaskRecord } from '../shared/types';
import { appendTaskSnapshot } from '../tasks/store';
import { killGroup, runInProcessGroup } from '../util/process-group';
import { prepareRetryTree } from './retry-tree';
import { taskLogPath } from '../tasks/paths';

export const OUTPUT_LIMIT = 4000;
const MIN_OUTPUT_CHARS = 10;
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

export function createRunAgentTask(deps: AgentActivityDeps) {
  return async function runAgentTask(input: RunAgentTaskInput): Promise<RunAgentTaskResult> {
    const ctx = Context.current();
    const { task, stateDir } = input;
    const runDir = path.join(stateDir, 'run');
    const promptFile = path.join(stateDir, 'prompts', `${task.id}.md`);
    const logFile = taskLogPath(stateDir, task.id);
    const pidFile = path.join(runDir, `${task.id}.pid`);
    await Promise.all([mkdir(runDir, { recursive: true }), mkdir(path.dirname(promptFile), { recursive: true }), mkdir(path.dirname(logFile), { recursive: true })]);

    const argv = renderArgv(input.agent.argvTemplate, {
      direction: task.direction,
      task_type: task.task_type,
      task_id: task.id,
      model: input.agent.modelByType[task.task_type],
      prompt_file: promptFile,
    });
    const startedAt = new Date().toISOString();
    const running: TaskRecord = { ...task, status: 'running', started_at: startedAt, finished_at: null, output: null, exit_code: null, decision_prompt: null, decision: null };
    // Independent file steps run side by side: they sit between one task's end and the next one's start.
    await Promise.all([
      killPreviousAttempt(pidFile, task.id),
      writeFile(promptFile, task.direction),
      // The "running" snapshot is informative; a state dir that cannot take it must not stop the agent.
      appendTaskSnapshot(stateDir, running).catch((err: Error) => ctx.log.warn('task snapshot not writable', { taskId: task.id, error: err.message })),
    ]);
    // After the kill: a retry starts from the tree the lost attempt started from (or records what it left there).
    const retryNote = await prepareRetryTree({ projectRoot: input.projectRoot, ownsTree: input.ownsTree ?? false, attempt: ctx.info.attempt, stateDir, logFile });

    const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
    // A full disk or a read-only state dir must not crash the worker or lose the task:
    // the agent still runs, its output is still returned, and the log's failure is reported.
    let logError: string | null = null;
    log.on('error', (err) => {
      logError ??= err.message;
      Context.current().log.warn('task log not writable', { taskId: task.id, error: err.message });
    });
    log.write(`# task_id=${task.id} status=running attempt=${ctx.info.attempt}\n# command=${JSON.stringify(argv)}\n---\n`);
    let tail = '';
    let lineBuffer = '';
    let verdict: 'pass' | 'fail' | null = null;
    let decisionPrompt: string | null = null;
    let nonWhitespace = 0;
    let pidWritten: Promise<unknown> = Promise.resolve();
    const heartbeat = setInterval(() => ctx.heartbeat({ lastOutput: tail.slice(-200) }), heartbeatEvery(ctx.info.heartbeatTimeoutMs));
    ctx.heartbeat({ started: startedAt });
    const outcome = await runInProcessGroup({
      argv,
      cwd: input.projectRoot,
      env: { ...deps.agentEnv, NIGHTSHIFT_TASK_ID: task.id, NIGHTSHIFT_TASK_TYPE: task.task_type },
      timeoutMs: input.timeoutSeconds * 1000,
      signal: ctx.cancellationSignal,
      onSpawn: (pid) => void (pidWritten = writeFile(pidFile, String(pid)).catch(() => undefined)),
      onOutput: (chunk) => {
        log.write(chunk);
        tail = (tail + chunk).slice(-OUTPUT_LIMIT * 2);
        nonWhitespace += nonWhitespaceLength(chunk);
        const lines = (lineBuffer + chunk).split('\n');
        lineBuffer = lines.pop() ?? '';
        for (const line of lines) {
          verdict = explicitVerdict(line) ?? verdict;
          decisionPrompt = decisionPromptOf(line) ?? decisionPrompt;
        }
      },
    }).finally(() => clearInterval(heartbeat));
    verdict = explicitVerdict(lineBuffer) ?? verdict;
    decisionPrompt = decisionPromptOf(lineBuffer) ?? decisionPrompt;

    let output = tail;
    let status: RunAgentTaskResult['status'];
    let exitCode = outcome.exitCode;
    if (outcome.spawnError) {
      output += `[Pipeline] Agent could not be started: ${argv[0]}: ${outcome.spawnError.code === 'ENOENT' ? 'command not found' : outcome.spawnError.message}\n`;
      status = 'failed';
    } else if (outcome.timedOut) {
      output += `\n[Timeout ${input.timeoutSeconds}s]\n`;
      exitCode = -9;
      status = 'failed';
    } else if (decisionPrompt) {
      // The agent asked a question: the task waits for a human, whatever its exit code.
      status = 'needs_decision';
    } else if (exitCode !== 0) {
      status = 'failed';
    } else if (nonWhitespace < MIN_OUTPUT_CHARS) {
      output += `\n[Pipeline] Marked failed: completed with ${nonWhitespace} chars output (expected >10). Possible capture failure or silent crash.`;
      status = 'failed';
    } else {
      status = 'completed';
    }
    const limitedUntil = input.rateLimit && !outcome.aborted ? detectRateLimit(tail, input.rateLimit.pattern, new Date(), input.rateLimit.backoffMinutes) : null;
    if (limitedUntil) output += `\n[Pipeline] Usage limit reached: paused until ${limitedUntil.toISOString()}; the task runs again then (not a failure).`;
    const durationSeconds = Math.round(outcome.durationMs / 100) / 10;
    log.end(`\n# duration_seconds=${durationSeconds} exit=${exitCode ?? outcome.signal ?? 'none'} status=${outcome.aborted ? 'cancelled' : status}\n`);
    await Promise.all([new Promise<void>((r) => (log.closed || log.destroyed ? r() : log.once('close', () => r()))), pidWritten.then(() => rm(pidFile, { force: true }))]);
    if (retryNote) output += `\n${retryNote}`;
    if (logError) output += `\n[Pipeline] The task log could not be written: ${logError}`;
    if (outcome.aborted) throw new CancelledFailure('agent task cancelled');
    return {
      status,
      output: output.slice(-OUTPUT_LIMIT),
      exitCode,
      durationSeconds,
      startedAt,
      finishedAt: new Date().toISOString(),
      timedOut: outcome.timedOut,
      verdict,
      decisionPrompt: status === 'needs_decision' ? decisionPrompt : null,
      outputChars: nonWhitespace,
      rateLimitedUntil: limitedUntil ? limitedUntil.toISOString() : null,
    };
  };
}
