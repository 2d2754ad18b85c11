import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoverageTableMissingError } from '../../src/coverage/table';
import { CoverageNotFoundError, readPassedSpecs, recordPassedSpecs, updateCoverage } from '../../src/coverage/update';

/**
 * The seed's SPEC-COVERAGE excerpt, verbatim (seed-formats/SPEC-COVERAGE.excerpt.md): a blank line splits its table,
 * rows with truncated titles.
 */
const SEED_EXCERPT = [
  '<!-- Excerpt of docs/SPEC-COVERAGE.md at seeker71/Coherence-Network commit d9501f1af (2026-02-12). Lines 1-70 (Status Summary table, verbatim incl. its real defects: blank line splitting the table at line 34, script-appended rows with truncated titles directly above **Present:**) and lines 340-368 (two detail sections). -->',
  '',
  '# Spec Coverage — Coherence Network',
  '',
  'Audit of spec → implementation → test mapping. All implementations are spec-driven; tests use real API (no mocks).',
  '',
  '## Status Summary',
  '',
  "| Spec | Present | Spec'd | Tested | Notes |",
  '|------|---------|--------|--------|-------|',
  '| 001 Health | ✓ | ✓ | ✓ | Complete |',
  '| 002 Agent Orchestration | ✓ | ✓ | ✓ | Complete |',
  '| 003 Decision Loop | ✓ | ✓ | ✓ | Agent runner: smoke test only (see shortcuts) |',
  '| 004 CI Pipeline | ✓ | ✓ | ✓ | GitHub Actions for pytest |',
  '| 005 Project Manager | ✓ | ✓ | ✓ | Complete |',
  '| 007 Sprint 0 Landing | ✓ | ✓ | ✓ | Root, /docs, health (007-sprint-0-landing.md) |',
  '| 007 Meta-Pipeline Backlog | — | ✓ | — | Backlog doc (007-meta-pipeline-backlog.md); not impl spec |',
  '| 008 Sprint 1 Graph | ✓ | ✓ | ✓ | Via 019; `--target 5000` closes gap; GET projects/search |',
  '| 019 GraphStore Abstraction | ✓ | ✓ | ✓ | In-memory, indexer, projects API |',
  '| 009 API Error Handling | ✓ | ✓ | ✓ | Complete |',
  '| 010 Request Validation | ✓ | ✓ | ✓ | Complete |',
  '| 011 Pagination | ✓ | ✓ | ✓ | Complete |',
  '| 012 Web Skeleton | ✓ | ✓ | ✓ | Next.js 15 + shadcn; build in CI |',
  '| 013 Logging Audit | ✓ | ✓ | ✓ | RUNBOOK, no-secrets, format (docs) |',
  '| 014 Deploy Readiness | ✓ | ✓ | ✓ | DEPLOY.md, CORS env, health (test_health) |',
  '| 016 Holdout Tests | ✓ | ✓ | ✓ | Pattern implemented |',
  '| 017 Web CI | ✓ | ✓ | ✓ | Web build in test.yml CI |',
  '| 018 Coherence Algorithm Spec | ✓ | ✓ | ✓ | COHERENCE-ALGORITHM-SKETCH; spec 020 impl |',
  '| 020 Sprint 2 Coherence API | ✓ | ✓ | ✓ | GET /coherence; real downstream_impact + dependency_health |',
  '| 021 Web Project Search UI | ✓ | ✓ | ✓ | /search, /project/[eco]/[name]; build in CI |',
  '| 022 Sprint 3 Import Stack | ✓ | ✓ | ✓ | POST lockfile; tests in test_import_stack |',
  '| 023 Web Import Stack UI | ✓ | ✓ | ✓ | /import; file upload; build in CI |',
  '| 024 PyPI Indexing | ✓ | ✓ | ✓ | index_pypi.py; deps.dev + PyPI; GET /projects/pypi/ tested |',
  '| 025 requirements.txt Import | ✓ | ✓ | ✓ | POST accepts .txt; pypi lookup; tests pass |',
  '| PLAN Month 1 (Graph, indexer) | ✓ | — | — | MVP done via 019 |',
  '',
  '| 006 Overnight Backlog | ? | ? | ? | Pending |',
  '| 015 Placeholder | ? | ? | ? | Pending |',
  '| 026 Pipeline Observability And Auto Review | ? | ? | ? | Pending |',
  '| 026 Phase 1 Task Metrics | ? | ✓ | ? | Persist metrics, GET /api/agent/metrics |',
  '| 027 Fully Automated Pipeline | ✓ | ✓ | ✓ | Auto-update, metrics, attention |',
  '| 027 Auto Update Framework | ✓ | ✓ | ✓ | update_spec_coverage.py, CI step |',
  '| 028 Parallel By Phase Pipeline | ✓ | ✓ | ✓ | workers=5, meta-ratio, atomic state |',
  '| 029 GitHub API Integration | ? | ✓ | ? | P0 for coherence; spec only |',
  '| 030 Pipeline Full Automation | ? | ✓ | ? | Auto-commit, meta tasks; pending |',
  '| 030 Spec Coverage Update | ✓ | ✓ | — | Doc-only; this spec |',
  '| 031 Setup Troubleshooting Venv | ? | ✓ | — | SETUP.md; pending |',
  '| 032 Attention Heuristics Pipeline Status | ✓ | ✓ | ✓ | pipeline-status attention flags |',
  '| 033 README Quick Start Qualify | ? | ✓ | — | Doc-only; pending |',
  '| 034 Ops Runbook | ✓ | ✓ | ✓ | RUNBOOK.md; sections present |',
  '| 035 Glossary | ✓ | ✓ | ✓ | docs/GLOSSARY.md; required terms; test_glossary |',
  '| 036 Check Pipeline Hierarchical View | ? | ✓ | ? | check_pipeline.py Goal→PM→Tasks→Artifacts; pending |',
  '| 037 POST invalid task_type 422 | ✓ | ✓ | ✓ | test_post_task_invalid_task_type_returns_422 |',
  '| 038 POST empty direction 422 | ✓ | ✓ | ✓ | test_post_task_empty_direction_returns_422 |',
  '| 039 Pipeline Status Empty State 200 | ✓ | ✓ | ✓ | test_pipeline_status_returns_200_when_no_running_task_empty_state |',
  '| 040 PM load_backlog Malformed Test | ✓ | ✓ | ✓ | test_load_backlog_malformed_missing_numbers; mixed numbered/unnumbered lines |',
  '| 041 PM --state-file Flag Test | ✓ | ✓ | ✓ | test_state_file_flag_uses_alternate_path, test_project_manager_state_file_flag_uses_alternate_state_path |',
  '| 042 PM --reset Clears State Test | ✓ | ✓ | ✓ | test_reset_clears_state_and_starts_from_index_zero |',
  '| 043 Agent spec→local Route Test | ✓ | ✓ | ✓ | test_spec_tasks_route_to_local (GET /route?task_type=spec, tier local) |',
  '| 044 Agent test→local Route Test | ✓ | ✓ | ✓ | test_test_tasks_route_to_local (GET /route?task_type=test, local model) |',
  '| 045 Effectiveness Plan Progress Phase 6  | ? | ? | ? | Pending |',
  '| 046 Agent Debugging Pipeline Stuck Task Hang | ? | ? | ? | Pending |',
  '| 047 Heal Completion Issue Resolutio | ? | ? | ? | Pending |',
  '**Present:** Implemented. **Missing:** Not implemented. **Shortcuts:** See below.',
  '',
  '---',
  '',
  '## Known Shortcuts / Limitations',
  '',
  '| Item | Status | Action |',
  '|------|--------|--------|',
  '| **Agent runner test** | Smoke test only — verifies script runs, no import error. Does *not* run full E2E (API + poll + execute). | Full E2E: run API in one terminal, `python scripts/agent_runner.py --once` in another. |',
  '',
  '[... lines 71-339 omitted ...]',
  '',
  '---',
  '',
  '## Spec 027: Auto Update Framework',
  '',
  '| Requirement | Implementation | Test |',
  '|-------------|----------------|------|',
  '| Script runs after pytest, updates SPEC-COVERAGE when tests pass | `api/scripts/update_spec_coverage.py` | `test_update_spec_coverage_dry_run` (test_agent, test_update_spec_coverage) |',
  '| Additive rows only; STATUS update (test count / specs list) | `update_spec_coverage.py` | Script tests in test_update_spec_coverage.py |',
  '| --dry-run, idempotent, CI step after pytest (continue-on-error) | Script, `.github/workflows/test.yml` | `test_update_spec_coverage_dry_run`, `test_ci_runs_update_spec_coverage_after_pytest` |',
  '',
  '**Files:** `api/scripts/update_spec_coverage.py`, `docs/SPEC-COVERAGE.md`, `docs/STATUS.md`, `.github/workflows/test.yml`, `api/tests/test_update_spec_coverage.py`',
  '',
  '---',
  '',
  '## Spec 032: Attention Heuristics Pipeline Status',
  '',
  '| Requirement | Implementation | Test |',
  '|-------------|----------------|------|',
  '| GET /api/agent/pipeline-status returns attention object (stuck, repeated_failures, low_success_rate, flags) | `routers/agent.py`, pipeline-status handler; attention from task store + metrics | `test_pipeline_status_returns_200`, `test_pipeline_status_response_shape_defines_contract` |',
  '| Stuck: pending, no running, wait > threshold | Attention logic (e.g. agent_service or pipeline_status) | (above) |',
  '| Repeated failures: last N completed all failed | Attention logic | (above) |',
  '| Low success rate: windowed rate < threshold when sample ≥ min | metrics_service.get_aggregates() | (above) |',
  '',
  '**Files:** `api/app/routers/agent.py`, `api/app/services/agent_service.py` (or pipeline-status/attention module), `api/tests/test_agent.py`',
  '',
  "**Note:** Configurable thresholds (env) and check_pipeline.py --attention are spec'd but optional; when implemented, add to this section.",
  '',
  '---',
  '',
  '',
].join('\n');

