import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/temporal';

/**
 * Histories recorded from real runs (scripts/record-histories.js) must replay
 * against the current workflow code: a change that would break running
 * pipelines fails here and needs patched() instead.
 */
const dir = path.resolve(__dirname, '../fixtures/histories');

describe('replay of recorded histories', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  test('when fixtures exist, then there is one for the pipeline, its monitor and an item', () => {
    expect(files.sort()).toEqual(['item.json', 'monitor.json', 'pipeline.json']);
  });

  test.each(files)('when %s is replayed on the current code, then it is deterministic', async (file) => {
    const history = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history)).resolves.toBeUndefined();
  });
});
