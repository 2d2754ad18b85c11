/**
 * Did a review pass? An explicit `VERDICT: pass|fail` line wins (the last one);
 * without one, the reference's `review_indicates_pass` rules, on whole words so
 * that "ok" does not match "look", "complete" does not match "incomplete" and
 * "0 failed" is not a failure.
 */
const VERDICT_LINE = /^[\s>*_`#-]*VERDICT:\s*\**\s*(pass|fail)\b/i;
const FAIL_WORD = /\bfail\w*/g;
const NEGATED_FAIL = /\b(?:not|no|0|zero)\s+fail\w*/g;
const NEGATED_PASS = /\b(?:no|not)\s+pass\b/;
const PASS_WORD = /\b(?:pass(?:ed|es)?|complete[ds]?|ok|success(?:ful)?)\b/;

export type Verdict = 'pass' | 'fail';

export function explicitVerdict(output: string): Verdict | null {
  let verdict: Verdict | null = null;
  for (const line of output.split(/\r?\n/)) {
    const m = VERDICT_LINE.exec(line);
    if (m) verdict = m[1].toLowerCase() as Verdict;
  }
  return verdict;
}

export function reviewIndicatesPass(output: string): boolean {
  const text = output.toLowerCase();
  if (text.trim() === '') return false;
  if (text.replace(NEGATED_FAIL, ' ').match(FAIL_WORD)) return false;
  if (NEGATED_PASS.test(text)) return false;
  return PASS_WORD.test(text);
}

export function reviewPasses(output: string): boolean {
  const verdict = explicitVerdict(output);
  return verdict ? verdict === 'pass' : reviewIndicatesPass(output);
}