const COVERAGE = 'docs/SPEC-COVERAGE.md';

/**
 * Spec files of the temp project: shared numbers (027, 030, 048), the 047 file behind the truncated row, a renamed 046
 * row, new 048/050 specs, and names that are not specs.
 */
const SPEC_FILES = [
  '001-health.md',
  '026-phase-1-task-metrics.md',
  '027-fully-automated-pipeline.md',
  '027-auto-update-framework.md',
  '029-github-api-integration.md',
  '030-pipeline-full-automation.md',
  '030-spec-coverage-update.md',
  '033-readme-quick-start-qualify.md',
  '045-effectiveness-plan-progress-phase-6-7.md',
  '046-agent-debugging-pipeline-hang.md',
  '047-heal-completion-issue-resolution.md',
  '048-beta-report.md',
  '048-alpha-report.md',
  '050-something-new.md',
  // not specs:
  '006-overnight-backlog.md',
  '007-meta-pipeline-backlog.md',
  '015-placeholder.md',
  'TEMPLATE.md',
  'README.md',
  '12-short-number.md',
];

const ADDED_ROWS_TEMPLATE = [
  '| 048 Alpha Report | ? | ? | ? | Pending |',
  '| 048 Beta Report | ? | ? | ? | Pending |',
  '| 050 Something New | ? | ? | ? | Pending |',
];
const PLAN_ROW = '| PLAN Month 1 (Graph, indexer) | ✓ | — | — | MVP done via 019 |';

