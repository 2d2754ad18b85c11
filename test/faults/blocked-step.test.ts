import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createReadBacklog } from '../../src/activities/backlog';
import { projectPaths, type EnvConfig } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { MetricsStore } from '../../src/metrics/store';
import type { MonitorIssue } from '../../src/shared/contracts/monitor';
import type { ReadBacklogInput } from '../../src/shared/contracts/pipeline';
import { getPipelineStatus, statusDeps } from '../../src/read-model/pipeline-status';
import { TaskIndex } from '../../src/tasks/store';
import type { TemporalClient } from '../../src/temporal/connection';
import { runCli } from '../helpers/cli';
import { makeProject, waitFor } from '../helpers/project';
import { endProjectWorkflows, startTestWorker, testAddress, testClient, testConfig } from '../helpers/temporal';

const FAST_MONITOR = { PIPELINE_MONITOR_INTERVAL_SECONDS: '0.5', PIPELINE_META_RATIO: '0' };

function statusOf(config: EnvConfig, t: TemporalClient, root: string) {
  const paths = projectPaths(config, root);
  return getPipelineStatus(
    statusDeps(config, paths, t, new TaskIndex(paths.stateDir), new MetricsStore(paths.metricsFile)),
  );
}

/** The records of a JSONL file that parse (a write cut short by the full disk leaves a fragment readers skip). */
function wholeRecords<T = Record<string, unknown>>(file: string): T[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((l) => {
    try {
      return l.trim() ? [JSON.parse(l) as T] : [];
    } catch {
      return [];
    }
  });
}

function issues(stateDir: string): MonitorIssue[] {
  try {
    return JSON.parse(readFileSync(path.join(stateDir, 'monitor_issues.json'), 'utf8')).issues;
  } catch {
    return [];
  }
}

