import { collectDefaultMetrics, Registry } from 'prom-client';
import type { MetricsTotalsRow } from '../metrics/breakdown';
import type { MetricsStore } from '../metrics/store';
import { addFigure, roundUsd } from '../metrics/usage';
import { readMonitorIssuesFile } from '../monitor/issues-file';
import { CONDITIONS } from '../shared/contracts/monitor';
import type { PipelineStatusResponse } from './pipeline-status';

/** Upper bounds of nightshift_task_duration_seconds: agent tasks take seconds to an hour. */
export const DURATION_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600] as const;

const ITEM_STATES = ['pending', 'running', 'passed', 'failed'] as const;
/** Monitor actions that started a heal task (directly, or once a human said yes). */
const HEAL_ACTIONS = new Set(['heal task created', 'needs_decision entry created']);

type Labels = Record<string, string | number>;
interface Sample {
  value: number;
  labels?: Labels;
  metricName?: string;
}
/** What prom-client's registry needs of a metric: computed at scrape time from nightshift's own stores. */
interface ScrapedMetric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: Sample[] }>;
  reset(): void;
}

function scraped(
  name: string,
  help: string,
  type: ScrapedMetric['type'],
  values: () => Promise<Sample[]>,
): ScrapedMetric {
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: await values() }),
    reset: () => undefined,
  };
}

/**
 * Token and cost sums per (task_type, model), summed over statuses; only groups where some task reported them (a sum is
 * NaN while none reported that figure).
 */
function usageByGroup(
  rows: MetricsTotalsRow[],
): { labels: Labels; usageCount: number; tokensIn: number; tokensOut: number; costUsd: number }[] {
  const byGroup = new Map<
    string,
    { labels: Labels; usageCount: number; tokensIn: number; tokensOut: number; costUsd: number }
  >();
  for (const r of rows) {
    if (!r.usageCount) continue;
    const key = JSON.stringify([r.task_type, r.model]);
    let g = byGroup.get(key);
    if (!g)
      byGroup.set(
        key,
        (g = {
          labels: { task_type: r.task_type, model: r.model },
          usageCount: 0,
          tokensIn: NaN,
          tokensOut: NaN,
          costUsd: NaN,
        }),
      );
    g.usageCount += r.usageCount;
    g.tokensIn = addFigure(g.tokensIn, r.tokensIn);
    g.tokensOut = addFigure(g.tokensOut, r.tokensOut);
    g.costUsd = addFigure(g.costUsd, r.costUsd);
  }
  return [...byGroup.values()].map((g) => ({ ...g, costUsd: roundUsd(g.costUsd) }));
}

export interface PrometheusDeps {
  metrics: MetricsStore;
  stateDir: string;
  /** The (briefly cached) pipeline status; rejects when Temporal does not answer. */
  status: () => Promise<PipelineStatusResponse>;
}

/**
 * GET /metrics. Task counts and durations come from the metrics store, so they
 * survive API restarts and count every task of every worker; they drop only
 * when compaction archives old lines, which Prometheus reads as a counter reset.
 */
