import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { loadEnvConfig } from '../../src/config';
import { MetricsStore } from '../../src/metrics/store';
import { attentionSnapshot } from '../../src/monitor/snapshot';
import type { TaskRecord } from '../../src/shared/contracts/task';
import { appendTaskSnapshot, TaskIndex } from '../../src/tasks/store';
import { createTemporalClient } from '../../src/temporal/connection';

describe('attention snapshot', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ns-snapshot-'));
    writeFileSync(path.join(dir, 'BACKLOG.md'), '1. An item\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sources = (pipeline: WorkflowExecutionDescription | null) => ({
    // nothing listens on port 1: every call to Temporal fails
    temporal: createTemporalClient(loadEnvConfig({}), '127.0.0.1:1'),
    projectId: 'p',
    projectRoot: dir,
    productBacklog: 'BACKLOG.md',
    metaBacklog: 'META.md',
    metaRatio: 0,
    stateDir: path.join(dir, 'state'),
    tasks: new TaskIndex(path.join(dir, 'state')),
    metrics: new MetricsStore(path.join(dir, 'metrics.jsonl')),
    pipeline,
  });

  test('when the running workflows cannot be listed, then the liveness is marked incomplete (heartbeats may be missing)', async () => {
    const started = new Date(Date.now() - 60 * 60_000);
    const running = {
      status: { name: 'RUNNING' },
      startTime: started,
      raw: {},
    } as unknown as WorkflowExecutionDescription;
    const src = sources(running);
    try {
      const s = await attentionSnapshot(src);
      expect(s.pipelineRunning).toBe(true);
      expect(s.pendingWork).toBe(true);
      expect(s.lastLiveness).toBe(started.getTime());
      expect(s.livenessComplete).toBe(false);
    } finally {
      await src.temporal.close();
    }
  });

  test('when the pipeline is not running, then there is nothing to list and the liveness is complete', async () => {
    const src = sources(null);
    try {
      const s = await attentionSnapshot(src);
      expect(s.pipelineRunning).toBe(false);
      expect(s.livenessComplete).toBe(true);
    } finally {
      await src.temporal.close();
    }
  });

  describe('with the stuck threshold given (10 min)', () => {
    const STUCK_MS = 10 * 60_000;
    const runningSince = (msAgo: number) =>
      ({
        status: { name: 'RUNNING' },
        startTime: new Date(Date.now() - msAgo),
        raw: {},
      }) as unknown as WorkflowExecutionDescription;
    const check = async (pipeline: WorkflowExecutionDescription, taskStartedMsAgo?: number) => {
      const src = { ...sources(pipeline), stuckAfterMs: STUCK_MS };
      if (taskStartedMsAgo !== undefined) {
        const started = new Date(Date.now() - taskStartedMsAgo).toISOString();
        await appendTaskSnapshot(src.stateDir, {
          id: 'task_0000000000000001',
          task_type: 'impl',
          status: 'running',
          created_at: started,
          started_at: started,
          direction: 'd',
        } as TaskRecord);
      }
      try {
        return await attentionSnapshot(src);
      } finally {
        await src.temporal.close();
      }
    };

    // Temporal is unreachable here: a snapshot that tried the list comes back incomplete, one that skipped it complete.
    test('when a task started well within it, then the heartbeats are not read (they cannot make the pipeline stuck)', async () => {
      const s = await check(runningSince(60 * 60_000), 60_000);
      expect(s.livenessComplete).toBe(true);
      expect(s.pendingWork).toBe(true);
    });

    test('when the pipeline run itself started well within it, then the heartbeats are not read', async () => {
      expect((await check(runningSince(60_000))).livenessComplete).toBe(true);
    });

    test('when the last progress is older than half of it, then the heartbeats are read', async () => {
      expect((await check(runningSince(60 * 60_000), 6 * 60_000)).livenessComplete).toBe(false);
      expect((await check(runningSince(60 * 60_000))).livenessComplete).toBe(false);
    });
  });
});
