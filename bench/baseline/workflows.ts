import { proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities } from './activities';

/** The same timeout and retry shape as an agent task, without the bookkeeping around it. */
const { spawnAgent } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3 },
});

export interface BaselineInput {
  /** How many activities to run, one after another. */
  tasks: number;
  agentFile: string;
  recordFile: string;
  /** Task ids are `<prefix>-<n>`, so hand-offs can be grouped per workflow. */
  prefix: string;
}

/**
 * The baseline of the benchmarks: the least a Temporal workflow can do to run
 * an agent task after another — one activity per task, each spawning the same
 * no-op agent process as nightshift does, and nothing else.
 */
export async function baselineWorkflow(input: BaselineInput): Promise<number> {
  for (let i = 0; i < input.tasks; i++) {
    await spawnAgent({
      agentFile: input.agentFile,
      recordFile: input.recordFile,
      taskType: 'impl',
      taskId: `${input.prefix}-${i}`,
    });
  }
  return input.tasks;
}
