import {
  CoverageTableMissingError,
  findCoverageTable,
  parseSpecFileName,
  planCoverage,
  specsReferencedIn,
  titleFromSlug,
  type SpecFile,
} from '../../src/coverage/table';

const HEADER = "| Spec | Present | Spec'd | Tested | Notes |\n|------|---------|--------|--------|-------|\n";
const spec = (file: string): SpecFile => {
  const s = parseSpecFileName(file);
  if (!s) throw new Error(`not a spec file: ${file}`);
  return s;
};
const plan = (content: string, files: string[], opts: { passed?: string[]; testsPassed?: boolean } = {}) =>
  planCoverage(content, {
    specs: files.map(spec),
    passedSpecs: new Set(opts.passed ?? []),
    testsPassed: !!opts.testsPassed,
  });

describe('spec file names and titles', () => {
  test('when a slug is turned into a title, then every word is capitalised and nothing is cut', () => {
    expect(titleFromSlug('heal-completion-issue-resolution')).toBe('Heal Completion Issue Resolution');
    expect(titleFromSlug('effectiveness-plan-progress-phase-6-7')).toBe('Effectiveness Plan Progress Phase 6 7');
    expect(titleFromSlug('rest-API-v2')).toBe('Rest API V2');
    expect(spec('047-heal-completion-issue-resolution.md')).toEqual({
      file: '047-heal-completion-issue-resolution.md',
      number: '047',
      title: 'Heal Completion Issue Resolution',
    });
  });

  test('when a name is a backlog, a placeholder, the template or not NNN-slug.md, then it is not a spec', () => {
    for (const name of [
      '006-overnight-backlog.md',
      '007-META-Pipeline-Backlog.md',
      '015-placeholder.md',
      '020-test-backlog.md',
      'TEMPLATE.md',
      'README.md',
      '12-short.md',
      '0123-long.md',
      '001-.md',
      '001-notes.txt',
      '001_underscore.md',
    ])
      expect(parseSpecFileName(name)).toBeNull();
    expect(parseSpecFileName('001-health-check.md')?.number).toBe('001');
    // a spec about backlogs is still a spec: only a slug ending in "backlog" marks a backlog file
    expect(parseSpecFileName('001-backlog-and-item-keys.md')?.title).toBe('Backlog And Item Keys');
  });

  test('when an item or a multi-line output mentions spec files, then specsReferencedIn returns each file name once, in order', () => {
    expect(specsReferencedIn('specs/001-health-check.md — Verify health')).toEqual(['001-health-check.md']);
    const output = [
      'Wrote specs/012-pagination.md with the acceptance criteria.',
      'Also updated `specs/001-health-check.md` and (specs/012-pagination.md).',
      'See docs/SPEC-COVERAGE.md, specs/006-overnight-backlog.md and specs/015-placeholder.md,',
      'not 1012-four-digits.md, x-013-prefixed.md or 014-notes.txt; but 045-effectiveness-plan-progress-phase-6-7.md.',
    ].join('\n');
    expect(specsReferencedIn(output)).toEqual([
      '012-pagination.md',
      '001-health-check.md',
      '045-effectiveness-plan-progress-phase-6-7.md',
    ]);
    expect(specsReferencedIn('no spec here')).toEqual([]);
  });
});

