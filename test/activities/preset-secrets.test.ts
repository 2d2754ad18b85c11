import { MockActivityEnvironment } from '@temporalio/testing';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRunAgentTask } from '../../src/activities/agent';
import { PRESETS, resolveAgentSettings } from '../../src/agents/presets';
import { agentEnvironment, loadEnvConfig } from '../../src/config';

const SECRETS = {
  PIPELINE_API_TOKEN: 'api-token-secret',
  TEMPORAL_API_KEY: 'temporal-key-secret',
  TEMPORAL_TLS_KEY: '/secret/tls.key',
  TEMPORAL_GRPC_META_AUTH: 'grpc-secret',
};
const CREDENTIALS = {
  ANTHROPIC_API_KEY: 'sk-ant-for-the-agent',
  OPENAI_API_KEY: 'sk-for-the-agent',
  CURSOR_API_KEY: 'cursor-for-the-agent',
};

/**
 * Each preset's CLI gets the credentials it needs and none of nightshift's own secrets. A stand-in
 * executable under the preset's binary name records the environment it was started with.
 */
describe.each(Object.keys(PRESETS) as (keyof typeof PRESETS)[])('the %s preset', (name) => {
  test("when the agent runs, then its model credential is in its environment and nightshift's secrets are not", async () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'nightshift-fake-cli-'));
    const dump = path.join(bin, 'env.json');
    const exe = path.join(bin, PRESETS[name].cli.bin);
    writeFileSync(
      exe,
      `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(dump)}, JSON.stringify(process.env));\nconsole.log('the stand-in agent did its work');\n`,
    );
    chmodSync(exe, 0o755);
    const root = mkdtempSync(path.join(os.tmpdir(), 'nightshift-secrets-'));
    const run = createRunAgentTask({
      agentEnv: agentEnvironment({ PATH: `${bin}:${process.env.PATH}`, HOME: os.tmpdir(), ...SECRETS, ...CREDENTIALS }),
    });
    const agent = resolveAgentSettings(loadEnvConfig({ PIPELINE_AGENT: name }));
    const r = await new MockActivityEnvironment().run(run, {
      task: {
        id: 'task_00000000000000aa',
        task_type: 'spec',
        direction: 'Write or expand the spec for: x.',
        model: `${name}/m`,
        item_key: 'k',
        iteration: 1,
        created_at: new Date().toISOString(),
      },
      projectRoot: root,
      stateDir: path.join(root, '.nightshift'),
      agent,
      timeoutSeconds: 30,
    });
    expect(r.status).toBe('completed');
    const env = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>;
    for (const key of Object.keys(SECRETS)) expect(env[key]).toBeUndefined();
    expect(JSON.stringify(env)).not.toMatch(/api-token-secret|temporal-key-secret|grpc-secret/);
    for (const key of agent.credentialEnv ?? [])
      if (key in CREDENTIALS) expect(env[key]).toBe(CREDENTIALS[key as keyof typeof CREDENTIALS]);
    expect(env.NIGHTSHIFT_TASK_ID).toBe('task_00000000000000aa');
    const log = readFileSync(path.join(root, '.nightshift', 'logs', 'tasks', 'task_00000000000000aa.log'), 'utf8');
    expect(log).not.toMatch(/api-token-secret|temporal-key-secret|grpc-secret|sk-ant-for-the-agent/);
  });
});
