import { existsSync } from 'node:fs';
import type { EnvConfig, ProjectPaths } from '../../config';
import { AgentConfigError, resolveAgentSettings } from '../../agents/presets';
import { pipelineWorkflowId } from '../../shared/names';
import type { AgentSettings } from '../../shared/contracts/task';
import { findOnPath } from '../../temporal/cli-path';
import { withTimeLimit, type TemporalClient } from '../../temporal/connection';
import { isDemoProject } from '../demo-project';
import { pipelineStartInput } from '../pipelines';
import { credentialCheck, installHint, probeAgent, versionNote } from '../../agents/doctor';
import { agentEnvironment } from '../../config';
import type { Check } from './check';

/** Where the agent a check looked at comes from. */
export type AgentSource = 'pipeline' | 'environment';

export interface AgentInUse {
  settings: AgentSettings;
  source: AgentSource;
  workflowId?: string;
}

/**
 * The agent the project's pipeline runs with: the one its current run started with (`up
 * --demo` puts PIPELINE_AGENT=demo into the settings it starts the pipeline with, not into
 * anyone else's environment), else the one this environment would start it with.
 * Throws AgentConfigError when neither has one.
 */
export async function agentInUse(
  config: EnvConfig,
  paths: ProjectPaths,
  temporal: TemporalClient | null,
): Promise<AgentInUse> {
  if (temporal) {
    const workflowId = pipelineWorkflowId(paths.projectId);
    const running = await withTimeLimit(temporal, 3000, () => temporal.client.workflow.getHandle(workflowId).describe())
      .then((d) => d.status.name === 'RUNNING')
      .catch(() => false);
    // A finished pipeline's agent says nothing about the next `start`, which takes this environment's.
    const input = running ? await pipelineStartInput(temporal, workflowId).catch(() => null) : null;
    if (input?.settings?.agent) return { settings: input.settings.agent, source: 'pipeline', workflowId };
  }
  return { settings: resolveAgentSettings(config), source: 'environment' };
}

function executable(exe: string, pathVar: string | undefined): string | null {
  if (exe.includes('/')) return existsSync(exe) ? exe : null;
  return findOnPath(exe, pathVar);
}

/**
 * The agent lines: which agent, where it comes from, whether its executable is here (and its version against
 * the tested one), whether its credential variable is set; `probe` adds one tiny real call through it.
 */
export async function checkAgent(
  config: EnvConfig,
  paths: ProjectPaths,
  temporal: TemporalClient | null,
  probe = false,
): Promise<Check[]> {
  const env = agentEnvironment();
  let agent: AgentInUse;
  try {
    agent = await agentInUse(config, paths, temporal);
  } catch (err) {
    if (!(err instanceof AgentConfigError)) throw err;
    const demo = isDemoProject(paths.projectRoot)
      ? `; this is a demo project: \`nightshift up --demo --project ${paths.projectRoot}\` runs it with the built-in demo agent`
      : temporal
        ? `; no pipeline runs for ${paths.projectRoot} (\`nightshift status\` lists the ones that do)`
        : '';
    return [{ name: 'agent', ok: false, detail: `${err.message}${demo}` }];
  }
  const exe = agent.settings.argvTemplate[0];
  const found = executable(exe, config.PATH);
  const from =
    agent.source === 'pipeline' ? ` (the running pipeline ${agent.workflowId} uses it)` : ' (from this environment)';
  const name = agent.settings.name === 'demo' ? 'demo (built-in)' : agent.settings.name;
  if (!found)
    return [
      {
        name: 'agent',
        ok: false,
        detail: `${agent.settings.name}: ${exe} not found on PATH${installHint(agent.settings)}, or set PIPELINE_AGENT_COMMAND${from}`,
      },
    ];
  const version = versionNote(agent.settings, found, env);
  const checks: Check[] = [
    {
      name: 'agent',
      ok: version?.ok ?? true,
      detail: `${name}: ${agent.settings.name === 'demo' ? agent.settings.argvTemplate.slice(0, 2).join(' ') : found}${version ? ` (${version.note})` : ''}${from}`,
    },
  ];
  const credential = credentialCheck(agent.settings, env);
  if (credential) checks.push(credential);
  if (probe && checks.every((c) => c.ok)) checks.push(await probeAgent(agent.settings, env));
  return checks;
}
