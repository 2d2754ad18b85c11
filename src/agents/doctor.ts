import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentSettings } from '../shared/contracts/task';
import { runInProcessGroup } from '../util/process-group';
import { renderArgv } from './argv';
import { judgeRun, MIN_OUTPUT_CHARS } from './outcome';
import { outputReader } from './output';
import { PRESETS } from './presets';

export interface AgentCheck {
  name: string;
  ok: boolean;
  detail: string;
}

const PROBE_DIRECTION = 'Reply with exactly the word OK and nothing else. Do not use any tool.';
const PROBE_TIMEOUT_MS = 120_000;

function cliVersion(exe: string, env: NodeJS.ProcessEnv): string | null {
  const r = spawnSync(exe, ['--version'], { encoding: 'utf8', timeout: 20_000, env });
  const first = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '');
  return r.error || !first ? null : first.trim();
}

/** The CLI's version beside the one nightshift is tested with, for a preset agent (null for others). */
export function versionNote(
  agent: AgentSettings,
  exe: string,
  env: NodeJS.ProcessEnv,
): { ok: boolean; note: string } | null {
  const preset = agent.name in PRESETS ? PRESETS[agent.name as keyof typeof PRESETS] : null;
  if (!preset) return null;
  const version = cliVersion(exe, env);
  const tested = preset.cli.tested;
  const same = tested !== null && version !== null && version.includes(tested);
  const against = tested
    ? `; tested with ${tested}${same ? '' : ': other versions may have renamed flags'}`
    : '; no tested version';
  return { ok: version !== null, note: `${version ?? 'no --version answer'}${against}` };
}

/**
 * Whether one of the variables the CLI takes its credential from is set (a stored login may do instead: a note, never a
 * failure).
 */
export function credentialCheck(agent: AgentSettings, env: NodeJS.ProcessEnv): AgentCheck | null {
  if (!agent.credentialEnv?.length) return null;
  const set = agent.credentialEnv.filter((v) => (env[v] ?? '').trim() !== '');
  return {
    name: 'agent-credential',
    ok: true,
    detail: set.length
      ? `${set.join(', ')} set`
      : `none of ${agent.credentialEnv.join(', ')} is set: the CLI needs one, or its own stored login`,
  };
}

/** How to install a preset's CLI, for a "not found" line. */
export function installHint(agent: AgentSettings): string {
  return agent.name in PRESETS ? ` (install: ${PRESETS[agent.name as keyof typeof PRESETS].cli.install})` : '';
}

/**
 * `doctor --probe`: one tiny real call through the agent, in a scratch directory, with the answer or the exact error.
 */
export async function probeAgent(agent: AgentSettings, env: NodeJS.ProcessEnv): Promise<AgentCheck> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-probe-'));
  try {
    const argv = renderArgv(agent.argvTemplate, {
      direction: PROBE_DIRECTION,
      task_type: 'review',
      task_id: 'task_0000000000000000',
      model: agent.modelByType.review,
      prompt_file: path.join(dir, 'probe.md'),
    });
    const reader = outputReader(agent.output);
    let tail = '';
    const outcome = await runInProcessGroup({
      argv,
      cwd: dir,
      env,
      timeoutMs: PROBE_TIMEOUT_MS,
      onOutput: (chunk, from) => void (tail = (tail + (from === 'stdout' ? reader.stdout(chunk) : chunk)).slice(-4000)),
    });
    const { text, report } = reader.finish();
    tail = (tail + text).slice(-4000);
    const judged = judgeRun({
      argv0: argv[0],
      taskType: 'review',
      spawnError: outcome.spawnError,
      timedOut: outcome.timedOut,
      timeoutSeconds: PROBE_TIMEOUT_MS / 1000,
      exitCode: outcome.exitCode,
      decisionPrompt: null,
      outputChars: MIN_OUTPUT_CHARS, // the probe asks for a one-word answer: the task rule on short output does not apply
      report,
      tail,
      changedFiles: null,
      noChange: 'allow',
      credentialEnv: agent.credentialEnv ?? [],
    });
    const answer = (report.finalText ?? tail).trim().split('\n').slice(-3).join(' ').slice(0, 200);
    if (judged.status === 'completed') return { name: 'agent-probe', ok: true, detail: `answered: ${answer}` };
    const why = judged.credentialRejected ?? judged.note ?? `exit ${outcome.exitCode ?? outcome.signal}: ${answer}`;
    return { name: 'agent-probe', ok: false, detail: why.replace('[Pipeline] ', '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