describe('fault: a step the pipeline cannot do without keeps failing', () => {
  test('when reading the backlog fails on every attempt (e.g. a backlog too large for a Temporal payload), then blocked_step names the step and its error in the status, the CLI and a monitor issue, and clears once the read succeeds', async () => {
    const project = makeProject(['Wait for a readable backlog'], { review: [{ output: 'VERDICT: pass' }] });
    const env = {
      TEMPORAL_ADDRESS: testAddress(),
      PIPELINE_AGENT_COMMAND: project.agentCommand,
      NIGHTSHIFT_LOG_LEVEL: 'error',
      ...FAST_MONITOR,
    };
    const config = testConfig(env);
    const paths = projectPaths(config, project.root);
    const real = createReadBacklog();
    let broken = true;
    const readBacklog = async (input: ReadBacklogInput) => {
      if (broken)
        throw Object.assign(new Error('Complete result exceeds size limit (backlog too large for one payload)'), {
          name: 'PayloadTooLarge',
        });
      return real(input);
    };
    const t = testClient(config);
    const worker = await startTestWorker(config, { readBacklog });
    try {
      const started = await startPipeline(t, config, paths, { once: true });
      const status = await waitFor(
        async () => {
          const s = await statusOf(config, t, project.root);
          return s.attention.blocked_step ? s : null;
        },
        60_000,
        'blocked_step',
      );
      expect(status.attention.flags).toEqual(['blocked_step']);
      const issue = await waitFor(
        () => issues(paths.stateDir).find((i) => i.condition === 'blocked_step' && !i.resolved_at),
        30_000,
        'the monitor issue',
      );
      expect(issue.severity).toBe('high');
      expect(issue.message).toMatch(
        /readBacklog in nightshift-.* keeps failing \(attempt \d+\): Complete result exceeds size limit/,
      );
      const cli = await runCli(['status', '--attention', '--project', project.root], {
        ...env,
        TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
      });
      expect(cli.stdout).toContain('Attention: blocked_step');
      expect(cli.stdout).toMatch(
        /^ {2}blocked_step: .*readBacklog in nightshift-\S+ keeps failing \(attempt \d+\): Complete result exceeds size limit/m,
      );
      expect(cli.stdout).toMatch(/! blocked_step \(high\): .*readBacklog.*Complete result exceeds size limit/);
      expect(project.calls()).toHaveLength(0);

      broken = false; // the backlog is readable again: the retry goes through and nothing was lost
      const result = await t.client.workflow.getHandle(started.workflowId).result();
      expect(result).toMatchObject({ itemsPassed: 1, tasksRun: 4 });
      await waitFor(
        () => issues(paths.stateDir).find((i) => i.id === issue.id && i.resolved_at),
        30_000,
        'the issue to be resolved',
      );
    } finally {
      await endProjectWorkflows(t, paths.projectId);
      await worker.stop();
      await t.close();
    }
  });

  /**
   * A small tmpfs as the state dir (we run as root in CI and here); without the permission the test cannot make a full
   * disk.
   */
  const tmpfs = (() => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' });
      return dir;
    } catch {
      return null;
    }
  })();
  afterAll(() => {
    if (tmpfs) execFileSync('umount', ['-l', tmpfs], { stdio: 'ignore' });
  });
  (tmpfs ? test : test.skip)(
    'when the state dir’s disk is full (ENOSPC) as a task ends, then the task is not recorded as completed, the pipeline waits with blocked_step, and once space is back it carries on with every record whole',
    async () => {
      const project = makeProject(['Survive a full disk'], {
        spec: [{ sleepMs: 2000, output: 'spec written while the disk fills up' }],
        review: [{ output: 'VERDICT: pass' }],
      });
      const stateDir = path.join(tmpfs!, 'state');
      mkdirSync(stateDir);
      const env = {
        TEMPORAL_ADDRESS: testAddress(),
        PIPELINE_AGENT_COMMAND: project.agentCommand,
        NIGHTSHIFT_HOME: stateDir,
        NIGHTSHIFT_LOG_LEVEL: 'error',
        ...FAST_MONITOR,
      };
      const config = testConfig(env);
      const paths = projectPaths(config, project.root);
      const filler = path.join(tmpfs!, 'filler');
      const t = testClient(config);
      const worker = await startTestWorker(config);
      try {
        const started = await startPipeline(t, config, paths, { once: true });
        const spec = await waitFor(() => project.calls().find((c) => c.taskType === 'spec'), 60_000, 'the spec agent');
        // fill the disk to the last byte while the agent runs: its record is due on a full disk
        try {
          execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' });
        } catch {
          // dd stops with ENOSPC: the disk is full
        }
        const status = await waitFor(
          async () => {
            const s = await statusOf(config, t, project.root);
            return s.attention.blocked_step ? s : null;
          },
          60_000,
          'blocked_step',
        );
        expect(status.attention.flags).toContain('blocked_step');
        const issue = await waitFor(
          () => issues(paths.stateDir).find((i) => i.condition === 'blocked_step'),
          5_000,
          'the monitor issue',
        ).catch(() => null);
        // the monitor's own file is on the full disk too: its issue may wait for space like everything else
        if (issue) expect(issue.message).toMatch(/ENOSPC|no space left/);
        // the task's end is not recorded while the disk is full: no metrics line, no item outcome (new files need a
        // page)
        expect(
          wholeRecords<{ task_id: string }>(paths.metricsFile).filter((m) => m.task_id === spec.taskId),
        ).toHaveLength(0);
        expect(wholeRecords(path.join(paths.stateDir, 'items.jsonl'))).toHaveLength(0);
        // the next task may run beside the pending record (records are written beside the next agent run), none after
        // it
        expect(project.calls().filter((c) => c.taskType === 'test' || c.taskType === 'review')).toHaveLength(0);

        rmSync(filler); // space is back
        const result = await t.client.workflow.getHandle(started.workflowId).result();
        expect(result).toMatchObject({ itemsPassed: 1, tasksRun: 4 });
        const metrics = wholeRecords<{ task_id: string; task_type: string; status: string }>(paths.metricsFile);
        expect(metrics.map((m) => m.task_type)).toEqual(['spec', 'impl', 'test', 'review']);
        expect(metrics.every((m) => m.status === 'completed')).toBe(true);
        expect((await new TaskIndex(paths.stateDir).get(spec.taskId))?.status).toBe('completed');
        const agg = await new MetricsStore(paths.metricsFile).aggregates(7);
        expect(agg.success_rate.total).toBe(4);
        const outcomes = wholeRecords<{ outcome: string }>(path.join(paths.stateDir, 'items.jsonl'));
        expect(outcomes.map((o) => o.outcome)).toEqual(['passed']);
      } finally {
        rmSync(filler, { force: true });
        await endProjectWorkflows(t, paths.projectId);
        await worker.stop();
        await t.close();
      }
    },
  );
});
