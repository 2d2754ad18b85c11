import { log } from '@temporalio/activity';
import { cleanupTaskLogs } from '../maintenance/cleanup';
import { compactMetrics } from '../maintenance/compact-metrics';
import type { MaintenanceInput, MaintenanceResult } from '../shared/contracts/monitor';
import { whileHeartbeating } from './heartbeat';

/** The pipeline's daily housekeeping: old task logs go, old metrics lines move to an archive. */
export function createMaintain() {
  return async function maintain(input: MaintenanceInput): Promise<MaintenanceResult> {
    return whileHeartbeating(async () => {
      const logs =
        input.logKeepDays > 0
          ? await cleanupTaskLogs({ stateDir: input.stateDir, keepDays: input.logKeepDays })
          : { removed: [] };
      const metrics = await compactMetrics({ metricsFile: input.metricsFile, keepDays: input.metricsKeepDays });
      log.info('maintenance', { logsRemoved: logs.removed.length, metricsArchived: metrics.archived });
      return { logsRemoved: logs.removed.length, metricsArchived: metrics.archived };
    });
  };
}
