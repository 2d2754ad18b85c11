import { createRunAgentTask } from './agent';
import { createReadBacklog, createReadItemText } from './backlog';
import { createUpdateCoverage } from './coverage';
import { createFinishTask } from './finish-task';
import { createCheckAttention, createWriteMonitorIssues } from './monitor';
import { createMaintain } from './maintenance';
import { createNotify } from './notify';
import { createOpenWindow } from './run-window';
import { createSaveTask } from './save-task';
import { createCloseWorktree, createCommitTask, createPrepareWorktree } from './git';
import { createRecordItemOutcome } from './items';
import { createRunTestCommand } from './test-command';
import type { TemporalClient } from '../temporal/connection';

export interface ActivityDeps {
  /** The environment agents and test commands run with: secrets already removed. */
  agentEnv: NodeJS.ProcessEnv;
  /** For the monitor's view of running workflows and their heartbeats (optional in tests). */
  temporal?: TemporalClient | null;
}

/** Every activity, built from its dependencies. Only the worker calls this with real ones. */
export function createActivities(deps: ActivityDeps) {
  return {
    runAgentTask: createRunAgentTask(deps),
    finishTask: createFinishTask(),
    saveTask: createSaveTask(),
    notify: createNotify(),
    readBacklog: createReadBacklog(),
    readItemText: createReadItemText(),
    recordItemOutcome: createRecordItemOutcome(),
    runTestCommand: createRunTestCommand(deps),
    commitTask: createCommitTask(),
    prepareWorktree: createPrepareWorktree(),
    closeWorktree: createCloseWorktree(),
    updateCoverage: createUpdateCoverage(),
    checkAttention: createCheckAttention({ temporal: deps.temporal ?? null }),
    writeMonitorIssues: createWriteMonitorIssues(),
    maintain: createMaintain(),
    openWindow: createOpenWindow({ temporal: deps.temporal ?? null }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
