import path from 'node:path';
import type { EnvConfig } from '../config';
import type { AgentName, AgentOutputFormat, AgentSettings, TaskType } from '../shared/contracts/task';
import { TASK_TYPES } from '../shared/contracts/task';
import { packageRoot } from '../util/package-root';
import { parseArgvTemplate } from './argv';
import { testedVersion } from './tested-versions';

/** A coding-agent CLI nightshift knows: how to run it unattended, and how to read what it prints. */
export interface AgentPreset {
  /** `{…}` are placeholders (see argv.ts); the direction is one whole argument. */
  argv: string[];
  /** For a direction too long for one argv element: it goes on stdin (`stdinPrompt`) or through `{prompt_file}`. */
  longArgv?: string[];
  stdinPrompt?: boolean;
  model: string;
  output: AgentOutputFormat;
  /** The variables its credential can come from (any one of them). */
  credentialEnv: string[];
  /** Paths it leaves in the project for itself (git info/exclude patterns), never to be committed. */
  leftovers?: string[];
  /** The executable, the package it comes from, and the version nightshift is tested with (null: not testable here). */
  cli: { bin: string; install: string; tested: string | null };
}

/**
 * Claude Code's rights for unattended work: `acceptEdits` lets it read and write files in its working
 * directory (the project, or the item's worktree) and nowhere else; this list adds only the usual test and
 * git inspection commands. Naming `Write` or `Read` here would allow them on any path. Both
 * `--dangerously-skip-permissions` (refused as root) and `bypassPermissions` grant far more.
 * PIPELINE_AGENT_ALLOWED_TOOLS replaces this list.
 */
export const CLAUDE_ALLOWED_TOOLS = [
  'TodoWrite',
  'Bash(git status:*)',
  'Bash(git diff:*)',
  'Bash(git log:*)',
  'Bash(ls:*)',
  'Bash(npm test:*)',
  'Bash(npm run test:*)',
  'Bash(npx jest:*)',
  'Bash(pytest:*)',
  'Bash(python -m pytest:*)',
].join(',');

const claudeArgs = [
  '--model',
  '{model}',
  '--output-format',
  'stream-json',
  '--verbose',
  '--permission-mode',
  'acceptEdits',
  '--allowedTools',
  '{allowed_tools}',
];
const codexArgs = ['exec', '--sandbox', 'workspace-write', '--json', '--skip-git-repo-check', '--model', '{model}'];
// aider's chat and input histories go to the state dir, not into the project; it leaves .gitignore alone.
// `--yes-always` answers its own questions; with shell commands off, that never means running one
// (nightshift runs PIPELINE_TEST_COMMAND itself).
const aiderArgs = [
  '--yes-always',
  '--no-suggest-shell-commands',
  '--no-auto-commits',
  '--no-gitignore',
  '--no-check-update',
  '--analytics-disable',
  '--no-show-model-warnings',
  '--no-pretty',
  '--chat-history-file',
  '{prompt_file}.chat.md',
  '--input-history-file',
  '{prompt_file}.input',
  '--model',
  '{model}',
];

/** Argv templates of the agent CLIs nightshift knows. */
export const PRESETS: Record<Exclude<AgentName, 'demo' | 'command'>, AgentPreset> = {
  claude: {
    argv: ['claude', '-p', '{direction}', ...claudeArgs],
    longArgv: ['claude', '-p', ...claudeArgs],
    stdinPrompt: true,
    model: 'sonnet',
    output: 'claude-stream-json',
    credentialEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN'],
    cli: { bin: 'claude', install: 'npm install -g @anthropic-ai/claude-code', tested: testedVersion('claude') },
  },
  cursor: {
    argv: ['cursor-agent', '-p', '{direction}', '--model', '{model}', '--output-format', 'stream-json', '--force'],
    model: 'auto',
    output: 'cursor-stream-json',
    credentialEnv: ['CURSOR_API_KEY'],
    cli: { bin: 'cursor-agent', install: "Cursor's installer (not on npm or PyPI)", tested: null },
  },
  codex: {
    argv: ['codex', ...codexArgs, '{direction}'],
    longArgv: ['codex', ...codexArgs, '-'],
    stdinPrompt: true,
    model: 'gpt-5-codex',
    output: 'codex-json',
    credentialEnv: ['OPENAI_API_KEY', 'CODEX_API_KEY'],
    cli: { bin: 'codex', install: 'npm install -g @openai/codex', tested: testedVersion('codex') },
  },
  aider: {
    argv: ['aider', ...aiderArgs, '--message', '{direction}'],
    longArgv: ['aider', ...aiderArgs, '--message-file', '{prompt_file}'],
    model: 'sonnet',
    output: 'aider',
    leftovers: ['/.aider*'],
    credentialEnv: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'OPENROUTER_API_KEY', 'GEMINI_API_KEY', 'DEEPSEEK_API_KEY'],
    cli: { bin: 'aider', install: 'pip install aider-chat', tested: testedVersion('aider') },
  },
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
  if (name === 'demo')
    return {
      name,
      argvTemplate: demoAgentArgv(config),
      modelByType: modelsFor(config, 'demo-1'),
      noChange: config.PIPELINE_IMPL_NO_CHANGE,
    };
  if (name === 'command') {
    if (!config.PIPELINE_AGENT_COMMAND)
      throw new AgentConfigError('PIPELINE_AGENT=command needs PIPELINE_AGENT_COMMAND');
    return {
      name,
      argvTemplate: parseArgvTemplate(config.PIPELINE_AGENT_COMMAND),
      modelByType: modelsFor(config, 'default'),
      noChange: config.PIPELINE_IMPL_NO_CHANGE,
    };
  }
  const preset = PRESETS[name];
  const own = config.PIPELINE_AGENT_COMMAND ? parseArgvTemplate(config.PIPELINE_AGENT_COMMAND) : null;
  const fill = (argv: string[]) => argv.map((w) => (w === '{allowed_tools}' ? allowedTools(config) : w));
  return {
    name,
    argvTemplate: own ?? fill(preset.argv),
    modelByType: modelsFor(config, preset.model),
    output: preset.output,
    ...(own || !preset.longArgv
      ? {}
      : { longArgvTemplate: fill(preset.longArgv), stdinPrompt: preset.stdinPrompt ?? false }),
    credentialEnv: preset.credentialEnv,
    noChange: config.PIPELINE_IMPL_NO_CHANGE,
    ...(preset.leftovers ? { leftovers: preset.leftovers } : {}),
  };
}

/** The `model` recorded in metrics: `<agent>/<model>`. */
export function metricModel(agent: AgentSettings, taskType: TaskType): string {
  return `${agent.name}/${agent.modelByType[taskType]}`;
}

/** Claude Code's allowed tools: the preset's list, or PIPELINE_AGENT_ALLOWED_TOOLS; the test command may always run. */
function allowedTools(config: EnvConfig): string {
  const base = config.PIPELINE_AGENT_ALLOWED_TOOLS ?? CLAUDE_ALLOWED_TOOLS;
  const test = config.PIPELINE_TEST_COMMAND ? parseArgvTemplate(config.PIPELINE_TEST_COMMAND).join(' ') : null;
  return test && !/[(),]/.test(test) ? `${base},Bash(${test}:*)` : base;
}