describe('planCoverage on generated tables', () => {
  test("when a spec has no row, then a Pending row with Spec'd ✓ is added right after the last row, before a blank line", () => {
    const doc = `# Coverage\n\n${HEADER}| 001 Health | ✓ | ✓ | ✓ | Complete |\n\n**Present:** Implemented.\n`;
    const r = plan(doc, ['002-rest-api.md', '001-health.md']);
    expect(r.content).toBe(
      `# Coverage\n\n${HEADER}| 001 Health | ✓ | ✓ | ✓ | Complete |\n| 002 Rest Api | ? | ✓ | ? | Pending |\n\n**Present:** Implemented.\n`,
    );
    expect(r.changes).toEqual([
      { kind: 'add', row: '| 002 Rest Api | ? | ? | ? | Pending |' },
      { kind: 'mark', row: '002 Rest Api', column: "Spec'd" },
    ]);
  });

  test('when the same table is planned again, then there are no changes and the content is identical', () => {
    const doc = `${HEADER}| 001 Health | ? | ? | — | x |\n`;
    const once = plan(doc, ['001-health.md', '003-cli.md', '002-api.md'], {
      passed: ['001-health.md'],
      testsPassed: true,
    });
    expect(once.content).toBe(
      `${HEADER}| 001 Health | ✓ | ✓ | ✓ | x |\n| 002 Api | ? | ✓ | ? | Pending |\n| 003 Cli | ? | ✓ | ? | Pending |\n`,
    );
    const twice = plan(once.content, ['001-health.md', '003-cli.md', '002-api.md'], {
      passed: ['001-health.md'],
      testsPassed: true,
    });
    expect(twice).toEqual({ changes: [], content: once.content });
  });

  test('when a cell is upgraded, then only the mark changes and the cell keeps its spacing; free text and ✓ are left alone', () => {
    const doc = `${HEADER}| 001 A |?|  -  | ✗ | n |\n| 002 B |  | partial |✓| n |\n|003 C| — || ? |\n`;
    const r = plan(doc, ['001-a.md', '002-b.md', '003-c.md'], {
      passed: ['001-a.md', '002-b.md', '003-c.md'],
      testsPassed: true,
    });
    expect(r.content).toBe(`${HEADER}| 001 A |✓|  ✓  | ✓ | n |\n| 002 B | ✓ | partial |✓| n |\n|003 C| ✓ |✓| ✓ |\n`);
    expect(r.changes).toEqual([
      { kind: 'mark', row: '001 A', column: 'Present' },
      { kind: 'mark', row: '001 A', column: "Spec'd" },
      { kind: 'mark', row: '001 A', column: 'Tested' },
      { kind: 'mark', row: '002 B', column: 'Present' },
      { kind: 'mark', row: '003 C', column: 'Present' },
      { kind: 'mark', row: '003 C', column: "Spec'd" },
      { kind: 'mark', row: '003 C', column: 'Tested' },
    ]);
  });

  test("when specs passed but the run may not upgrade Present/Tested, then only Spec'd changes", () => {
    const doc = `${HEADER}| 001 A | ? | ? | ? | n |\n`;
    expect(plan(doc, ['001-a.md'], { passed: ['001-a.md'], testsPassed: false }).content).toBe(
      `${HEADER}| 001 A | ? | ✓ | ? | n |\n`,
    );
    expect(plan(doc, ['001-a.md'], { passed: [], testsPassed: true }).content).toBe(
      `${HEADER}| 001 A | ? | ✓ | ? | n |\n`,
    );
  });

  test('when rows exist for a number, then titles match by prefix first and a lone leftover row is taken as renamed', () => {
    const doc = `${HEADER}| 027 Auto Update | ✓ | ? | ✓ | x |\n| 027 Fully Automated Pipeline | ✓ | ✓ | ✓ | x |\n| 031 Old Name | ? | ? | ? | renamed by hand |\n| 032 Something | ✓ | ✓ | ✓ | x |\n| 032 Else | ✓ | ✓ | ✓ | x |\n`;
    const r = plan(doc, [
      '027-auto-update-framework.md',
      '027-fully-automated-pipeline.md',
      '027-auto.md',
      '031-new-name.md',
      '032-third.md',
    ]);
    expect(r.changes).toEqual([
      { kind: 'mark', row: '027 Auto Update', column: "Spec'd" },
      { kind: 'mark', row: '031 Old Name', column: "Spec'd" },
      { kind: 'add', row: '| 027 Auto | ? | ? | ? | Pending |' },
      { kind: 'mark', row: '027 Auto', column: "Spec'd" },
      // Two rows are left for 032, so neither is taken as a rename of the one file.
      { kind: 'add', row: '| 032 Third | ? | ? | ? | Pending |' },
      { kind: 'mark', row: '032 Third', column: "Spec'd" },
    ]);
    expect(
      plan(r.content, [
        '027-auto-update-framework.md',
        '027-fully-automated-pipeline.md',
        '027-auto.md',
        '031-new-name.md',
        '032-third.md',
      ]).changes,
    ).toEqual([]);
  });

  test('when titles differ in case or spacing, then the row still matches its file', () => {
    const doc = `${HEADER}| 005  REST   api | ✓ | ✓ | ✓ | x |\n| 006 Cli Tool Extra Words | ✓ | ✓ | ✓ | x |\n`;
    expect(plan(doc, ['005-rest-api.md', '006-cli.md']).changes).toEqual([]);
  });

  test('when a number has rows in a detail table or a second table, then only the coverage table counts', () => {
    const doc = `| Item | Status |\n|---|---|\n| 001 Health | x |\n\n## Status\n\n${HEADER}| 002 Api | ✓ | ✓ | ✓ | x |\n\n## Spec 001\n\n| 001 Health | detail |\n|---|---|\n`;
    const r = plan(doc, ['001-health.md', '002-api.md']);
    expect(r.changes).toEqual([
      { kind: 'add', row: '| 001 Health | ? | ? | ? | Pending |' },
      { kind: 'mark', row: '001 Health', column: "Spec'd" },
    ]);
    expect(r.content).toContain(
      `${HEADER}| 002 Api | ✓ | ✓ | ✓ | x |\n| 001 Health | ? | ✓ | ? | Pending |\n\n## Spec 001`,
    );
  });

  test('when rows continue after a blank line, then they count as rows of the table but new rows still go into the first block', () => {
    const doc = `${HEADER}| 001 A | ✓ | ✓ | ✓ | x |\n\n| 003 C | ? | ? | ? | Pending |\nLegend\n`;
    const r = plan(doc, ['003-c.md', '002-b.md']);
    expect(r.content).toBe(
      `${HEADER}| 001 A | ✓ | ✓ | ✓ | x |\n| 002 B | ? | ✓ | ? | Pending |\n\n| 003 C | ? | ✓ | ? | Pending |\nLegend\n`,
    );
  });

  test('when the file is CRLF, then added rows use CRLF and LF nowhere appears alone', () => {
    const doc = `# C\r\n\r\n${HEADER.replace(/\n/g, '\r\n')}| 001 A | ? | ? | ? | x |\r\n\r\nEnd\r\n`;
    const r = plan(doc, ['001-a.md', '002-b.md']);
    expect(r.content).toBe(
      `# C\r\n\r\n${HEADER.replace(/\n/g, '\r\n')}| 001 A | ? | ✓ | ? | x |\r\n| 002 B | ? | ✓ | ? | Pending |\r\n\r\nEnd\r\n`,
    );
  });

  test('when the document has no coverage table, then planning fails with CoverageTableMissingError', () => {
    expect(findCoverageTable('# Nothing\n\n| Spec | Present |\n|---|---|\n')).toBeNull();
    expect(() => plan("| Spec | Present | Spec'd | Tested | Notes |\nnot a separator\n", ['001-a.md'])).toThrow(
      CoverageTableMissingError,
    );
  });
});
