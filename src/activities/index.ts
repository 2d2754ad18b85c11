import { createRunAgentTask } from './agent';
import { createReadBacklog } from './backlog';
import { createUpdateCoverage } from './coverage';
import { createFinishTask } from './finish-task';
import { createCloseWorktree, createCommitTask, createPrepareWorktree } from './git';
import { createRecordItemOutcome } from './items';
import { createRunTestCommand } from './test-command';

export interface ActivityDeps {
  /** The environment agents and test commands run with: secrets already removed. */
  agentEnv: NodeJS.ProcessEnv;
}

/** Every activity, built from its dependencies. Only the worker calls this with real ones. */
export function createActivities(deps: ActivityDeps) {
  return {
    runAgentTask: createRunAgentTask(deps),
    finishTask: createFinishTask(),
    readBacklog: createReadBacklog(),
    recordItemOutcome: createRecordItemOutcome(),
    runTestCommand: createRunTestCommand(deps),
    commitTask: createCommitTask(),
    prepareWorktree: createPrepareWorktree(),
    closeWorktree: createCloseWorktree(),
    updateCoverage: createUpdateCoverage(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
