import type { EnvConfig, ProjectPaths } from '../config';
import { parseArgvTemplate } from '../agents/argv';
import { resolveAgentSettings } from '../agents/presets';
import type { PipelineSettings } from '../shared/types';

/** Resolves everything a pipeline run needs, once, from the config of whoever starts it. */
export function buildPipelineSettings(config: EnvConfig, paths: ProjectPaths): PipelineSettings {
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
  };
}
