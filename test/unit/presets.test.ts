import path from 'node:path';
import {
  AgentConfigError,
  metricModel,
  NO_AGENT_MESSAGE,
  PRESETS,
  resolveAgentSettings,
} from '../../src/agents/presets';
import { TemplateError } from '../../src/agents/argv';
import { loadEnvConfig } from '../../src/config';

const resolve = (env: Record<string, string>) => resolveAgentSettings(loadEnvConfig(env));

describe('resolveAgentSettings', () => {
  test('when no agent is configured, then it throws exactly the contract message', () => {
    expect(() => resolve({})).toThrow(AgentConfigError);
    expect(() => resolve({})).toThrow(new Error('no agent configured: set PIPELINE_AGENT or PIPELINE_AGENT_COMMAND'));
    expect(NO_AGENT_MESSAGE).toBe('no agent configured: set PIPELINE_AGENT or PIPELINE_AGENT_COMMAND');
  });

  test('when PIPELINE_AGENT_COMMAND is blank, then it counts as not configured', () => {
    expect(() => resolve({ PIPELINE_AGENT_COMMAND: '   ' })).toThrow(
      'no agent configured: set PIPELINE_AGENT or PIPELINE_AGENT_COMMAND',
    );
  });

  test('when the agent is claude, then it may edit unattended (acceptEdits, listed tools) with structured output, and never skips permissions', () => {
    const s = resolve({ PIPELINE_AGENT: 'claude' });
    expect(s.name).toBe('claude');
    expect(s.argvTemplate.slice(0, 3)).toEqual(['claude', '-p', '{direction}']);
    const flag = (name: string) => s.argvTemplate[s.argvTemplate.indexOf(name) + 1];
    expect(flag('--permission-mode')).toBe('acceptEdits');
    expect(flag('--output-format')).toBe('stream-json');
    expect(s.argvTemplate).toContain('--verbose');
    expect(flag('--allowedTools').split(',')).toEqual(expect.arrayContaining(['Bash(git diff:*)', 'Bash(npm test:*)']));
    // a bare file tool here would allow it on any path: acceptEdits keeps them to the working directory
    expect(flag('--allowedTools').split(',')).not.toEqual(expect.arrayContaining(['Write']));
    expect(
      flag('--allowedTools')
        .split(',')
        .filter((t) => /^(Read|Edit|MultiEdit|Write|Glob|Grep|LS)$/.test(t)),
    ).toEqual([]);
    expect(s.argvTemplate.join(' ')).not.toMatch(/dangerously|bypassPermissions/);
    expect(s.output).toBe('claude-stream-json');
    expect(s.credentialEnv).toContain('ANTHROPIC_API_KEY');
    expect(s.modelByType).toEqual({ spec: 'sonnet', impl: 'sonnet', test: 'sonnet', review: 'sonnet', heal: 'sonnet' });
    // a long direction goes on stdin: the long form has no direction word
    expect(s.longArgvTemplate).not.toContain('{direction}');
    expect(s.stdinPrompt).toBe(true);
  });

  test('when PIPELINE_AGENT_ALLOWED_TOOLS or PIPELINE_TEST_COMMAND is set, then the claude preset allows exactly those tools plus the test command', () => {
    const s = resolve({
      PIPELINE_AGENT: 'claude',
      PIPELINE_AGENT_ALLOWED_TOOLS: 'Read,Edit',
      PIPELINE_TEST_COMMAND: 'make check',
    });
    expect(s.argvTemplate[s.argvTemplate.indexOf('--allowedTools') + 1]).toBe('Read,Edit,Bash(make check:*)');
  });

  test('when the agent is codex, then it runs in the workspace-write sandbox with JSON events, and the removed --full-auto is gone', () => {
    const s = resolve({ PIPELINE_AGENT: 'codex' });
    expect(s.argvTemplate).not.toContain('--full-auto');
    expect(s.argvTemplate[s.argvTemplate.indexOf('--sandbox') + 1]).toBe('workspace-write');
    expect(s.argvTemplate).toContain('--json');
    expect(s.longArgvTemplate?.at(-1)).toBe('-');
  });

  test('when an impl task may change nothing, then PIPELINE_IMPL_NO_CHANGE says so (default fail)', () => {
    expect(resolve({ PIPELINE_AGENT: 'demo' }).noChange).toBe('fail');
    expect(resolve({ PIPELINE_AGENT: 'aider', PIPELINE_IMPL_NO_CHANGE: 'decide' }).noChange).toBe('decide');
    expect(() => resolve({ PIPELINE_AGENT: 'demo', PIPELINE_IMPL_NO_CHANGE: 'maybe' })).toThrow(
      /PIPELINE_IMPL_NO_CHANGE/,
    );
  });

  test.each(['cursor', 'codex', 'aider'] as const)(
    'when the agent is %s, then its preset argv passes {direction} and {model} as whole arguments',
    (name) => {
      const s = resolve({ PIPELINE_AGENT: name });
      expect(s.name).toBe(name);
      expect(s.argvTemplate).toEqual(PRESETS[name].argv);
      expect(s.argvTemplate).toContain('{direction}');
      expect(s.argvTemplate).toContain('{model}');
      expect(s.argvTemplate[0]).not.toContain(' ');
    },
  );

  test('when only PIPELINE_AGENT_COMMAND is set, then the agent is "command" with the parsed argv', () => {
    const s = resolve({ PIPELINE_AGENT_COMMAND: `my-agent --prompt "{direction}" --model {model}` });
    expect(s.name).toBe('command');
    expect(s.argvTemplate).toEqual(['my-agent', '--prompt', '{direction}', '--model', '{model}']);
    expect(s.modelByType.impl).toBe('default');
  });

  test('when PIPELINE_AGENT_COMMAND is a JSON array, then it is used as argv', () => {
    const s = resolve({ PIPELINE_AGENT: 'command', PIPELINE_AGENT_COMMAND: '["my agent","{direction}"]' });
    expect(s.argvTemplate).toEqual(['my agent', '{direction}']);
  });

  test('when PIPELINE_AGENT_COMMAND has an unterminated quote, then a TemplateError is thrown', () => {
    expect(() => resolve({ PIPELINE_AGENT_COMMAND: 'agent "oops' })).toThrow(TemplateError);
  });

  test('when PIPELINE_AGENT=command is set without a command, then it throws', () => {
    expect(() => resolve({ PIPELINE_AGENT: 'command' })).toThrow(AgentConfigError);
  });

  test('when a preset agent also has PIPELINE_AGENT_COMMAND, then the command overrides the preset argv but keeps the name', () => {
    const s = resolve({ PIPELINE_AGENT: 'claude', PIPELINE_AGENT_COMMAND: '/opt/claude -p {direction}' });
    expect(s.name).toBe('claude');
    expect(s.argvTemplate).toEqual(['/opt/claude', '-p', '{direction}']);
  });

  test('when PIPELINE_AGENT_MODEL is set, then every task type uses it', () => {
    const s = resolve({ PIPELINE_AGENT: 'claude', PIPELINE_AGENT_MODEL: 'opus' });
    expect(s.modelByType).toEqual({ spec: 'opus', impl: 'opus', test: 'opus', review: 'opus', heal: 'opus' });
  });

  test('when a per-type model override is set, then only that type uses it', () => {
    const s = resolve({ PIPELINE_AGENT: 'claude', PIPELINE_AGENT_MODEL: 'opus', PIPELINE_AGENT_MODEL_REVIEW: 'haiku' });
    expect(s.modelByType).toEqual({ spec: 'opus', impl: 'opus', test: 'opus', review: 'haiku', heal: 'opus' });
  });

  test('when a per-type override is set without a global model, then other types keep the preset default', () => {
    const s = resolve({ PIPELINE_AGENT: 'codex', PIPELINE_AGENT_MODEL_SPEC: 'o3' });
    expect(s.modelByType.spec).toBe('o3');
    expect(s.modelByType.impl).toBe(PRESETS.codex.model);
  });

  test('when the agent is demo, then argv runs the built demo agent script with node and the configured fail rate and delay', () => {
    const s = resolve({ PIPELINE_AGENT: 'demo', DEMO_AGENT_FAIL_RATE: '0.25', DEMO_AGENT_DELAY_MS: '7' });
    expect(s.name).toBe('demo');
    expect(s.argvTemplate[0]).toBe(process.execPath);
    expect(s.argvTemplate[1].endsWith(path.join('lib', 'agents', 'demo-agent.js'))).toBe(true);
    expect(path.isAbsolute(s.argvTemplate[1])).toBe(true);
    const opt = (flag: string) => s.argvTemplate[s.argvTemplate.indexOf(flag) + 1];
    expect(opt('--fail-rate')).toBe('0.25');
    expect(opt('--delay-ms')).toBe('7');
    expect(opt('--task-type')).toBe('{task_type}');
    expect(opt('--task-id')).toBe('{task_id}');
    expect(opt('--prompt-file')).toBe('{prompt_file}');
    expect(s.modelByType.impl).toBe('demo-1');
  });
});

describe('metricModel', () => {
  test('when asked for a task type, then the model is `<agent>/<model>` for that type', () => {
    const s = resolve({ PIPELINE_AGENT: 'claude', PIPELINE_AGENT_MODEL: 'opus', PIPELINE_AGENT_MODEL_REVIEW: 'haiku' });
    expect(metricModel(s, 'impl')).toBe('claude/opus');
    expect(metricModel(s, 'review')).toBe('claude/haiku');
  });

  test('when the agent is cursor with defaults, then the metric model is cursor/auto', () => {
    expect(metricModel(resolve({ PIPELINE_AGENT: 'cursor' }), 'spec')).toBe('cursor/auto');
  });
});
