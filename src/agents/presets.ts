import path from 'node:path';
import type { EnvConfig } from '../config';
import type { AgentName, AgentSettings, TaskType } from '../shared/types';
import { TASK_TYPES } from '../shared/types';
import { packageRoot } from '../util/package-root';
import { parseArgvTemplate } from './argv';

/** Argv templates of the agent CLIs nightshift knows; `{…}` are placeholders. */
export const PRESETS: Record<Exclude<AgentName, 'demo' | 'command'>, { argv: string[]; model: string }> = {
  claude: { argv: ['claude', '-p', '{direction}', '--model', '{model}', '--output-format', 'text'], model: 'sonnet' },
  cursor: { argv: ['cursor-agent', '-p', '{direction}', '--model', '{model}', '--output-format', 'text'], model: 'auto' },
  codex: { argv: ['codex', 'exec', '--full-auto', '--model', '{model}', '{direction}'], model: 'gpt-5-codex' },
  aider: { argv: ['aider', '--yes-always', '--no-auto-commits', '--model', '{model}', '--message', '{direction}'], model: 'sonnet' },
};

export const NO_AGENT_MESSAGE = 'no agent configured: set PIPELINE_AGENT or PIPELINE_AGENT_COMMAND';

export class AgentConfigError extends Error {
  readonly type = 'AgentConfigError';
}

export function demoAgentArgv(config: Pick<EnvConfig, 'DEMO_AGENT_FAIL_RATE' | 'DEMO_AGENT_DELAY_MS'>): string[] {
  const script = path.join(packageRoot(), 'lib', 'agents', 'demo-agent.js');
  return [
    process.execPath,
    script,
    '--task-type',
    '{task_type}',
    '--task-id',
    '{task_id}',
    '--prompt-file',
    '{prompt_file}',
    '--fail-rate',
    String(config.DEMO_AGENT_FAIL_RATE),
    '--delay-ms',
    String(config.DEMO_AGENT_DELAY_MS),
  ];
}

function modelsFor(config: EnvConfig, fallback: string): Record<TaskType, string> {
  const perType: Record<TaskType, string | undefined> = {
    spec: config.PIPELINE_AGENT_MODEL_SPEC,
    impl: config.PIPELINE_AGENT_MODEL_IMPL,
    test: config.PIPELINE_AGENT_MODEL_TEST,
    review: config.PIPELINE_AGENT_MODEL_REVIEW,
    heal: config.PIPELINE_AGENT_MODEL_HEAL,
  };
  const out = {} as Record<TaskType, string>;
  for (const t of TASK_TYPES) out[t] = perType[t] ?? config.PIPELINE_AGENT_MODEL ?? fallback;
  return out;
}

/** Resolves PIPELINE_AGENT / PIPELINE_AGENT_COMMAND into an argv template and per-type models. */
export function resolveAgentSettings(config: EnvConfig): AgentSettings {
  const name: AgentName | undefined = config.PIPELINE_AGENT ?? (config.PIPELINE_AGENT_COMMAND ? 'command' : undefined);
  if (!name) throw new AgentConfigError(NO_AGENT_MESSAGE);
  if (name === 'demo') return { name, argvTemplate: demoAgentArgv(config), modelByType: modelsFor(config, 'demo-1') };
  if (name === 'command') {
    if (!config.PIPELINE_AGENT_COMMAND) throw new AgentConfigError('PIPELINE_AGENT=command needs PIPELINE_AGENT_COMMAND');
    return { name, argvTemplate: parseArgvTemplate(config.PIPELINE_AGENT_COMMAND), modelByType: modelsFor(config, 'default') };
  }
  const preset = PRESETS[name];
  const argv = config.PIPELINE_AGENT_COMMAND ? parseArgvTemplate(config.PIPELINE_AGENT_COMMAND) : preset.argv;
  return { name, argvTemplate: argv, modelByType: modelsFor(config, preset.model) };
}

/** The `model` recorded in metrics: `<agent>/<model>`. */
export function metricModel(agent: AgentSettings, taskType: TaskType): string {
  return `${agent.name}/${agent.modelByType[taskType]}`;
}