function makeProject(content = SEED_EXCERPT, specFiles = SPEC_FILES): { root: string; stateDir: string; file: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-coverage-'));
  fs.mkdirSync(path.join(root, 'docs'));
  fs.mkdirSync(path.join(root, 'specs'));
  for (const f of specFiles) fs.writeFileSync(path.join(root, 'specs', f), `# ${f}\n`);
  const file = path.join(root, COVERAGE);
  fs.writeFileSync(file, content);
  return { root, stateDir: path.join(root, '.nightshift'), file };
}

function writeRecords(stateDir: string, records: { spec: string; tests_passed: boolean }[]): void {
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(
    path.join(stateDir, 'coverage.jsonl'),
    records.map((r) => JSON.stringify({ ...r, item_key: 'item-x', at: '2026-03-10T12:00:00.000Z' })).join('\n') + '\n',
  );
}

const run = (p: { root: string; stateDir: string }, over: { dryRun?: boolean; testsPassed?: boolean } = {}) =>
  updateCoverage({
    projectRoot: p.root,
    coveragePath: COVERAGE,
    stateDir: p.stateDir,
    dryRun: false,
    testsPassed: false,
    ...over,
  });

/**
 * Checks that `after` is `before` with exactly `inserted` lines added right after the line `anchor`,
 * and that every other line is unchanged except the ones in `changed` (before → after).
 */