export function createPrometheusRegistry(deps: PrometheusDeps): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'nightshift_api_' });
  const status = (): Promise<PipelineStatusResponse | null> => deps.status().catch(() => null);
  const totals = () => deps.metrics.totals(DURATION_BUCKETS);

  const metrics: ScrapedMetric[] = [
    scraped(
      'nightshift_tasks_total',
      'Finished tasks in the metrics store, by task type, status and model',
      'counter',
      async () =>
        (await totals()).map((r) => ({
          value: r.count,
          labels: { task_type: r.task_type, status: r.status, model: r.model },
        })),
    ),
    scraped(
      'nightshift_task_duration_seconds',
      'Agent run time of finished tasks, by task type and model',
      'histogram',
      async () => {
        const byGroup = new Map<string, { labels: Labels; buckets: number[]; count: number; sum: number }>();
        for (const r of await totals()) {
          const key = JSON.stringify([r.task_type, r.model]);
          let g = byGroup.get(key);
          if (!g)
            byGroup.set(
              key,
              (g = {
                labels: { task_type: r.task_type, model: r.model },
                buckets: DURATION_BUCKETS.map(() => 0),
                count: 0,
                sum: 0,
              }),
            );
          r.bucketCounts.forEach((n, i) => (g!.buckets[i] += n));
          g.count += r.durationCount;
          g.sum += r.durationSum;
        }
        const out: Sample[] = [];
        for (const g of byGroup.values()) {
          DURATION_BUCKETS.forEach((le, i) =>
            out.push({
              metricName: 'nightshift_task_duration_seconds_bucket',
              labels: { ...g.labels, le },
              value: g.buckets[i],
            }),
          );
          out.push({
            metricName: 'nightshift_task_duration_seconds_bucket',
            labels: { ...g.labels, le: '+Inf' },
            value: g.count,
          });
          out.push({ metricName: 'nightshift_task_duration_seconds_sum', labels: g.labels, value: g.sum });
          out.push({ metricName: 'nightshift_task_duration_seconds_count', labels: g.labels, value: g.count });
        }
        return out;
      },
    ),
    scraped(
      'nightshift_agent_tokens_total',
      "Tokens the agents' models read (direction in) and wrote (out), as their CLIs reported them, by task type and model",
      'counter',
      async () =>
        usageByGroup(await totals()).flatMap((g) => [
          ...(Number.isNaN(g.tokensIn) ? [] : [{ value: g.tokensIn, labels: { direction: 'in', ...g.labels } }]),
          ...(Number.isNaN(g.tokensOut) ? [] : [{ value: g.tokensOut, labels: { direction: 'out', ...g.labels } }]),
        ]),
    ),
    scraped(
      'nightshift_agent_cost_usd_total',
      'US dollars the agent tasks cost, as their CLIs reported it, by task type and model',
      'counter',
      async () =>
        usageByGroup(await totals()).flatMap((g) =>
          Number.isNaN(g.costUsd) ? [] : [{ value: g.costUsd, labels: g.labels }],
        ),
    ),
    scraped(
      'nightshift_agent_usage_reports_total',
      'Finished tasks whose agent reported tokens or cost, by task type and model (the denominator of a per-task average)',
      'counter',
      async () => usageByGroup(await totals()).map((g) => ({ value: g.usageCount, labels: g.labels })),
    ),
    scraped(
      'nightshift_items',
      'Backlog items of the running pipeline, by state (absent while Temporal does not answer)',
      'gauge',
      async () => {
        const s = await status();
        if (!s) return [];
        const byState = s.pipeline.items_by_state;
        const states = new Set<string>([...ITEM_STATES, ...Object.keys(byState)]);
        return [...states].map((state) => ({ value: byState[state] ?? 0, labels: { state } }));
      },
    ),
    scraped(
      'nightshift_attention',
      'Attention flags: 1 while raised (absent while Temporal does not answer)',
      'gauge',
      async () => {
        const s = await status();
        if (!s) return [];
        return CONDITIONS.map((flag) => ({ value: s.attention[flag] ? 1 : 0, labels: { flag } }));
      },
    ),
    scraped('nightshift_heal_tasks_total', 'Heal tasks the monitor started, by condition', 'counter', async () => {
      const counts = new Map<string, number>(CONDITIONS.map((c) => [c, 0]));
      for (const issue of (await readMonitorIssuesFile(deps.stateDir)).issues) {
        const started = issue.actions.filter((a) => HEAL_ACTIONS.has(a.action) && a.task_id).length;
        counts.set(issue.condition, (counts.get(issue.condition) ?? 0) + started);
      }
      return [...counts].map(([condition, value]) => ({ value, labels: { condition } }));
    }),
    scraped('nightshift_temporal_up', '1 when the pipeline status could be read from Temporal', 'gauge', async () => [
      { value: (await status()) ? 1 : 0 },
    ]),
  ];
  for (const m of metrics) registry.registerMetric(m as never);
  return registry;
}
