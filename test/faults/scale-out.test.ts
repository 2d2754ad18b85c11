import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { auditScaleRun, readScaleRecords, scaleAgentCommand, workerOf, writeScaleAgent } from '../../bench/scale-agent';
import { spawnCli } from '../helpers/cli';
import { makeProject, readJsonl, waitFor } from '../helpers/project';
import { testAddress, testClient, testConfig, waitForPollers } from '../helpers/temporal';

const ITEMS = 10;
const TASKS = ITEMS * 4;

describe('fault: scale-out, three worker processes on one task queue, one SIGKILLed mid-run', () => {
  test('when one of three workers is SIGKILLed with an agent running, then no item or task is lost, each task completes once, and only its in-flight tasks repeat their side effect', async () => {
    const items = Array.from({ length: ITEMS }, (_, i) => `Scale-out item ${i + 1}`);
    const project = makeProject(items);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-scale-'));
    const recordFile = path.join(dir, 'side-effects.jsonl');
    const env = {
      TEMPORAL_ADDRESS: testAddress(),
      PIPELINE_AGENT: 'command',
      PIPELINE_AGENT_COMMAND: scaleAgentCommand(writeScaleAgent(dir), recordFile, 2),
      PIPELINE_META_RATIO: '0',
      PIPELINE_PARALLEL_ITEMS: '6',
      // the killed worker's agent tasks are retried elsewhere after 5 s, not 30
      NIGHTSHIFT_HEARTBEAT_TIMEOUT_SECONDS: '5',
      NIGHTSHIFT_LOG_LEVEL: 'error',
      // three workers started at once would race for the SDK metrics port
      NIGHTSHIFT_WORKER_METRICS_PORT: '0',
    };
    const config = testConfig(env);
    const workerEnv = { ...env, TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE };
    const t = testClient(config);
    const workers = [0, 1, 2].map(() => spawnCli(['worker', '--project', project.root], workerEnv));
    const victim = workers[2];
    try {
      const paths = projectPaths(config, project.root);
      // A worker still starting gets no task: on a loaded machine the first one up would run the whole pipeline.
      await waitForPollers(
        t,
        config.TEMPORAL_TASK_QUEUE,
        workers.map((w) => `${w.pid}@${os.hostname()}`),
      );
      const started = await startPipeline(t, config, paths, { once: true });
      // Kill the victim once every worker has run an agent and it has one running now.
      await waitFor(
        () => {
          const rs = readScaleRecords(recordFile);
          const doneBy = (pid: number) => rs.some((r) => r.event === 'done' && r.worker === pid);
          const running = rs.some(
            (r) =>
              r.event === 'start' && r.worker === victim.pid && !rs.some((d) => d.event === 'done' && d.pid === r.pid),
          );
          return workers.every((w) => doneBy(w.pid!)) && running;
        },
        90_000,
        'every worker to have run an agent and the victim to be running one',
        50,
      );
      const host = readScaleRecords(recordFile).find((r) => r.worker === victim.pid)!.host;
      victim.kill('SIGKILL');
      const killed = { worker: `${victim.pid}@${host}`, at: Date.now() };

      const result = await t.client.workflow.getHandle(started.workflowId).result();
      expect(result).toMatchObject({ itemsPassed: ITEMS, itemsFailed: 0, tasksRun: TASKS });
      expect(victim.signalCode).toBe('SIGKILL');

      // each task id completed exactly once
      const metrics = readJsonl<{ task_id: string; status: string }>(paths.metricsFile);
      expect(metrics).toHaveLength(TASKS);
      expect(new Set(metrics.map((m) => m.task_id)).size).toBe(TASKS);
      expect(metrics.every((m) => m.status === 'completed')).toBe(true);
      // each item passed once
      const outcomes = readJsonl<{ key: string; outcome: string }>(path.join(paths.stateDir, 'items.jsonl'));
      const passed = outcomes.filter((o) => o.outcome === 'passed').map((o) => o.key);
      expect(passed).toHaveLength(ITEMS);
      expect(new Set(passed).size).toBe(ITEMS);

      // the agent's own records: every completed task did its side effect; a repeat only where the killed worker was
      // running it
      const records = readScaleRecords(recordFile);
      const audit = auditScaleRun(records, metrics, killed);
      expect(audit.completed.size).toBe(TASKS);
      expect(audit.lost).toEqual([]);
      expect(audit.unexplained).toEqual([]);
      const killedTasks = new Set(
        records.filter((r) => r.event === 'start' && workerOf(r) === killed.worker).map((r) => r.task_id),
      );
      for (const id of audit.duplicated) expect(killedTasks.has(id)).toBe(true);
      // no side effect for a task id the pipeline does not know
      expect(records.filter((r) => !audit.completed.has(r.task_id))).toEqual([]);
      // the survivors carried on after the kill: they ran tasks that started later
      const survivors = new Set(workers.slice(0, 2).map((w) => w.pid));
      expect(records.some((r) => r.event === 'start' && survivors.has(r.worker) && (r.at ?? 0) > killed.at)).toBe(true);
      // no agent ran under any process but the three workers
      expect(new Set(records.map((r) => r.worker)).size).toBeLessThanOrEqual(3);
      for (const r of records) expect(workers.map((w) => w.pid)).toContain(r.worker);
    } finally {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
      await Promise.all(
        workers.map(
          (w) => new Promise((r) => (w.exitCode !== null || w.signalCode !== null ? r(null) : w.once('exit', r))),
        ),
      );
      await t.close();
    }
  }, 240_000);
});