function expectOnly(
  before: string,
  after: string,
  anchor: string,
  inserted: string[],
  changed: Record<string, string>,
): void {
  const b = before.split('\n');
  const a = after.split('\n');
  const at = b.indexOf(anchor);
  expect(at).toBeGreaterThanOrEqual(0);
  expect(a.slice(at + 1, at + 1 + inserted.length)).toEqual(inserted);
  const rest = [...a.slice(0, at + 1), ...a.slice(at + 1 + inserted.length)];
  expect(rest).toHaveLength(b.length);
  const seen: string[] = [];
  b.forEach((line, i) => {
    if (line in changed) {
      expect(rest[i]).toBe(changed[line]);
      seen.push(line);
    } else expect(rest[i]).toBe(line);
  });
  expect(seen.sort()).toEqual(Object.keys(changed).sort());
}

describe('updateCoverage on the seed SPEC-COVERAGE excerpt', () => {
  const made: string[] = [];
  const project = (content?: string, specs?: string[]) => {
    const p = makeProject(content, specs);
    made.push(p.root);
    return p;
  };
  afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test("when specs lack rows, then complete-title rows are added inside the table right after its last row, one per file, sorted, with Spec'd ✓", async () => {
    const p = project();
    const r = await run(p);
    expect(r.written).toBe(true);
    const after = fs.readFileSync(p.file, 'utf8');
    expect(after).toBe(r.content);
    expectOnly(
      SEED_EXCERPT,
      after,
      PLAN_ROW,
      [
        '| 048 Alpha Report | ? | ✓ | ? | Pending |',
        '| 048 Beta Report | ? | ✓ | ? | Pending |',
        '| 050 Something New | ? | ✓ | ? | Pending |',
      ],
      {
        '| 045 Effectiveness Plan Progress Phase 6  | ? | ? | ? | Pending |':
          '| 045 Effectiveness Plan Progress Phase 6  | ? | ✓ | ? | Pending |',
        '| 046 Agent Debugging Pipeline Stuck Task Hang | ? | ? | ? | Pending |':
          '| 046 Agent Debugging Pipeline Stuck Task Hang | ? | ✓ | ? | Pending |',
        '| 047 Heal Completion Issue Resolutio | ? | ? | ? | Pending |':
          '| 047 Heal Completion Issue Resolutio | ? | ✓ | ? | Pending |',
      },
    );
    // The new rows sit directly under the PLAN row, before the blank line: the table is not split further.
    expect(after).toContain(
      `${PLAN_ROW}\n| 048 Alpha Report | ? | ✓ | ? | Pending |\n| 048 Beta Report | ? | ✓ | ? | Pending |\n| 050 Something New | ? | ✓ | ? | Pending |\n\n| 006 Overnight Backlog |`,
    );
    expect(r.changes).toEqual([
      { kind: 'mark', row: '045 Effectiveness Plan Progress Phase 6', column: "Spec'd" },
      { kind: 'mark', row: '046 Agent Debugging Pipeline Stuck Task Hang', column: "Spec'd" },
      { kind: 'mark', row: '047 Heal Completion Issue Resolutio', column: "Spec'd" },
      { kind: 'add', row: ADDED_ROWS_TEMPLATE[0] },
      { kind: 'mark', row: '048 Alpha Report', column: "Spec'd" },
      { kind: 'add', row: ADDED_ROWS_TEMPLATE[1] },
      { kind: 'mark', row: '048 Beta Report', column: "Spec'd" },
      { kind: 'add', row: ADDED_ROWS_TEMPLATE[2] },
      { kind: 'mark', row: '050 Something New', column: "Spec'd" },
    ]);
  });

  test('when a row has a truncated title or two files share a number, then no duplicate row is added and no file is left without a row', async () => {
    const p = project();
    await run(p);
    const after = fs.readFileSync(p.file, 'utf8');
    const rowsFor = (n: string) => after.split('\n').filter((l) => l.startsWith(`| ${n} `));
    expect(rowsFor('047')).toEqual(['| 047 Heal Completion Issue Resolutio | ? | ✓ | ? | Pending |']);
    expect(rowsFor('045')).toHaveLength(1);
    expect(rowsFor('046')).toHaveLength(1);
    expect(rowsFor('027')).toHaveLength(2);
    expect(rowsFor('030')).toHaveLength(2);
    expect(rowsFor('048')).toEqual([
      '| 048 Alpha Report | ? | ✓ | ? | Pending |',
      '| 048 Beta Report | ? | ✓ | ? | Pending |',
    ]);
    expect(after).not.toContain('Heal Completion Issue Resolution');
    // Backlogs, placeholders, TEMPLATE.md and names without three digits never get rows.
    expect(after).not.toMatch(/Meta Pipeline Backlog|Short Number|TEMPLATE|Readme \|/);
    expect(rowsFor('006')).toEqual(['| 006 Overnight Backlog | ? | ? | ? | Pending |']);
    expect(rowsFor('015')).toEqual(['| 015 Placeholder | ? | ? | ? | Pending |']);
  });

  test('when tests are not confirmed passed, then Present and Tested never change, even for specs recorded as passed', async () => {
    const p = project();
    writeRecords(p.stateDir, [
      { spec: '029-github-api-integration.md', tests_passed: true },
      { spec: '047-heal-completion-issue-resolution.md', tests_passed: true },
    ]);
    const r = await run(p, { testsPassed: false });
    expect(r.changes.filter((c) => c.column && c.column !== "Spec'd")).toEqual([]);
    const after = fs.readFileSync(p.file, 'utf8');
    expect(after).toContain('| 029 GitHub API Integration | ? | ✓ | ? | P0 for coherence; spec only |');
    expect(after).toContain('| 047 Heal Completion Issue Resolutio | ? | ✓ | ? | Pending |');
  });

  test('when tests passed and specs are recorded as passed, then only those specs get Present and Tested ✓', async () => {
    const p = project();
    writeRecords(p.stateDir, [
      { spec: '029-github-api-integration.md', tests_passed: true },
      { spec: '033-readme-quick-start-qualify.md', tests_passed: false },
      { spec: '033-readme-quick-start-qualify.md', tests_passed: true },
      { spec: '045-effectiveness-plan-progress-phase-6-7.md', tests_passed: false },
      { spec: '047-heal-completion-issue-resolution.md', tests_passed: true },
      { spec: '050-something-new.md', tests_passed: true },
    ]);
    const r = await run(p, { testsPassed: true });
    const after = fs.readFileSync(p.file, 'utf8');
    expectOnly(
      SEED_EXCERPT,
      after,
      PLAN_ROW,
      [
        '| 048 Alpha Report | ? | ✓ | ? | Pending |',
        '| 048 Beta Report | ? | ✓ | ? | Pending |',
        '| 050 Something New | ✓ | ✓ | ✓ | Pending |',
      ],
      {
        '| 029 GitHub API Integration | ? | ✓ | ? | P0 for coherence; spec only |':
          '| 029 GitHub API Integration | ✓ | ✓ | ✓ | P0 for coherence; spec only |',
        // 030 has a spec file but no recorded pass: its Present/Tested stay '?' (it is not in this map).
        '| 033 README Quick Start Qualify | ? | ✓ | — | Doc-only; pending |':
          '| 033 README Quick Start Qualify | ✓ | ✓ | ✓ | Doc-only; pending |',
        '| 045 Effectiveness Plan Progress Phase 6  | ? | ? | ? | Pending |':
          '| 045 Effectiveness Plan Progress Phase 6  | ? | ✓ | ? | Pending |',
        '| 046 Agent Debugging Pipeline Stuck Task Hang | ? | ? | ? | Pending |':
          '| 046 Agent Debugging Pipeline Stuck Task Hang | ? | ✓ | ? | Pending |',
        '| 047 Heal Completion Issue Resolutio | ? | ? | ? | Pending |':
          '| 047 Heal Completion Issue Resolutio | ✓ | ✓ | ✓ | Pending |',
      },
    );
    expect(r.changes).toContainEqual({ kind: 'mark', row: '029 GitHub API Integration', column: 'Present' });
    expect(r.changes).toContainEqual({ kind: 'mark', row: '033 README Quick Start Qualify', column: 'Tested' });
    expect(r.changes).toContainEqual({ kind: 'mark', row: '050 Something New', column: 'Tested' });
    expect(r.changes).not.toContainEqual(
      expect.objectContaining({ row: '045 Effectiveness Plan Progress Phase 6', column: 'Present' }),
    );
  });

  test('when a ✓ row has no spec file, or a mark is ✓ already, then nothing is downgraded or removed', async () => {
    const p = project(SEED_EXCERPT, ['050-something-new.md']);
    writeRecords(p.stateDir, [{ spec: '050-something-new.md', tests_passed: true }]);
    await run(p, { testsPassed: true });
    const before = SEED_EXCERPT.split('\n');
    const after = fs.readFileSync(p.file, 'utf8').split('\n');
    // Every original line is still there, unchanged and in order.
    expect(after.filter((l) => l !== '| 050 Something New | ✓ | ✓ | ✓ | Pending |')).toEqual(before);
    expect(after).toContain('| 002 Agent Orchestration | ✓ | ✓ | ✓ | Complete |');
    expect(after).toContain(
      '| 007 Meta-Pipeline Backlog | — | ✓ | — | Backlog doc (007-meta-pipeline-backlog.md); not impl spec |',
    );
  });

  test('when it runs a second time, then the file is byte-identical and not rewritten', async () => {
    const p = project();
    writeRecords(p.stateDir, [{ spec: '029-github-api-integration.md', tests_passed: true }]);
    const first = await run(p, { testsPassed: true });
    expect(first.written).toBe(true);
    const bytes = fs.readFileSync(p.file);
    const stat = fs.statSync(p.file);
    for (const testsPassed of [true, false]) {
      const again = await run(p, { testsPassed });
      expect(again).toEqual({ changes: [], written: false, content: bytes.toString('utf8') });
    }
    expect(fs.readFileSync(p.file).equals(bytes)).toBe(true);
    expect(fs.statSync(p.file).ino).toBe(stat.ino);
    expect(fs.statSync(p.file).mtimeMs).toBe(stat.mtimeMs);
  });

  test('when it is a dry run, then it reports the same changes and writes nothing', async () => {
    const p = project();
    const bytes = fs.readFileSync(p.file);
    const dry = await run(p, { dryRun: true });
    expect(dry.written).toBe(false);
    expect(fs.readFileSync(p.file).equals(bytes)).toBe(true);
    expect(fs.readdirSync(path.join(p.root, 'docs'))).toEqual(['SPEC-COVERAGE.md']);
    const real = await run(p);
    expect(real.changes).toEqual(dry.changes);
    expect(fs.readFileSync(p.file, 'utf8')).toBe(dry.content);
  });

  test('when the file uses CRLF line endings, then it stays CRLF, added rows included', async () => {
    const crlf = SEED_EXCERPT.replace(/\n/g, '\r\n');
    const lf = project();
    const p = project(crlf);
    await run(lf);
    await run(p);
    const after = fs.readFileSync(p.file, 'utf8');
    expect(after).toBe(fs.readFileSync(lf.file, 'utf8').replace(/\n/g, '\r\n'));
    expect(after).toMatch(/\| 050 Something New \| \? \| ✓ \| \? \| Pending \|\r\n\r\n\| 006 /);
    expect(after.match(/(?<!\r)\n/g)).toBeNull();
    expect((await run(p)).changes).toEqual([]);
  });

  test('when the coverage file is missing, then it fails with CoverageNotFoundError naming the configured path', async () => {
    const p = project();
    fs.rmSync(p.file);
    const err = await run(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoverageNotFoundError);
    expect((err as CoverageNotFoundError).type).toBe('CoverageNotFound');
    expect((err as Error).message).toBe('SPEC-COVERAGE not found: docs/SPEC-COVERAGE.md');
    expect(fs.existsSync(p.file)).toBe(false);
  });

  test('when specs/ does not exist, then there are no specs and nothing changes', async () => {
    const p = project();
    fs.rmSync(path.join(p.root, 'specs'), { recursive: true });
    const r = await run(p, { testsPassed: true });
    expect(r).toEqual({ changes: [], written: false, content: SEED_EXCERPT });
  });

  test('when the document has no coverage table, then it fails and writes nothing', async () => {
    const p = project('# Spec Coverage\n\n| Item | Status | Action |\n|---|---|---|\n| 001 Health | ✓ | x |\n');
    await expect(run(p)).rejects.toBeInstanceOf(CoverageTableMissingError);
    expect(fs.readFileSync(p.file, 'utf8')).toBe(
      '# Spec Coverage\n\n| Item | Status | Action |\n|---|---|---|\n| 001 Health | ✓ | x |\n',
    );
  });

  test('when a generated table ends the file without a newline, then rows are added and there is still no trailing newline', async () => {
    const table =
      "# Coverage\n\n| Spec | Present | Spec'd | Tested | Notes |\n|---|---|---|---|---|\n| 001 Health | ✓ | ? | ✓ | ok |";
    const p = project(table, ['001-health.md', '002-rest-api.md']);
    await run(p);
    expect(fs.readFileSync(p.file, 'utf8')).toBe(
      "# Coverage\n\n| Spec | Present | Spec'd | Tested | Notes |\n|---|---|---|---|---|\n| 001 Health | ✓ | ✓ | ✓ | ok |\n| 002 Rest Api | ? | ✓ | ? | Pending |",
    );
    expect((await run(p)).written).toBe(false);
  });

  test('when the table has no rows yet, then rows go right after the separator and the text after it is kept', async () => {
    const table =
      "Intro\n\n| Spec | Present | Spec'd | Tested | Notes |\n|------|---------|--------|--------|-------|\n\n**Present:** Implemented.\n\n## Spec 002: Rest Api\n\n| 002 Rest Api | detail |\n|---|---|\n";
    const p = project(table, ['002-rest-api.md', '001-item-keys.md']);
    const r = await run(p);
    expect(fs.readFileSync(p.file, 'utf8')).toBe(
      "Intro\n\n| Spec | Present | Spec'd | Tested | Notes |\n|------|---------|--------|--------|-------|\n| 001 Item Keys | ? | ✓ | ? | Pending |\n| 002 Rest Api | ? | ✓ | ? | Pending |\n\n**Present:** Implemented.\n\n## Spec 002: Rest Api\n\n| 002 Rest Api | detail |\n|---|---|\n",
    );
    expect(r.changes.filter((c) => c.kind === 'add')).toHaveLength(2);
  });
});

