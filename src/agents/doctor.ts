import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findOnPath } from '../temporal/cli-path';
import type { AgentSettings } from '../shared/types';
import { runInProcessGroup } from '../util/process-group';
import { renderArgv } from './argv';
import { judgeRun } from './outcome';
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

/**
 * The agent checks of `doctor`: the CLI is there (and which version, against the one nightshift is tested
 * with), its credential variable is set. The agent's environment is the one it will run with.
 */
export function agentChecks(agent: AgentSettings, env: NodeJS.ProcessEnv): AgentCheck[] {
  const exe = agent.argvTemplate[0];
  const found = exe.includes('/') ? (existsSync(exe) ? exe : null) : findOnPath(exe, env.PATH);
  const checks: AgentCheck[] = [];
  if (!found) {
    const install = agent.name in PRESETS ? ` (install: ${PRESETS[agent.name as keyof typeof PRESETS].cli.install})` : '';
    return [{ name: 'agent', ok: false, detail: `${agent.name}: ${exe} not found on PATH${install}, or set PIPELINE_AGENT_COMMAND` }];
  }
  const preset = agent.name in PRESETS ? PRESETS[agent.name as keyof typeof PRESETS] : null;
  if (!preset) return [{ name: 'agent', ok: true, detail: `${agent.name}: ${found}` }];
  const version = cliVersion(found, env);
  const tested = preset.cli.tested;
  const same = tested && version?.includes(tested);
  checks.push({
    name: 'agent',
    ok: version !== null,
    detail: `${agent.name}: ${found} (${version ?? 'no --version answer'}${tested ? `; tested with ${tested}${same ? '' : ': other versions may have renamed flags'}` : '; no tested version'})`,
  });
  const set = agent.credentialEnv?.filter((v) => (env[v] ?? '').trim() !== '') ?? [];
  checks.push({
    name: 'agent-credential',
    // Claude Code and Codex can also be logged in with a stored login instead of a key: a warning, not a failure.
    ok: true,
    detail: set.length ? `${set.join(', ')} set` : `none of ${agent.credentialEnv?.join(', ')} is set: the CLI needs one, or its own stored login`,
  });
  return checks;
}

/** `doctor --probe`: one tiny real call through the agent, in a scratch directory, with the answer or the exact error. */
export async function probeAgent(agent: AgentSettings, env: NodeJS.ProcessEnv): Promise<AgentCheck> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-probe-'));
  try {
    const argv = renderArgv(agent.argvTemplate, { direction: PROBE_DIRECTION, task_type: 'review', task_id: 'task_0000000000000000', model: agent.modelByType.review, prompt_file: path.join(dir, 'probe.md') });
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
      outputChars: tail.replace(/\s+/g, '').length + 10, // the probe's answer is short by design
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
