import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli';

/** `nightshift coverage` as a real child process on a temp project; it needs no Temporal server. */

const TABLE = [
  '# Spec Coverage',
  '',
  '## Status Summary',
  '',
  "| Spec | Present | Spec'd | Tested | Notes |",
  '|------|---------|--------|--------|-------|',
  '| 001 Health Check | ✓ | ✓ | ✓ | Complete |',
  '| 002 Rest Api | ? | ? | — | partly |',
  '| 003 Cli | ? | ✓ | ? | spec only |',
  '',
  '**Present:** Implemented.',
  '',
].join('\n');

// No inherited CI / coverage settings: each test states what it wants.
const ENV = { CI: undefined, PIPELINE_SPEC_COVERAGE: undefined, NIGHTSHIFT_HOME: undefined };

const made: string[] = [];
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function project(passed: string[] = []): { root: string; file: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-coverage-cli-'));
  made.push(root);
  fs.mkdirSync(path.join(root, 'docs'));
  fs.mkdirSync(path.join(root, 'specs'));
  for (const f of [
    '001-health-check.md',
    '002-rest-api.md',
    '003-cli.md',
    '004-git-commits.md',
    '006-overnight-backlog.md',
    'TEMPLATE.md',
  ])
    fs.writeFileSync(path.join(root, 'specs', f), `# ${f}\n`);
  const file = path.join(root, 'docs', 'SPEC-COVERAGE.md');
  fs.writeFileSync(file, TABLE);
  if (passed.length) {
    fs.mkdirSync(path.join(root, '.nightshift'));
    fs.writeFileSync(
      path.join(root, '.nightshift', 'coverage.jsonl'),
      passed
        .map(
          (spec) =>
            JSON.stringify({ spec, item_key: 'item-1', tests_passed: true, at: '2026-03-10T12:00:00.000Z' }) + '\n',
        )
        .join(''),
    );
  }
  return { root, file };
}

const lines = (out: string) => out.trimEnd().split('\n');

