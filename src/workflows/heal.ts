import type { Condition } from '../shared/contracts/monitor';

/**
 * What auto-fix asks a heal task to do. The two sentences the contract names
 * (section 10) appear verbatim.
 */
export const REPEATED_FAILURES_SENTENCE =
  'Suggest meta-pipeline item to specs/007-meta-pipeline-backlog.md if root cause identified.';
export const LOW_SUCCESS_SENTENCE = 'Analyze 7d success rate; suggest prompt/model/meta improvements.';

export function healDirection(condition: Condition, detail: string, failingPhase: string | null): string | null {
  switch (condition) {
    case 'repeated_failures':
      return `Monitor detected repeated failures${failingPhase ? ` in the ${failingPhase} phase` : ''}: ${detail} Investigate the failed tasks' logs (nightshift logs TASK_ID); fix the cause or escalate. ${REPEATED_FAILURES_SENTENCE}`;
    case 'low_success_rate':
      return `Monitor detected a low 7-day success rate: ${detail} ${LOW_SUCCESS_SENTENCE}`;
    case 'stuck':
      return `Monitor: the pipeline looks stuck. ${detail} Diagnose why from the task logs and the service logs (worker down? agent hung? Temporal unreachable?) and report what should be restarted or fixed.`;
    default:
      return null; // output_empty / executor_fail / blocked_step are flagged and recorded, not auto-fixed
  }
}

export const SEVERITY: Record<Condition, 'high' | 'medium' | 'low'> = {
  stuck: 'high',
  repeated_failures: 'high',
  low_success_rate: 'medium',
  output_empty: 'high',
  executor_fail: 'high',
  blocked_step: 'high',
};

export const SUGGESTED_ACTION: Record<Condition, string> = {
  stuck:
    'Check that a worker runs (nightshift doctor; nightshift status); restart it (nightshift worker, or nightshift up) and inspect the running task in the Temporal Web UI.',
  repeated_failures:
    'Review the failed task logs; consider a heal task or a model/prompt change. If root cause identified, suggest a meta-pipeline item for specs/007-meta-pipeline-backlog.md.',
  low_success_rate: 'Review metrics (nightshift metrics); consider a prompt/model change.',
  output_empty: 'Check the agent command and its output capture (nightshift logs TASK_ID).',
  executor_fail: 'Check that the agent CLI is installed and on PATH (nightshift doctor).',
  blocked_step:
    'Fix what the error names (a full disk: free space; a read-only or missing state dir; an unreadable or oversized backlog; workers that keep dying: their logs and memory). The step is retried and the pipeline carries on by itself once it succeeds; nothing is lost meanwhile.',
};
