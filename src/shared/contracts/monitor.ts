import type { PipelineSettings } from './pipeline';

/**
 * The monitor: attention conditions and thresholds (contract section 10), the issues it raises, and the inputs and
 * results of the monitor workflow and its activities.
 * Every workflow and activity takes one input object and returns one result object, so fields can be added without
 * breaking running executions. Sandbox-safe.
 */

/** Contract section 10's conditions, then `blocked_step` (a step the pipeline cannot do without keeps failing). */
export const CONDITIONS = [
  'stuck',
  'repeated_failures',
  'low_success_rate',
  'output_empty',
  'executor_fail',
  'blocked_step',
] as const;

export type Condition = (typeof CONDITIONS)[number];

export interface AttentionThresholds {
  stuckMinutes: number;
  repeatedFailures: number;
  lowSuccessRate: number;
  lowSuccessMinTasks: number;
}

export interface MonitorSettings extends AttentionThresholds {
  intervalSeconds: number;
  autoFix: boolean;
  autoFixAction: 'heal' | 'needs_decision';
  cooldownMinutes: number;
}

export type Attention = Record<Condition, boolean> & { flags: Condition[] };

/** What the attention rules saw, so an issue can say why it was raised. */
export interface AttentionReport {
  attention: Attention;
  /** Per raised condition: a one-line message with the evidence. */
  details: Partial<Record<Condition, string>>;
  /** For repeated_failures: the phase whose last tasks all failed. */
  failingPhase: string | null;
  /**
   * Conditions this check could not judge (evidence missing): an open issue for one stays open. Absent in older
   * histories.
   */
  undetermined?: Condition[];
  pipelineRunning: boolean;
  checkedAt: string;
}

export interface MonitorIssue {
  id: string;
  condition: Condition;
  severity: 'high' | 'medium' | 'low';
  message: string;
  suggested_action: string;
  created_at: string;
  resolved_at: string | null;
  heal_task_id: string | null;
  /** What auto-fix did about it, and how that ended. */
  actions: { at: string; action: string; task_id?: string; outcome?: string }[];
}

export interface NotifyInput {
  url: string;
  event: Record<string, unknown>;
}

export interface NotifyResult {
  delivered: boolean;
  status: number | null;
  error: string | null;
}

export interface CheckAttentionInput extends Pick<
  PipelineSettings,
  'projectRoot' | 'stateDir' | 'metricsFile' | 'productBacklog' | 'metaBacklog' | 'metaRatio'
> {
  projectId: string;
  thresholds: AttentionThresholds;
}

export interface WriteMonitorIssuesInput {
  stateDir: string;
  issues: MonitorIssue[];
  lastCheck: string;
}

export interface MonitorInput {
  projectId: string;
  settings: PipelineSettings;
  state?: MonitorCarriedState;
}

export interface MonitorCarriedState {
  issues: MonitorIssue[];
  lastHealAt: Partial<Record<Condition, string>>;
  lastCheck: string | null;
  continueAsNewCount: number;
}

export interface MaintenanceInput {
  stateDir: string;
  metricsFile: string;
  logKeepDays: number;
  metricsKeepDays: number;
}

export interface MaintenanceResult {
  logsRemoved: number;
  metricsArchived: number;
}
