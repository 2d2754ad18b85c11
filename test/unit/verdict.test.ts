import { explicitVerdict, reviewIndicatesPass, reviewPasses } from '../../src/shared/verdict';

describe('reviewIndicatesPass: the reference examples (seed-system.md section 10)', () => {
  test.each([
    ['Review: pass. All good.', true],
    ['PASS — no issues', true],
    ['Review: fail. Issues found.', false],
    ['', false],
    ['No pass needed here', false],
    ['The review says pass but there are failures', false],
  ])('when the output is %p, then the result is %p', (output, expected) => {
    expect(reviewIndicatesPass(output)).toBe(expected);
  });
});

describe('reviewIndicatesPass: whole words', () => {
  test('when the output only says "looks fine", then "ok" inside "looks" does not count as a pass', () => {
    expect(reviewIndicatesPass('looks fine')).toBe(false);
  });

  test('when the output says "incomplete", then it does not count as "complete"', () => {
    expect(reviewIndicatesPass('The implementation is incomplete')).toBe(false);
  });

  test('when the output says "1 passed, 0 failed", then "0 failed" is not a failure and it passes', () => {
    expect(reviewIndicatesPass('1 passed, 0 failed')).toBe(true);
  });

  test('when failures are negated ("no failures", "not failing"), then pass words still decide', () => {
    expect(reviewIndicatesPass('All tests passed, no failures')).toBe(true);
    expect(reviewIndicatesPass('Tests are not failing any more, ok')).toBe(true);
  });

  test('when a real failure is mentioned next to a negated one, then it fails', () => {
    expect(reviewIndicatesPass('no failures in unit tests but integration failed; otherwise ok')).toBe(false);
  });

  test('when only whitespace is output, then it fails', () => {
    expect(reviewIndicatesPass('   \n\t ')).toBe(false);
  });

  test('when pass words appear in other forms (passed, completed, OK, successful), then it passes', () => {
    expect(reviewIndicatesPass('All checks passed')).toBe(true);
    expect(reviewIndicatesPass('Work completed.')).toBe(true);
    expect(reviewIndicatesPass('Status: OK')).toBe(true);
    expect(reviewIndicatesPass('Build successful')).toBe(true);
  });

  test('when pass words only appear as prefixes of longer words (completely, passive, okay-ish tokens), then they do not count', () => {
    expect(reviewIndicatesPass('This is completely wrong')).toBe(false);
    expect(reviewIndicatesPass('A passive approach was taken')).toBe(false);
    expect(reviewIndicatesPass('Found okapi references')).toBe(false);
  });

  test('when no pass word appears at all, then it fails', () => {
    expect(reviewIndicatesPass('I reviewed the code and have some thoughts.')).toBe(false);
  });
});

describe('explicitVerdict', () => {
  test('when there is no VERDICT line, then it returns null', () => {
    expect(explicitVerdict('Review: pass. All good.')).toBeNull();
    expect(explicitVerdict('')).toBeNull();
  });

  test('when there is one VERDICT line, then its value is returned', () => {
    expect(explicitVerdict('Some notes\nVERDICT: pass\n')).toBe('pass');
    expect(explicitVerdict('Some notes\nVERDICT: fail\n')).toBe('fail');
  });

  test('when several VERDICT lines appear, then the last one wins', () => {
    expect(explicitVerdict('VERDICT: fail\nfixed it\nVERDICT: pass')).toBe('pass');
    expect(explicitVerdict('VERDICT: pass\nthen found a bug\nVERDICT: fail\ntrailing prose')).toBe('fail');
  });

  test('when the VERDICT line uses another case, then it is still recognised', () => {
    expect(explicitVerdict('verdict: PASS')).toBe('pass');
    expect(explicitVerdict('Verdict: Fail')).toBe('fail');
  });

  test('when the VERDICT line has leading markdown, then it is still recognised', () => {
    expect(explicitVerdict('**VERDICT: pass**')).toBe('pass');
    expect(explicitVerdict('> VERDICT: fail')).toBe('fail');
    expect(explicitVerdict('  - VERDICT: pass')).toBe('pass');
    expect(explicitVerdict('## VERDICT: fail')).toBe('fail');
    expect(explicitVerdict('VERDICT: **pass**')).toBe('pass');
  });

  test('when the lines end with CRLF, then the last VERDICT still wins', () => {
    expect(explicitVerdict('VERDICT: fail\r\nVERDICT: pass\r\n')).toBe('pass');
  });

  test('when VERDICT appears mid-sentence rather than as a line, then it is not an explicit verdict', () => {
    expect(explicitVerdict('I will not write VERDICT: pass until the bug is fixed')).toBeNull();
  });
});

describe('reviewPasses', () => {
  test('when an explicit VERDICT contradicts the prose, then the verdict wins', () => {
    expect(reviewPasses('Several tests failed earlier, now fixed.\nVERDICT: pass')).toBe(true);
    expect(reviewPasses('Everything passed, ok, success.\nVERDICT: fail')).toBe(false);
  });

  test('when the last VERDICT line contradicts an earlier one, then the last one decides', () => {
    expect(reviewPasses('VERDICT: pass\nWait, a failure.\n> VERDICT: fail')).toBe(false);
    expect(reviewPasses('VERDICT: fail\nAll fixed.\n**VERDICT: pass**')).toBe(true);
  });

  test('when there is no VERDICT line, then the word heuristic decides', () => {
    expect(reviewPasses('Review: pass. All good.')).toBe(true);
    expect(reviewPasses('The review says pass but there are failures')).toBe(false);
    expect(reviewPasses('')).toBe(false);
  });
});
