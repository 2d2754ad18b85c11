import type { RunTestCommandResult } from '../../src/shared/contracts/pipeline';
import type { RunAgentTaskResult } from '../../src/shared/contracts/task';
import { judgeValidation } from '../../src/workflows/item-validation';

const review = (output: string, verdict: 'pass' | 'fail' | null = null): RunAgentTaskResult => ({
  status: 'completed',
  output,
  exitCode: 0,
  durationSeconds: 1,
  startedAt: '2026-03-10T12:00:00.000Z',
  finishedAt: '2026-03-10T12:00:01.000Z',
  timedOut: false,
  verdict,
});
const tests = (ok: boolean, output = ''): RunTestCommandResult => ({ ok, exitCode: ok ? 0 : 1, output });

describe('judgeValidation', () => {
  test('when the explicit verdict is pass but the prose looks like a failure, then the verdict wins', () => {
    const r = judgeValidation(review('Several things failed before I fixed them.', 'pass'), tests(true));
    expect(r.passed).toBe(true);
    expect(r.feedback).toBe('review=pass tests=pass.');
  });

  test('when the explicit verdict is fail but the prose looks like a pass, then the verdict wins', () => {
    const r = judgeValidation(review('All good, passed, ok.', 'fail'), tests(true));
    expect(r.passed).toBe(false);
    expect(r.feedback.startsWith('review=fail tests=pass.')).toBe(true);
    expect(r.feedback).toContain('All good, passed, ok.');
  });

  test('when there is no explicit verdict, then the review heuristic decides', () => {
    expect(judgeValidation(review('Review: pass. All good.'), tests(true)).passed).toBe(true);
    expect(judgeValidation(review('The review says pass but there are failures'), tests(true)).passed).toBe(false);
    expect(judgeValidation(review(''), null).passed).toBe(false);
  });

  test('when the tests fail, then validation fails even with a pass verdict, and the test output is the feedback', () => {
    const r = judgeValidation(review('VERDICT: pass', 'pass'), tests(false, 'FAILED test_login - AssertionError\n'));
    expect(r.passed).toBe(false);
    expect(r.feedback).toBe('review=pass tests=fail. FAILED test_login - AssertionError');
  });

  test('when there is no test command (tests null), then tests are skipped and the review alone decides', () => {
    const pass = judgeValidation(review('x', 'pass'), null);
    expect(pass).toEqual({ passed: true, feedback: 'review=pass tests=skipped.' });
    const fail = judgeValidation(review('missing error handling', 'fail'), null);
    expect(fail.passed).toBe(false);
    expect(fail.feedback).toBe('review=fail tests=skipped. missing error handling');
  });

  test('when both review and tests fail, then the review output is the feedback detail', () => {
    const r = judgeValidation(review('review found a bug', 'fail'), tests(false, 'test output'));
    expect(r.passed).toBe(false);
    expect(r.feedback).toBe('review=fail tests=fail. review found a bug');
  });

  test('when the failing output is long, then the feedback keeps only its last 250 characters', () => {
    const output = 'x'.repeat(1000) + 'THE-END';
    const r = judgeValidation(review(output, 'fail'), null);
    const prefix = 'review=fail tests=skipped. ';
    expect(r.feedback.startsWith(prefix)).toBe(true);
    expect(r.feedback.slice(prefix.length)).toBe(output.slice(-250));
    expect(r.feedback.endsWith('THE-END')).toBe(true);
  });
});
