import { existsSync } from 'node:fs';
import path from 'node:path';
import { log } from '@temporalio/activity';
import { whileHeartbeating } from './heartbeat';
import { recordPassedSpecs, specsReferencedIn, updateCoverage as updateCoverageFile } from '../coverage/update';
import { git, isWorkTree } from '../git/repo';
import type { UpdateCoverageInput, UpdateCoverageResult } from '../shared/contracts/repository';

/**
 * After an item passes: remember which specs it implemented (and whether tests
 * passed) in the state dir, then bring SPEC-COVERAGE up to date. With commits on,
 * the table change is committed alone, so it never rides along with a task's commit.
 */
export function createUpdateCoverage() {
  return async function updateCoverage(input: UpdateCoverageInput): Promise<UpdateCoverageResult> {
    return whileHeartbeating(() => update(input));
  };
}

async function update(input: UpdateCoverageInput): Promise<UpdateCoverageResult> {
  const specs = [...new Set(input.texts.flatMap((t) => specsReferencedIn(t)))];
  if (specs.length) await recordPassedSpecs(input.stateDir, specs, input.itemKey, input.testsPassed);
  const file = path.resolve(input.projectRoot, input.coveragePath);
  if (!existsSync(file)) return { changes: 0, skipped: 'no-coverage-file', commitSha: null };
  const r = await updateCoverageFile({
    projectRoot: input.projectRoot,
    coveragePath: input.coveragePath,
    stateDir: input.stateDir,
    dryRun: false,
    testsPassed: true,
  });
  let commitSha: string | null = null;
  if (r.written && input.commit && (await isWorkTree(input.projectRoot))) {
    try {
      const g = await git(input.projectRoot);
      await g.raw(['add', '--', file]);
      await g.raw([
        'commit',
        '-m',
        `[pipeline] coverage: ${r.changes.length} change(s) after ${input.itemKey}\n\nPipeline-Item: ${input.itemKey}\n`,
        '--',
        file,
      ]);
      commitSha = (await g.raw(['rev-parse', 'HEAD'])).trim();
    } catch (err) {
      log.warn('coverage commit failed', { error: (err as Error).message.split('\n')[0] });
    }
  }
  return { changes: r.changes.length, skipped: null, commitSha };
}
