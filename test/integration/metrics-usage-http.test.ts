import { createServer } from 'node:http';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp } from '../../src/api/app';
import { openApiDocument } from '../../src/api/openapi';
import { loadEnvConfig, projectPaths, type ProjectPaths } from '../../src/config';
import { createLogger } from '../../src/logger';
import { metricLine } from '../../src/metrics/record';
import { MetricsStore } from '../../src/metrics/store';
import type { TaskRecord } from '../../src/shared/contracts/task';
import { TaskIndex } from '../../src/tasks/store';
import { createTemporalClient, type TemporalClient } from '../../src/temporal/connection';
import { makeProject } from '../helpers/project';

/**
 * Token and cost figures from real metrics files to the two HTTP answers that sum them:
 * GET /api/agent/metrics/breakdown and GET /metrics. The seed-compatible GET /api/agent/metrics
 * must not change at all. No Temporal is needed (an unreachable address: the metrics never call it).
 */

/** `name{labels} value` lines of the Prometheus text format. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(l)!;
      const labels = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
      );
      return { name: m[1], labels, value: Number(m[3]) };
    });
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...openApiDocument, $id: 'openapi' } as object);
const validBreakdown = ajv.compile({ $ref: 'openapi#/components/schemas/MetricsBreakdown' });

let n = 0;
const task = (over: Partial<TaskRecord>): TaskRecord => ({
  id: `task_${(++n).toString(16).padStart(16, '0')}`,
  task_type: 'impl',
  status: 'completed',
  direction: 'd',
  model: 'claude/sonnet',
  item_key: 'item-1',
  iteration: 1,
  created_at: '',
  started_at: null,
  finished_at: null,
  output: null,
  exit_code: 0,
  decision_prompt: null,
  decision: null,
  ...over,
});

describe('token and cost figures over HTTP (breakdown and /metrics)', () => {
  let root: string;
  let paths: ProjectPaths;
  let temporal: TemporalClient;
  let base: string;
  let close: () => Promise<void>;
  const get = async (p: string) => {
    const res = await fetch(base + p);
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    root = makeProject(['x']).root;
    const config = loadEnvConfig({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
    paths = projectPaths(config, root);
    mkdirSync(path.dirname(paths.metricsFile), { recursive: true });
    const at = new Date(Date.now() - 3_600_000);
    writeFileSync(
      paths.metricsFile,
      [
        // what a line looked like before the figures, and the demo agent's lines now
        `{"task_id": "task_a000000000000001", "task_type": "spec", "model": "claude/sonnet", "duration_seconds": 12.5, "status": "completed", "created_at": "${at.toISOString().replace('Z', '+00:00')}"}\n`,
        metricLine(task({ task_type: 'spec' }), 30, at),
        // Claude Code (tokens and cost), Codex (tokens only), aider (both)
        metricLine(task({ task_type: 'spec', tokens_in: 12_000, tokens_out: 3_000, cost_usd: 0.42 }), 40, at),
        metricLine(
          task({ tokens_in: 20_000, tokens_out: 5_000, cost_usd: 0.61, status: 'failed', exit_code: 1 }),
          50,
          at,
        ),
        metricLine(task({ model: 'codex/o3', tokens_in: 8_000, tokens_out: 900 }), 20, at),
        metricLine(task({ model: 'aider/sonnet', tokens_in: 1_500, tokens_out: 250, cost_usd: 0.01 }), 10, at),
        // implausible figures, written by hand: ignored, the records still count
        JSON.stringify({
          task_id: 'task_b000000000000001',
          task_type: 'impl',
          model: 'codex/o3',
          duration_seconds: 5,
          status: 'completed',
          created_at: at.toISOString(),
          tokens_in: -100,
          tokens_out: '900',
          cost_usd: 1e300,
        }) + '\n',
        JSON.stringify({
          task_id: 'task_b000000000000002',
          task_type: 'impl',
          model: 'codex/o3',
          duration_seconds: 5,
          status: 'completed',
          created_at: at.toISOString(),
          tokens_in: 1e40,
          tokens_out: [1],
          cost_usd: 'free',
        }) + '\n',
        'not json\n',
      ].join(''),
    );
    temporal = createTemporalClient(config);
    const app = createApp({
      config,
      paths,
      temporal,
      metrics: new MetricsStore(paths.metricsFile),
      tasks: new TaskIndex(paths.stateDir),
      logger: createLogger('test', 'error'),
      host: '127.0.0.1',
    });
    const server = createServer(app.listener).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await temporal.close();
    };
  });

  afterAll(async () => {
    await close?.();
    rmSync(root, { recursive: true, force: true });
  });

  test('when lines with and without figures are in the store, then the breakdown sums them per model and task type, beside the durations, as documented', async () => {
    const res = await get('/api/agent/metrics/breakdown');
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(validBreakdown(body)).toBe(true);
    expect(body.by_model).toEqual({
      'claude/sonnet': {
        count: 4,
        p50_seconds: 40,
        p95_seconds: 50,
        usage_count: 2,
        tokens_in: 32_000,
        tokens_out: 8_000,
        cost_usd: 1.03,
      },
      'codex/o3': {
        count: 3,
        p50_seconds: 5,
        p95_seconds: 20,
        usage_count: 1,
        tokens_in: 8_000,
        tokens_out: 900,
        cost_usd: null,
      },
      'aider/sonnet': {
        count: 1,
        p50_seconds: 10,
        p95_seconds: 10,
        usage_count: 1,
        tokens_in: 1_500,
        tokens_out: 250,
        cost_usd: 0.01,
      },
    });
    expect(body.by_task_type).toEqual({
      spec: {
        count: 3,
        p50_seconds: 30,
        p95_seconds: 40,
        usage_count: 1,
        tokens_in: 12_000,
        tokens_out: 3_000,
        cost_usd: 0.42,
      },
      impl: {
        count: 5,
        p50_seconds: 10,
        p95_seconds: 50,
        usage_count: 3,
        tokens_in: 29_500,
        tokens_out: 6_150,
        cost_usd: 0.62,
      },
    });
  });

  test('when lines carry figures, then GET /api/agent/metrics keeps exactly its seed shape', async () => {
    const body = JSON.parse((await get('/api/agent/metrics')).text);
    expect(Object.keys(body)).toEqual([
      'success_rate',
      'execution_time',
      'by_task_type',
      'by_model',
      'skipped_lines',
      'window_days',
    ]);
    expect(body.by_model).toEqual({
      'claude/sonnet': { count: 4, avg_duration: 33.1 },
      'codex/o3': { count: 3, avg_duration: 10 },
      'aider/sonnet': { count: 1, avg_duration: 10 },
    });
    expect(body.by_task_type.impl).toEqual({ count: 5, completed: 4, failed: 1, success_rate: 0.8 });
    expect(body.skipped_lines).toBe(1);
  });

  test('when Prometheus scrapes, then tokens by direction, cost and the number of reporting tasks are counters per task type and model, also after an append', async () => {
    const scrape = async () => {
      const res = await get('/metrics');
      expect(res.status).toBe(200);
      const all = samples(res.text);
      return (name: string, labels: Record<string, string> = {}) =>
        all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    };
    let of = await scrape();
    expect(
      of('nightshift_agent_tokens_total', { direction: 'in', task_type: 'impl', model: 'claude/sonnet' })[0].value,
    ).toBe(20_000);
    expect(
      of('nightshift_agent_tokens_total', { direction: 'out', task_type: 'impl', model: 'claude/sonnet' })[0].value,
    ).toBe(5_000);
    expect(
      of('nightshift_agent_tokens_total', { direction: 'in', task_type: 'impl', model: 'codex/o3' })[0].value,
    ).toBe(8_000);
    expect(of('nightshift_agent_cost_usd_total', { task_type: 'spec', model: 'claude/sonnet' })[0].value).toBe(0.42);
    // Codex reported tokens but never a cost: no cost series rather than a made-up zero
    expect(of('nightshift_agent_cost_usd_total', { task_type: 'impl', model: 'codex/o3' })).toEqual([]);
    expect(of('nightshift_agent_usage_reports_total', { task_type: 'impl', model: 'codex/o3' })[0].value).toBe(1);
    // a series only where some task reported figures, and every task still counted by nightshift_tasks_total
    expect(
      of('nightshift_agent_tokens_total')
        .map((s) => `${s.labels.direction} ${s.labels.task_type} ${s.labels.model}`)
        .sort(),
    ).toEqual(
      ['impl aider/sonnet', 'impl claude/sonnet', 'impl codex/o3', 'spec claude/sonnet']
        .flatMap((g) => [`in ${g}`, `out ${g}`])
        .sort(),
    );
    expect(of('nightshift_tasks_total').reduce((sum, s) => sum + s.value, 0)).toBe(8);

    appendFileSync(
      paths.metricsFile,
      metricLine(task({ model: 'codex/o3', tokens_in: 2_000, tokens_out: 100, cost_usd: 0.05 }), 15, new Date()),
    );
    of = await scrape();
    expect(
      of('nightshift_agent_tokens_total', { direction: 'in', task_type: 'impl', model: 'codex/o3' })[0].value,
    ).toBe(10_000);
    expect(of('nightshift_agent_cost_usd_total', { task_type: 'impl', model: 'codex/o3' })[0].value).toBe(0.05);
    expect(of('nightshift_agent_usage_reports_total', { task_type: 'impl', model: 'codex/o3' })[0].value).toBe(2);
  });
});
