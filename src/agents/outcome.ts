import type { NoChangePolicy, RunAgentTaskResult, TaskType } from '../shared/contracts/task';
import type { AgentReport } from './output';

export const MIN_OUTPUT_CHARS = 10;

/** Errors no retry can change: the same argv, binary and files fail the same way again. */
const FATAL_SPAWN_ERRORS = new Set([
  'E2BIG',
  'ENOENT',
  'EACCES',
  'ENOEXEC',
  'ENOTDIR',
  'EISDIR',
  'ELOOP',
  'ENAMETOOLONG',
]);

/** What model APIs and the CLIs print when the credential is refused (never a usage limit). */
const CREDENTIAL_REFUSED =
  /authentication_error|invalid[ _-]?(?:x-)?api[ _-]?key|incorrect api key|AuthenticationError|\b401\b[^\n]{0,80}(?:unauthori[sz]ed|authenticat|api[ _-]?key|invalid|credential)|(?:unauthori[sz]ed|authenticat\w*)[^\n]{0,60}\b401\b|please run \/login|oauth token (?:has )?expired/i;

export interface RunFacts {
  argv0: string;
  taskType: TaskType;
  spawnError: NodeJS.ErrnoException | null;
  timedOut: boolean;
  timeoutSeconds: number;
  exitCode: number | null;
  decisionPrompt: string | null;
  /** Non-whitespace characters of the agent's transcript. */
  outputChars: number;
  report: AgentReport;
  /** The last of what it printed on stdout and stderr, where error texts stand. */
  tail: string;
  /** Whether the work tree changed during the run; null when it cannot be told (not a git work tree). */
  changedFiles: boolean | null;
  noChange: NoChangePolicy;
  /** Where the CLI's credential comes from, to name in the message. */
  credentialEnv: string[];
}

export interface Judgement {
  status: RunAgentTaskResult['status'];
  /** `[Pipeline] …` lines added to the output. */
  note: string | null;
  decisionPrompt: string | null;
  exitCode: number | null;
  credentialRejected: string | null;
  fatal: string | null;
}

export const NO_CHANGE_PROMPT =
  'The agent changed no file for this impl task. What should it do? (PIPELINE_IMPL_NO_CHANGE=decide)';

function credentialMessage(facts: RunFacts): string | null {
  const text = `${facts.report.error ?? ''}\n${facts.tail}`;
  const m = CREDENTIAL_REFUSED.exec(text);
  if (!m) return null;
  const line = text
    .slice(Math.max(0, text.lastIndexOf('\n', m.index) + 1))
    .split('\n')[0]
    .trim()
    .slice(0, 300);
  const vars = facts.credentialEnv.length ? facts.credentialEnv.join(' or ') : 'its API key';
  return `the model API refused the agent's credential (${vars}): ${line}`;
}

/**
 * Whether a task completed, from everything its run showed. A task completes only when its agent could
 * act: exit 0, output, no error result, no refused tool call, and (for impl tasks) a changed work tree.
 */
export function judgeRun(facts: RunFacts): Judgement {
  const base = { note: null, decisionPrompt: null, exitCode: facts.exitCode, credentialRejected: null, fatal: null };
  if (facts.spawnError) {
    const code = facts.spawnError.code ?? '';
    const why =
      code === 'ENOENT'
        ? 'command not found'
        : code === 'E2BIG'
          ? 'its arguments or environment are over the system limit (E2BIG)'
          : facts.spawnError.message;
    const note = `[Pipeline] Agent could not be started: ${facts.argv0}: ${why}`;
    return {
      ...base,
      status: 'failed',
      note,
      fatal: FATAL_SPAWN_ERRORS.has(code) ? note.replace('[Pipeline] ', '') : null,
    };
  }
  if (facts.timedOut) return { ...base, status: 'failed', note: `[Timeout ${facts.timeoutSeconds}s]`, exitCode: -9 };
  const failedRun = facts.exitCode !== 0 || facts.report.error !== null;
  const credential = failedRun ? credentialMessage(facts) : null;
  if (credential)
    return { ...base, status: 'failed', note: `[Pipeline] ${credential}`, credentialRejected: credential };
  if (facts.decisionPrompt) return { ...base, status: 'needs_decision', decisionPrompt: facts.decisionPrompt };
  if (facts.exitCode !== 0) return { ...base, status: 'failed' };
  if (facts.report.error !== null)
    return {
      ...base,
      status: 'failed',
      note: `[Pipeline] Marked failed: the agent reported an error: ${facts.report.error.slice(0, 500)}`,
    };
  if (facts.report.denied.length) {
    const list = facts.report.denied.slice(0, 5).join('; ');
    return {
      ...base,
      status: 'failed',
      note: `[Pipeline] Marked failed: ${facts.report.denied.length} tool call(s) were refused, so the agent could not act: ${list}. Grant them in the agent command (README: agent presets).`,
    };
  }
  if (facts.outputChars < MIN_OUTPUT_CHARS) {
    return {
      ...base,
      status: 'failed',
      note: `[Pipeline] Marked failed: completed with ${facts.outputChars} chars output (expected >10). Possible capture failure or silent crash.`,
    };
  }
  if (facts.taskType === 'impl' && facts.changedFiles === false && facts.noChange !== 'allow') {
    if (facts.noChange === 'decide') return { ...base, status: 'needs_decision', decisionPrompt: NO_CHANGE_PROMPT };
    return {
      ...base,
      status: 'failed',
      note: '[Pipeline] Marked failed: the impl task changed no file (PIPELINE_IMPL_NO_CHANGE=fail).',
    };
  }
  return { ...base, status: 'completed' };
}
