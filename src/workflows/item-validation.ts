import { reviewIndicatesPass } from '../shared/verdict';
import type { RunTestCommandResult } from '../shared/contracts/pipeline';
import type { RunAgentTaskResult } from '../shared/contracts/task';

export interface ValidationOutcome {
  passed: boolean;
  /** Feedback for the next "Fix the issues" direction (most useful part first). */
  feedback: string;
}

/** After review: the verdict passes AND the test command (if any) exits 0. */
export function judgeValidation(review: RunAgentTaskResult, tests: RunTestCommandResult | null): ValidationOutcome {
  const reviewPassed = review.verdict ? review.verdict === 'pass' : reviewIndicatesPass(review.output);
  const testsState = tests === null ? 'skipped' : tests.ok ? 'pass' : 'fail';
  const passed = reviewPassed && testsState !== 'fail';
  const detail = !reviewPassed ? review.output : tests && !tests.ok ? tests.output : '';
  return {
    passed,
    feedback: `review=${reviewPassed ? 'pass' : 'fail'} tests=${testsState}. ${detail.trim().slice(-250)}`.trim(),
  };
}
