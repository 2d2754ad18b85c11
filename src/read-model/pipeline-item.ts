import { readItemText } from '../backlog/item-text';
import { loadBacklog } from '../backlog/load';
import { pipelineStatusQuery } from '../shared/messages';
import { pipelineWorkflowId } from '../shared/names';
import { withTimeLimit } from '../temporal/connection';
import { describePipeline } from '../temporal/pipeline-control';
import type { PipelineStatusDeps } from './pipeline-status';

const DESCRIBE_DEADLINE_MS = 1500;
const QUERY_DEADLINE_MS = 1500;

/** An item key as spec 001 R5 makes them: a slug of at most 40 characters, `-`, 10 hex digits. */
export const ITEM_KEY_PATTERN = '^[a-z0-9-]{1,40}-[0-9a-f]{10}$';
const itemKeyPattern = new RegExp(ITEM_KEY_PATTERN);

export interface PipelineItemResponse {
  key: string;
  /** The item's whole text (pipeline-status carries an excerpt). */
  text: string;
  source: string;
  /** Null when only the backlog knows the item: no pipeline runs, or it did not answer. */
  state: string | null;
  phase: string | null;
  iteration: number | null;
}

/**
 * One backlog item with its whole text, and its state from the running pipeline's status query. The pipeline
 * holds only an excerpt of a long item's text: the whole text is the one kept in the state dir at the backlog
 * read (`item-texts/<key>.txt`), else the backlog files' (where every text comes from). Null when nothing knows
 * the key. Throws TemporalUnreachableError when Temporal does not answer.
 */
export async function getPipelineItem(deps: PipelineStatusDeps, key: string): Promise<PipelineItemResponse | null> {
  if (!itemKeyPattern.test(key)) return null;
  const description = await describePipeline(deps.temporal, deps.projectId, DESCRIBE_DEADLINE_MS);
  if (description?.status.name === 'RUNNING') {
    const handle = deps.temporal.client.workflow.getHandle(pipelineWorkflowId(deps.projectId));
    const status = await withTimeLimit(deps.temporal, QUERY_DEADLINE_MS, () => handle.query(pipelineStatusQuery)).catch(
      () => null,
    );
    const item = status?.items.find((i) => i.key === key);
    if (item) {
      const text = (await readItemText(deps.stateDir, key)) ?? (await fromBacklog(deps, key))?.text ?? item.text;
      return { key, text, source: item.source, state: item.state, phase: item.phase, iteration: item.iteration };
    }
  }
  const item = await fromBacklog(deps, key);
  return item ? { key, text: item.text, source: item.source, state: null, phase: null, iteration: null } : null;
}

async function fromBacklog(deps: PipelineStatusDeps, key: string) {
  const backlog = await loadBacklog({ projectRoot: deps.projectRoot, ...deps.backlog });
  return backlog.items.find((i) => i.key === key) ?? null;
}
