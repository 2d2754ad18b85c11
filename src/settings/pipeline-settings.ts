import type { EnvConfig, ProjectPaths } from '../config';
import { currentBranch, isWorkTree } from '../git/repo';
import { parseArgvTemplate } from '../agents/argv';
import { resolveAgentSettings } from '../agents/presets';
import type { AttentionThresholds, MonitorSettings } from '../shared/contracts/monitor';
import type { PipelineSettings } from '../shared/contracts/pipeline';

export function attentionThresholds(config: EnvConfig): AttentionThresholds {
  return {
    stuckMinutes: config.PIPELINE_STUCK_MINUTES,
    repeatedFailures: config.PIPELINE_REPEATED_FAILURES,
    lowSuccessRate: config.PIPELINE_LOW_SUCCESS_RATE,
    lowSuccessMinTasks: config.PIPELINE_LOW_SUCCESS_MIN_TASKS,
  };
}

export function monitorSettings(config: EnvConfig): MonitorSettings {
  return {
    ...attentionThresholds(config),
    intervalSeconds: config.PIPELINE_MONITOR_INTERVAL_SECONDS,
    autoFix: config.PIPELINE_AUTO_FIX_ENABLED,
    autoFixAction: config.PIPELINE_AUTO_FIX_ACTION,
    cooldownMinutes: config.PIPELINE_AUTO_FIX_COOLDOWN_MINUTES,
  };
}

export class SettingsError extends Error {
  readonly type = 'SettingsError';
}

/** Resolves everything a pipeline run needs, once, from the config of whoever starts it. */
export async function buildPipelineSettings(config: EnvConfig, paths: ProjectPaths): Promise<PipelineSettings> {
  const parallel = config.PIPELINE_PARALLEL_ITEMS;
  const baseBranch = (await isWorkTree(paths.projectRoot)) ? await currentBranch(paths.projectRoot) : null;
  if (parallel > 1 && !baseBranch) {
    throw new SettingsError(
      `PIPELINE_PARALLEL_ITEMS=${parallel} needs ${paths.projectRoot} to be a git work tree on a branch (items run in worktrees)`,
    );
  }
  return {
    projectRoot: paths.projectRoot,
    stateDir: paths.stateDir,
    metricsFile: paths.metricsFile,
    productBacklog: config.PIPELINE_BACKLOG,
    metaBacklog: config.PIPELINE_META_BACKLOG,
    metaRatio: config.PIPELINE_META_RATIO,
    agent: resolveAgentSettings(config),
    maxIterations: config.PIPELINE_MAX_ITERATIONS,
    testCommand: config.PIPELINE_TEST_COMMAND ? parseArgvTemplate(config.PIPELINE_TEST_COMMAND) : null,
    taskTimeoutSeconds: config.PIPELINE_TASK_TIMEOUT_SECONDS,
    backlogPollSeconds: config.PIPELINE_BACKLOG_POLL_SECONDS,
    continueAsNewEvents: config.NIGHTSHIFT_CONTINUE_AS_NEW_EVENTS,
    heartbeatTimeoutSeconds: config.NIGHTSHIFT_HEARTBEAT_TIMEOUT_SECONDS,
    workerLossRetries: config.NIGHTSHIFT_WORKER_LOSS_RETRIES,
    autoCommit: config.PIPELINE_AUTO_COMMIT,
    autoPush: config.PIPELINE_AUTO_PUSH,
    parallelItems: parallel,
    baseBranch,
    specCoverage: config.PIPELINE_SPEC_COVERAGE,
    needsDecisionTimeoutHours: config.PIPELINE_NEEDS_DECISION_TIMEOUT_HOURS,
    notifyWebhookUrl: config.PIPELINE_NOTIFY_WEBHOOK_URL ?? null,
    monitor: monitorSettings(config),
    logKeepDays: config.PIPELINE_LOG_KEEP_DAYS,
    metricsKeepDays: config.PIPELINE_METRICS_KEEP_DAYS,
    rateLimitPattern: config.PIPELINE_RATE_LIMIT_PATTERN,
    rateLimitBackoffMinutes: config.PIPELINE_RATE_LIMIT_BACKOFF_MINUTES,
  };
}
