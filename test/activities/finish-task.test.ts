import { MockActivityEnvironment } from '@temporalio/testing';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFinishTask } from '../../src/activities/finish-task';
import { MetricsStore } from '../../src/metrics/store';
import type { TaskRecord } from '../../src/shared/contracts/task';
import { TaskIndex } from '../../src/tasks/store';

function task(id: string): TaskRecord {
  const now = new Date().toISOString();
  return {
    id,
    task_type: 'impl',
    status: 'completed',
    direction: 'd',
    model: 'demo/demo-1',
    item_key: 'k',
    iteration: 1,
    created_at: now,
    started_at: now,
    finished_at: now,
    output: 'out',
    exit_code: 0,
    decision_prompt: null,
    decision: null,
  };
}

describe('finishTask', () => {
  const finish = createFinishTask();
  const dir = () => mkdtempSync(path.join(os.tmpdir(), 'nightshift-finish-'));

  test('when a retry of the same task runs after the line was written, then the metrics file still has one line for it', async () => {
    const stateDir = dir();
    const metricsFile = path.join(stateDir, 'logs', 'metrics.jsonl');
    const input = { stateDir, metricsFile, task: task('task_00000000000000aa'), durationSeconds: 12.34 };
    expect(await new MockActivityEnvironment({ attempt: 1 }).run(finish, input)).toEqual({ metricsLineWritten: true });
    expect(await new MockActivityEnvironment({ attempt: 2 }).run(finish, input)).toEqual({ metricsLineWritten: false });
    await new MockActivityEnvironment({ attempt: 1 }).run(finish, { ...input, task: task('task_00000000000000bb') });
    const lines = readFileSync(metricsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.task_id)).toEqual(['task_00000000000000aa', 'task_00000000000000bb']);
    expect(lines[0].duration_seconds).toBe(12.3);
    expect((await new TaskIndex(stateDir).get('task_00000000000000aa'))?.status).toBe('completed');
  });

  test('when the task carries the tokens and cost its agent reported, then its metrics line has them after the other keys and the breakdown sums them', async () => {
    const stateDir = dir();
    const metricsFile = path.join(stateDir, 'logs', 'metrics.jsonl');
    const reported = {
      ...task('task_00000000000000dd'),
      model: 'claude/sonnet',
      tokens_in: 15_230,
      tokens_out: 2_045,
      cost_usd: 0.0831,
    };
    await new MockActivityEnvironment({ attempt: 1 }).run(finish, {
      stateDir,
      metricsFile,
      task: reported,
      durationSeconds: 30,
    });
    await new MockActivityEnvironment({ attempt: 1 }).run(finish, {
      stateDir,
      metricsFile,
      task: { ...task('task_00000000000000ee'), model: 'claude/sonnet' },
      durationSeconds: 10,
    });
    const [withFigures, without] = readFileSync(metricsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(Object.keys(withFigures).slice(-3)).toEqual(['tokens_in', 'tokens_out', 'cost_usd']);
    expect(Object.keys(without)).not.toContain('tokens_in');
    const model = (await new MetricsStore(metricsFile).breakdown(7)).by_model['claude/sonnet'];
    expect(model).toMatchObject({ count: 2, usage_count: 1, tokens_in: 15_230, tokens_out: 2_045, cost_usd: 0.0831 });
  });

  test('when a retry runs but the first attempt never wrote its line, then the line is written', async () => {
    const stateDir = dir();
    const metricsFile = path.join(stateDir, 'logs', 'metrics.jsonl');
    const r = await new MockActivityEnvironment({ attempt: 3 }).run(finish, {
      stateDir,
      metricsFile,
      task: task('task_00000000000000cc'),
      durationSeconds: 1,
    });
    expect(r.metricsLineWritten).toBe(true);
    expect(readFileSync(metricsFile, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
