import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createUpdateCoverage } from '../../src/activities/coverage';
import { ensureStateDir } from '../../src/settings/state-dir';
import type { UpdateCoverageInput, UpdateCoverageResult } from '../../src/shared/contracts/repository';
import { git } from '../helpers/project';

const COVERAGE = 'docs/SPEC-COVERAGE.md';
const TABLE = [
  '# Spec Coverage',
  '',
  "| Spec | Present | Spec'd | Tested | Notes |",
  '|------|---------|--------|--------|-------|',
  '| 001 Health | ? | ✓ | ? | Pending |',
  '',
].join('\n');

/**
 * A repository with a coverage table, one spec, and a change of someone else's that must stay out of the coverage
 * commit.
 */
function repo(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'nightshift-coverage-'));
  git(root, 'init', '-q', '-b', 'main');
  mkdirSync(path.join(root, 'docs'));
  mkdirSync(path.join(root, 'specs'));
  writeFileSync(path.join(root, COVERAGE), TABLE);
  writeFileSync(path.join(root, 'specs', '001-health.md'), '# 001 Health\n');
  writeFileSync(path.join(root, 'other.txt'), 'v1\n');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'init');
  writeFileSync(path.join(root, 'other.txt'), 'v2, not committed by anyone yet\n');
  return root;
}

const input = (root: string, commit: boolean): UpdateCoverageInput => ({
  projectRoot: root,
  stateDir: path.join(root, '.nightshift'),
  coveragePath: COVERAGE,
  itemKey: 'health-check-0123456789',
  texts: ['Implement the health check per specs/001-health.md'],
  testsPassed: true,
  commit,
});

describe('coverage update after a passed item (spec 030, D4)', () => {
  test('when commits are on, then the table change is committed alone, with the coverage subject and the Pipeline-Item trailer', async () => {
    const root = repo();
    await ensureStateDir(root, path.join(root, '.nightshift')); // as start, up and server do
    const r = (await new MockActivityEnvironment().run(
      createUpdateCoverage(),
      input(root, true),
    )) as UpdateCoverageResult;

    expect(readFileSync(path.join(root, COVERAGE), 'utf8')).toContain('| 001 Health | ✓ | ✓ | ✓ | Pending |');
    expect(r.changes).toBeGreaterThan(0);
    expect(r.commitSha).toBe(git(root, 'rev-parse', 'HEAD').trim());
    expect(git(root, 'log', '-1', '--format=%s').trim()).toBe(
      `[pipeline] coverage: ${r.changes} change(s) after health-check-0123456789`,
    );
    expect(git(root, 'log', '-1', '--format=%(trailers:key=Pipeline-Item,valueonly)').trim()).toBe(
      'health-check-0123456789',
    );
    expect(git(root, 'show', '--name-only', '--format=', 'HEAD').trim()).toBe(COVERAGE);
    expect(git(root, 'status', '--porcelain').trim()).toBe('M other.txt');
  });

  test('when commits are off, then the table is updated in place and no commit is made', async () => {
    const root = repo();
    const r = (await new MockActivityEnvironment().run(
      createUpdateCoverage(),
      input(root, false),
    )) as UpdateCoverageResult;

    expect(r).toMatchObject({ skipped: null, commitSha: null });
    expect(readFileSync(path.join(root, COVERAGE), 'utf8')).toContain('| 001 Health | ✓ | ✓ | ✓ | Pending |');
    expect(git(root, 'rev-list', '--count', 'HEAD').trim()).toBe('1');
  });
});