describe('nightshift coverage', () => {
  test('when run with --dry-run, then it prints each change, writes nothing and exits 0', async () => {
    const p = project();
    const before = fs.readFileSync(p.file);
    const r = await runCli(['coverage', '--project', p.root, '--dry-run'], ENV);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      "Would mark: 002 Rest Api Spec'd ✓",
      'Would add: | 004 Git Commits | ? | ? | ? | Pending |',
      "Would mark: 004 Git Commits Spec'd ✓",
    ]);
    expect(fs.readFileSync(p.file).equals(before)).toBe(true);
    expect(fs.readdirSync(path.join(p.root, 'docs'))).toEqual(['SPEC-COVERAGE.md']);
  });

  test('when run for real, then it updates the file, prints the changes, and a second run prints No changes.', async () => {
    const p = project();
    const r = await runCli(['coverage', '--project', p.root], ENV);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      "Marked: 002 Rest Api Spec'd ✓",
      'Added: | 004 Git Commits | ? | ? | ? | Pending |',
      "Marked: 004 Git Commits Spec'd ✓",
      'Updated docs/SPEC-COVERAGE.md (3 changes)',
    ]);
    const expected = TABLE.replace(
      '| 002 Rest Api | ? | ? | — | partly |',
      '| 002 Rest Api | ? | ✓ | — | partly |',
    ).replace(
      '| 003 Cli | ? | ✓ | ? | spec only |\n',
      '| 003 Cli | ? | ✓ | ? | spec only |\n| 004 Git Commits | ? | ✓ | ? | Pending |\n',
    );
    expect(fs.readFileSync(p.file, 'utf8')).toBe(expected);
    const bytes = fs.readFileSync(p.file);
    const again = await runCli(['coverage', '--project', p.root], ENV);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('No changes.\n');
    expect(fs.readFileSync(p.file).equals(bytes)).toBe(true);
    const dry = await runCli(['coverage', '--project', p.root, '--dry-run'], ENV);
    expect(dry.stdout).toBe('No changes.\n');
  });

  test('when the coverage file is missing, then it exits 1 with the contract message and the configured path', async () => {
    const p = project();
    fs.rmSync(p.file);
    const r = await runCli(['coverage', '--project', p.root], ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('nightshift: SPEC-COVERAGE not found: docs/SPEC-COVERAGE.md\n');
    expect(r.stdout).toBe('');
    const custom = await runCli(['coverage', '--project', p.root, '--dry-run'], {
      ...ENV,
      PIPELINE_SPEC_COVERAGE: 'notes/COVERAGE.md',
    });
    expect(custom.code).toBe(1);
    expect(custom.stderr).toBe('nightshift: SPEC-COVERAGE not found: notes/COVERAGE.md\n');
  });

  test('when a spec is recorded as passed, then Present/Tested are upgraded only with --tests-passed', async () => {
    const without = project(['002-rest-api.md']);
    const r1 = await runCli(['coverage', '--project', without.root], ENV);
    expect(r1.code).toBe(0);
    expect(r1.stdout).not.toMatch(/Present|Tested/);
    expect(fs.readFileSync(without.file, 'utf8')).toContain('| 002 Rest Api | ? | ✓ | — | partly |');

    const withFlag = project(['002-rest-api.md']);
    const r2 = await runCli(['coverage', '--project', withFlag.root, '--tests-passed'], ENV);
    expect(r2.code).toBe(0);
    expect(lines(r2.stdout)).toEqual([
      'Marked: 002 Rest Api Present ✓',
      "Marked: 002 Rest Api Spec'd ✓",
      'Marked: 002 Rest Api Tested ✓',
      'Added: | 004 Git Commits | ? | ? | ? | Pending |',
      "Marked: 004 Git Commits Spec'd ✓",
      'Updated docs/SPEC-COVERAGE.md (5 changes)',
    ]);
    const after = fs.readFileSync(withFlag.file, 'utf8');
    expect(after).toContain('| 002 Rest Api | ✓ | ✓ | ✓ | partly |');
    // 003 has a spec file but no recorded pass: unchanged.
    expect(after).toContain('| 003 Cli | ? | ✓ | ? | spec only |');
  });

  test('when CI=true, then it behaves exactly like --tests-passed', async () => {
    const viaFlag = project(['002-rest-api.md', '003-cli.md']);
    const viaCi = project(['002-rest-api.md', '003-cli.md']);
    const viaOtherCi = project(['002-rest-api.md', '003-cli.md']);
    const f = await runCli(['coverage', '--project', viaFlag.root, '--tests-passed'], ENV);
    const c = await runCli(['coverage', '--project', viaCi.root], { ...ENV, CI: 'true' });
    const o = await runCli(['coverage', '--project', viaOtherCi.root], { ...ENV, CI: '1' });
    expect([f.code, c.code, o.code]).toEqual([0, 0, 0]);
    expect(c.stdout).toBe(f.stdout);
    expect(c.stdout).toContain('Marked: 003 Cli Tested ✓');
    expect(fs.readFileSync(viaCi.file, 'utf8')).toBe(fs.readFileSync(viaFlag.file, 'utf8'));
    // Only the exact value `true` counts.
    expect(o.stdout).not.toMatch(/Present|Tested/);
  });

  test('when --json is given, then it prints the path, the changes and whether it wrote', async () => {
    const p = project();
    const dry = await runCli(['--json', 'coverage', '--project', p.root, '--dry-run'], ENV);
    expect(dry.code).toBe(0);
    const changes = [
      { kind: 'mark', row: '002 Rest Api', column: "Spec'd" },
      { kind: 'add', row: '| 004 Git Commits | ? | ? | ? | Pending |' },
      { kind: 'mark', row: '004 Git Commits', column: "Spec'd" },
    ];
    expect(JSON.parse(dry.stdout)).toEqual({ path: 'docs/SPEC-COVERAGE.md', dryRun: true, changes, written: false });
    const real = await runCli(['coverage', '--project', p.root, '--json'], ENV);
    expect(JSON.parse(real.stdout)).toEqual({ path: 'docs/SPEC-COVERAGE.md', dryRun: false, changes, written: true });
    const again = await runCli(['coverage', '--project', p.root, '--json'], ENV);
    expect(JSON.parse(again.stdout)).toEqual({
      path: 'docs/SPEC-COVERAGE.md',
      dryRun: false,
      changes: [],
      written: false,
    });
  });

  test('when the project has no specs/ folder, then there is nothing to add', async () => {
    const p = project();
    fs.rmSync(path.join(p.root, 'specs'), { recursive: true });
    const r = await runCli(['coverage', '--project', p.root], ENV);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('No changes.\n');
    expect(fs.readFileSync(p.file, 'utf8')).toBe(TABLE);
  });
});
