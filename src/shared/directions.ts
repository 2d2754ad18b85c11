import type { Phase } from './contracts/task';

/** The reference's exact direction texts (seed-system.md section 2.6). */
export function buildDirection(phase: Phase | string, item: string, iteration: number, lastOutput = ''): string {
  switch (phase) {
    case 'spec':
      return `Write or expand the spec for: ${item}. Use specs/TEMPLATE.md. Output the spec path.`;
    case 'impl':
      if (iteration > 1) {
        return `Fix the issues (iteration ${iteration}): ${item}. Review feedback or test failures: ${lastOutput.slice(0, 300)}`;
      }
      return `Implement per spec: ${item}. Modify only files listed in the spec. Do not add features not in the spec.`;
    case 'test':
      return `Write and run tests for: ${item}. Ensure tests define the contract. Do not modify tests to make impl pass.`;
    case 'review':
      return `Review the implementation for: ${item}. Check spec compliance, security, correctness. Output: pass/fail and issues.`;
    default:
      return item;
  }
}
