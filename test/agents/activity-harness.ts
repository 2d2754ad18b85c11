import { MockActivityEnvironment } from '@temporalio/testing';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRunAgentTask } from '../../src/activities/agent';
import { resolveAgentSettings } from '../../src/agents/presets';
import { loadEnvConfig } from '../../src/config';
import type { RunAgentTaskResult, TaskType } from '../../src/shared/contracts/task';

let seq = 0;

export interface AgentRun {
  result: RunAgentTaskResult;
  root: string;
  log: string;
}

/** One task through the real agent activity with a preset, in a fresh git repo (no Temporal server needed). */
export async function runPresetTask(
  agent: string,
  agentEnv: Record<string, string>,
  opts: { taskType?: TaskType; direction?: string; timeoutSeconds?: number; env?: Record<string, string> } = {},
): Promise<AgentRun> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'nightshift-agent-repo-'));
  execFileSync('git', ['init', '-q', '-b', 'main', root]);
  writeFileSync(path.join(root, 'README.md'), '# demo\n');
  execFileSync('git', ['-C', root, '-c', 'user.name=t', '-c', 'user.email=t@t', 'add', '-A']);
  execFileSync('git', ['-C', root, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init']);
  const settings = resolveAgentSettings(loadEnvConfig({ PIPELINE_AGENT: agent, ...opts.env }));
  const id = `task_${(++seq).toString(16).padStart(8, '0')}${process.pid.toString(16).padStart(8, '0').slice(-8)}`;
  const taskType = opts.taskType ?? 'spec';
  const stateDir = path.join(root, '.nightshift');
  execFileSync('sh', ['-c', `echo .nightshift >> "${path.join(root, '.git', 'info', 'exclude')}"`]);
  const run = createRunAgentTask({ agentEnv });
  const result = await new MockActivityEnvironment({ attempt: 1 }).run(run, {
    task: {
      id,
      task_type: taskType,
      direction: opts.direction ?? 'Write or expand the spec for: Add a greeting module. Use specs/TEMPLATE.md',
      model: `${agent}/x`,
      item_key: 'k',
      iteration: 1,
      created_at: new Date().toISOString(),
    },
    projectRoot: root,
    stateDir,
    agent: settings,
    timeoutSeconds: opts.timeoutSeconds ?? 60,
    rateLimit: { pattern: loadEnvConfig({}).PIPELINE_RATE_LIMIT_PATTERN, backoffMinutes: 30 },
  });
  return { result, root, log: readFileSync(path.join(stateDir, 'logs', 'tasks', `${id}.log`), 'utf8') };
}
