import { MetricsStore } from '../metrics/store';
import { evaluateAttention } from '../monitor/attention';
import { writeMonitorIssuesFile } from '../monitor/issues-file';
import { attentionSnapshot } from '../monitor/snapshot';
import type { AttentionReport, CheckAttentionInput, WriteMonitorIssuesInput } from '../shared/contracts/monitor';
import { TaskIndex } from '../tasks/store';
import type { TemporalClient } from '../temporal/connection';
import { whileHeartbeating } from './heartbeat';

/** Runs the attention rules on a fresh snapshot (task store, metrics, Temporal's view of heartbeats). */
export function createCheckAttention(deps: { temporal: TemporalClient | null }) {
  // Incremental readers live as long as the worker, so a check never re-reads whole files.
  const readers = new Map<string, { tasks: TaskIndex; metrics: MetricsStore }>();
  return async function checkAttention(input: CheckAttentionInput): Promise<AttentionReport> {
    let r = readers.get(input.stateDir);
    if (!r)
      readers.set(
        input.stateDir,
        (r = { tasks: new TaskIndex(input.stateDir), metrics: new MetricsStore(input.metricsFile) }),
      );
    const sources = {
      temporal: deps.temporal,
      projectId: input.projectId,
      projectRoot: input.projectRoot,
      productBacklog: input.productBacklog,
      metaBacklog: input.metaBacklog,
      metaRatio: input.metaRatio,
      stateDir: input.stateDir,
      tasks: r.tasks,
      metrics: r.metrics,
      stuckAfterMs: input.thresholds.stuckMinutes * 60_000,
    };
    return whileHeartbeating(async () => evaluateAttention(await attentionSnapshot(sources), input.thresholds));
  };
}

export function createWriteMonitorIssues() {
  return async function writeMonitorIssues(input: WriteMonitorIssuesInput): Promise<void> {
    await writeMonitorIssuesFile(input.stateDir, { issues: input.issues, last_check: input.lastCheck });
  };
}