describe('passed specs in <state dir>/coverage.jsonl', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-coverage-state-'));
  });
  afterEach(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  test('when specs are recorded, then one JSON line per spec file is appended with the item key and result', async () => {
    await recordPassedSpecs(
      stateDir,
      ['specs/001-health-check.md', '002-rest-api.md', '001-health-check.md'],
      'item-abc',
      true,
    );
    await recordPassedSpecs(stateDir, ['003-cli.md'], 'item-def', false);
    const lines = fs.readFileSync(path.join(stateDir, 'coverage.jsonl'), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const records = lines.map((l) => JSON.parse(l));
    expect(records.map(({ at: _at, ...r }) => r)).toEqual([
      { spec: '001-health-check.md', item_key: 'item-abc', tests_passed: true },
      { spec: '002-rest-api.md', item_key: 'item-abc', tests_passed: true },
      { spec: '003-cli.md', item_key: 'item-def', tests_passed: false },
    ]);
    for (const r of records) expect(new Date(r.at).toISOString()).toBe(r.at);
  });

  test('when any line for a spec has tests_passed true, then it counts as passed; torn lines are skipped', async () => {
    await recordPassedSpecs(stateDir, ['001-a.md', '002-b.md'], 'k1', false);
    fs.appendFileSync(path.join(stateDir, 'coverage.jsonl'), '{"spec":"003-c.md","tests_pa\nnot json\n');
    await recordPassedSpecs(stateDir, ['002-b.md'], 'k2', true);
    await recordPassedSpecs(stateDir, ['002-b.md'], 'k3', false);
    expect([...(await readPassedSpecs(stateDir))]).toEqual(['002-b.md']);
  });

  test('when nothing was recorded, then no spec counts as passed', async () => {
    expect((await readPassedSpecs(path.join(stateDir, 'missing'))).size).toBe(0);
  });
});

