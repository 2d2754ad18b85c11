import { buildDirection } from '../../src/shared/directions';

const ITEM = 'Add **login** page';

describe('buildDirection', () => {
  test('when the phase is spec, then the exact reference text is returned', () => {
    expect(buildDirection('spec', ITEM, 1)).toBe(
      'Write or expand the spec for: Add **login** page. Use specs/TEMPLATE.md. Output the spec path.',
    );
  });

  test('when the phase is impl at iteration 1, then the "Implement per spec" text is returned', () => {
    expect(buildDirection('impl', ITEM, 1, 'ignored output')).toBe(
      'Implement per spec: Add **login** page. Modify only files listed in the spec. Do not add features not in the spec.',
    );
  });

  test('when the phase is impl at iteration > 1, then the "Fix the issues" text carries the iteration and the first 300 chars of the last output', () => {
    const lastOutput = 'a'.repeat(300) + 'TAIL-NOT-INCLUDED';
    const d = buildDirection('impl', ITEM, 3, lastOutput);
    expect(d).toBe(
      `Fix the issues (iteration 3): Add **login** page. Review feedback or test failures: ${'a'.repeat(300)}`,
    );
    expect(d).not.toContain('TAIL');
  });

  test('when the phase is impl at iteration 2 with a short or missing last output, then it is included whole (or empty)', () => {
    expect(buildDirection('impl', ITEM, 2, 'pytest=fail review=ok')).toBe(
      'Fix the issues (iteration 2): Add **login** page. Review feedback or test failures: pytest=fail review=ok',
    );
    expect(buildDirection('impl', ITEM, 2)).toBe(
      'Fix the issues (iteration 2): Add **login** page. Review feedback or test failures: ',
    );
  });

  test('when the phase is test, then the exact reference text is returned', () => {
    expect(buildDirection('test', ITEM, 1)).toBe(
      'Write and run tests for: Add **login** page. Ensure tests define the contract. Do not modify tests to make impl pass.',
    );
  });

  test('when the phase is review, then the exact reference text is returned', () => {
    expect(buildDirection('review', ITEM, 4)).toBe(
      'Review the implementation for: Add **login** page. Check spec compliance, security, correctness. Output: pass/fail and issues.',
    );
  });

  test('when the phase is unknown, then the item text itself is returned', () => {
    expect(buildDirection('deploy', ITEM, 1)).toBe(ITEM);
    expect(buildDirection('', ITEM, 2, 'x')).toBe(ITEM);
  });

  test('when directions are built, then they contain the reference test suite required substrings', () => {
    expect(buildDirection('spec', 'x', 1)).toContain('Write or expand the spec');
    expect(buildDirection('impl', 'x', 1)).toContain('Implement per spec');
    expect(buildDirection('impl', 'x', 2)).toContain('Fix the issues');
    expect(buildDirection('impl', 'x', 2)).not.toContain('Implement per spec');
    const test = buildDirection('test', 'x', 1);
    expect(test).toContain('Write and run tests');
    expect(test).toContain('define the contract');
    const review = buildDirection('review', 'x', 1);
    expect(review).toContain('Review the implementation');
    expect(review).toContain('spec compliance');
  });
});
