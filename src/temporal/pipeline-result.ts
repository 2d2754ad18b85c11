import type { PipelineResult } from '../shared/contracts/pipeline';
import type { pipelineWorkflow } from '../workflows/pipeline';
import { isUnreachableError, type TemporalClient } from './connection';

/**
 * The pipeline's result, following its continue-as-new chain, however long it
 * takes. nightshift's client has no gRPC retry interceptor, and the server
 * closes every connection after 5 minutes (frontend.keepAliveMaxConnectionAge):
 * the long poll then fails with UNAVAILABLE "Connection dropped" and is simply
 * asked again.
 */
export async function awaitPipelineResult(t: TemporalClient, workflowId: string): Promise<PipelineResult> {
  for (let dropped = 0; ; dropped++) {
    try {
      return await t.client.workflow.getHandle<typeof pipelineWorkflow>(workflowId).result();
    } catch (err) {
      if (!isUnreachableError(err) || dropped >= 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
