import type { CommitTaskResult } from './contracts/repository';
import type { RunAgentTaskResult, TaskRecord, TaskSpec } from './contracts/task';

/**
 * A task's record from its agent run, before its commit: built the same way by the workflow (which returns it) and by
 * the agent step that writes it itself (issue 17). Sandbox-safe.
 */
export function runRecordOf(task: TaskSpec, result: RunAgentTaskResult, workflowId: string): TaskRecord {
  return {
    ...task,
    status: result.status,
    started_at: result.startedAt,
    finished_at: result.finishedAt,
    output: result.output,
    exit_code: result.exitCode,
    decision_prompt: result.decisionPrompt ?? null,
    decision: null,
    workflow_id: workflowId,
    output_chars: result.outputChars ?? 0,
    ...(result.usage
      ? { tokens_in: result.usage.tokensIn, tokens_out: result.usage.tokensOut, cost_usd: result.usage.costUsd }
      : {}),
  };
}

/** The record of a finished task: its run and its commit (none, or one that failed: then why). */
export function finishedRecordOf(base: TaskRecord, commit: CommitTaskResult | null): TaskRecord {
  return { ...base, commit_sha: commit?.sha ?? null, push_error: commit?.pushError ?? commit?.error ?? null };
}
