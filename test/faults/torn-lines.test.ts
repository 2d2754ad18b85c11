import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { itemsFile, readItemOutcomesCounted } from '../../src/backlog/outcomes';
import { coverageRecordsFile, readPassedSpecsCounted } from '../../src/coverage/update';
import { MetricsStore } from '../../src/metrics/store';
import { TaskIndex, tasksFile } from '../../src/tasks/store';
import { appendLine, fileHasRecord } from '../../src/util/jsonl';
import { makeProject } from '../helpers/project';
import { startTestWorker, testClient, testConfig } from '../helpers/temporal';

/** The first part of a record, without its newline: what a crash mid-write or a full disk leaves. */
const torn = (record: object) => JSON.stringify(record).slice(0, 25);

function lines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim());
}

function wholeRecords(file: string): Record<string, unknown>[] {
  return lines(file).flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

describe('fault: a state file ends in a torn line', () => {
  test('when metrics, tasks, items and coverage records each end in a half-written line, then a real pipeline run loses none of its records and each reader skips and counts the fragment', async () => {
    const project = makeProject(['Implement specs/001-health-check.md'], { review: [{ output: 'VERDICT: pass' }] });
    writeFileSync(path.join(project.root, 'specs', '001-health-check.md'), '# Health check\n');
    const config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand, PIPELINE_META_RATIO: '0' });
    const paths = projectPaths(config, project.root);
    mkdirSync(path.dirname(paths.metricsFile), { recursive: true });
    const old = { created_at: '2026-01-01T00:00:00.000Z', finished_at: '2026-01-01T00:01:00.000Z' };
    const oldMetric = {
      task_id: 'task_00000000000000aa',
      task_type: 'impl',
      model: 'm',
      duration_seconds: 1,
      status: 'completed',
      created_at: new Date().toISOString(),
    };
    const oldTask = { id: 'task_00000000000000aa', task_type: 'impl', status: 'completed', direction: 'old', ...old };
    const oldItem = { key: 'older-item', outcome: 'passed', position: null, at: old.created_at };
    const oldSpec = { spec: '000-older.md', item_key: 'older-item', tests_passed: true, at: old.created_at };
    const files = {
      metrics: paths.metricsFile,
      tasks: tasksFile(paths.stateDir),
      items: itemsFile(paths.stateDir),
      coverage: coverageRecordsFile(paths.stateDir),
    };
    writeFileSync(
      files.metrics,
      `${JSON.stringify(oldMetric)}\n${torn({ ...oldMetric, task_id: 'task_00000000000000bb' })}`,
    );
    writeFileSync(files.tasks, `${JSON.stringify(oldTask)}\n${torn({ ...oldTask, id: 'task_00000000000000bb' })}`);
    writeFileSync(files.items, `${JSON.stringify(oldItem)}\n${torn({ ...oldItem, key: 'torn-item' })}`);
    writeFileSync(files.coverage, `${JSON.stringify(oldSpec)}\n${torn({ ...oldSpec, spec: '002-torn.md' })}`);

    const t = testClient(config);
    const worker = await startTestWorker(config);
    try {
      const started = await startPipeline(t, config, paths, { once: true });
      expect(await t.client.workflow.getHandle(started.workflowId).result()).toMatchObject({
        itemsPassed: 1,
        tasksRun: 4,
      });
    } finally {
      await worker.stop();
      await t.close();
    }

    // every file: the old record, the fragment alone on its line, then every new record whole
    for (const file of Object.values(files)) {
      const all = lines(file);
      expect(all.filter((l) => !isJson(l))).toEqual([all[1]]);
      expect(all[1]).not.toContain('}');
    }
    const metrics = wholeRecords(files.metrics);
    expect(metrics.map((m) => m.task_type)).toEqual(['impl', 'spec', 'impl', 'test', 'review']);
    const store = new MetricsStore(files.metrics);
    const agg = await store.aggregates(7);
    expect(agg.success_rate.total).toBe(5);
    expect(agg.skipped_lines).toBe(1);

    const index = new TaskIndex(paths.stateDir);
    expect((await index.all()).map((r) => r.task_type).sort()).toEqual(['impl', 'impl', 'review', 'spec', 'test']);
    expect(index.skippedLines).toBe(1);

    const items = await readItemOutcomesCounted(paths.stateDir);
    expect(Object.keys(items.outcomes)).toHaveLength(2);
    expect(items.outcomes['older-item']).toBeDefined();
    expect(Object.values(items.outcomes).every((o) => o.outcome === 'passed')).toBe(true);
    expect(items.skippedLines).toBe(1);

    const specs = await readPassedSpecsCounted(paths.stateDir);
    expect([...specs.passed]).toEqual(['000-older.md']); // the new record's tests_passed is false: no test command here
    expect(wholeRecords(files.coverage).map((r) => r.spec)).toEqual(['000-older.md', '001-health-check.md']);
    expect(specs.skippedLines).toBe(1);
  });

  test('when the metrics store is read before and after the fragment is followed by a record, then the fragment is counted once and the record after it is read', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'nightshift-torn-')), 'metrics.jsonl');
    const record = (id: string) =>
      JSON.stringify({
        task_id: id,
        task_type: 'spec',
        model: 'm',
        duration_seconds: 2,
        status: 'completed',
        created_at: new Date().toISOString(),
      });
    writeFileSync(file, `${record('task_0000000000000001')}\n`);
    appendFileSync(file, record('task_0000000000000002').slice(0, 30));
    const store = new MetricsStore(file);
    expect(await store.aggregates(7)).toMatchObject({ success_rate: { total: 1 }, skipped_lines: 0 }); // the fragment may still be completing
    await appendLine(file, record('task_0000000000000003'));
    expect(await store.aggregates(7)).toMatchObject({ success_rate: { total: 2 }, skipped_lines: 1 });
    expect(await new MetricsStore(file).aggregates(7)).toMatchObject({ success_rate: { total: 2 }, skipped_lines: 1 });
  });

  test('when many appends of one process race on a torn file, then the fragment is closed once and every record is whole', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'nightshift-torn-')), 'tasks.jsonl');
    writeFileSync(file, '{"id":"task_000000000000');
    await Promise.all(Array.from({ length: 200 }, (_, i) => appendLine(file, JSON.stringify({ n: i }))));
    const content = readFileSync(file, 'utf8');
    expect(content.split('\n')).toHaveLength(202); // fragment, 200 records, and the final empty string: no blank line
    expect(
      wholeRecords(file)
        .map((r) => r.n)
        .sort((a, b) => Number(a) - Number(b)),
    ).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  test('when a retried metrics write looks for its own line, then a torn fragment of it does not count as written', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'nightshift-torn-')), 'metrics.jsonl');
    const id = 'task_00000000000000cc';
    const line = JSON.stringify({
      task_id: id,
      task_type: 'impl',
      model: 'm',
      duration_seconds: 1,
      status: 'completed',
      created_at: new Date().toISOString(),
    });
    writeFileSync(file, line.slice(0, 40));
    const accept = (r: unknown) => (r as { task_id?: string }).task_id === id;
    expect(await fileHasRecord(file, `"task_id":${JSON.stringify(id)}`, accept)).toBe(false);
    await appendLine(file, line);
    expect(await fileHasRecord(file, `"task_id":${JSON.stringify(id)}`, accept)).toBe(true);
  });
});

function isJson(l: string): boolean {
  try {
    JSON.parse(l);
    return true;
  } catch {
    return false;
  }
}