describe('the seed sample itself', () => {
  const shared = path.resolve(__dirname, '../../../shared/seed-formats/SPEC-COVERAGE.excerpt.md');
  const hasShared = fs.existsSync(shared);

  (hasShared ? test : test.skip)(
    'when the real seed file is copied into a project, then it matches the inline copy and updates idempotently',
    async () => {
      const real = fs.readFileSync(shared, 'utf8');
      expect(real).toBe(SEED_EXCERPT);
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nightshift-seed-coverage-'));
      fs.mkdirSync(path.join(root, 'docs'));
      fs.mkdirSync(path.join(root, 'specs'));
      fs.copyFileSync(shared, path.join(root, 'docs', 'SPEC-COVERAGE.md'));
      fs.writeFileSync(path.join(root, 'specs', '047-heal-completion-issue-resolution.md'), '# x\n');
      fs.writeFileSync(path.join(root, 'specs', '051-a-brand-new-spec.md'), '# x\n');
      const opts = {
        projectRoot: root,
        coveragePath: 'docs/SPEC-COVERAGE.md',
        stateDir: path.join(root, '.nightshift'),
        dryRun: false,
        testsPassed: false,
      };
      await updateCoverage(opts);
      const once = fs.readFileSync(path.join(root, 'docs', 'SPEC-COVERAGE.md'));
      const text = once.toString('utf8');
      expect(text.match(/^\| 047 /gm)).toHaveLength(1); // the truncated row stands for the 047 file
      expect(text).toContain('| 051 A Brand New Spec | ? | ✓ | ? | Pending |');
      await updateCoverage(opts);
      expect(fs.readFileSync(path.join(root, 'docs', 'SPEC-COVERAGE.md')).equals(once)).toBe(true);
    },
  );
});
