import {
  continueAsNew,
  log,
  setHandler,
  sleep,
  startChild,
  uuid4,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { healDirection } from './heal';
import { monitorIssuesQuery } from '../shared/messages';
import { taskWorkflowId } from '../shared/names';
import { workflowSearchAttributes } from '../shared/search-attributes';
import type { AttentionReport, Condition, MonitorInput, MonitorIssue } from '../shared/contracts/monitor';
import type { PipelineSettings } from '../shared/contracts/pipeline';
import type { TaskSpec } from '../shared/contracts/task';
import { applyReport, initialMonitorState, mayHeal, openIssue } from './monitor-state';
import { newTaskId } from './task-id';
import { monitorSteps, notifications } from './steps';
import { taskWorkflow } from './task';

const CONTINUE_AS_NEW_EVENTS = 1000;
const AUTO_FIXED: Condition[] = ['repeated_failures', 'low_success_rate', 'stuck'];

/**
 * Watches one project's pipeline: every interval it evaluates the attention
 * rules, records issues (raised, resolved), notifies the webhook, and — only
 * when auto-fix is enabled — starts heal tasks: one open per condition, never
 * twice within the cooldown. Its state is durable; it ends when the pipeline
 * has ended and no heal task of its own is still running.
 */
export async function monitorWorkflow(input: MonitorInput): Promise<void> {
  const s = input.settings;
  const m = s.monitor!;
  const state = input.state ?? initialMonitorState();
  const heals = new Map<Condition, ChildWorkflowHandle<typeof taskWorkflow>>();
  setHandler(monitorIssuesQuery, () => state);

  for (;;) {
    let report: AttentionReport | null = null;
    try {
      report = await monitorSteps.checkAttention({
        projectId: input.projectId,
        projectRoot: s.projectRoot,
        stateDir: s.stateDir,
        metricsFile: s.metricsFile,
        productBacklog: s.productBacklog,
        metaBacklog: s.metaBacklog,
        metaRatio: s.metaRatio,
        thresholds: m,
      });
    } catch (err) {
      log.warn('attention check failed; retrying next interval', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
    if (report) {
      const changes = applyReport(state, report, () => uuid4().slice(0, 8));
      for (const issue of changes.raised) await raised(input, issue, report);
      for (const issue of changes.resolved) await announce(s, 'resolved', issue);
      if (report.attention.flags.length || changes.raised.length || changes.resolved.length)
        await autoFix(input, state, report, heals);
      await monitorSteps.writeMonitorIssues({
        stateDir: s.stateDir,
        issues: state.issues,
        lastCheck: state.lastCheck ?? report.checkedAt,
      });
      if (!report.pipelineRunning && heals.size === 0) return;
    }
    if (heals.size === 0 && workflowInfo().historyLength > CONTINUE_AS_NEW_EVENTS) {
      return await continueAsNew<typeof monitorWorkflow>({
        ...input,
        state: { ...state, continueAsNewCount: state.continueAsNewCount + 1 },
      });
    }
    await sleep(m.intervalSeconds * 1000);
  }
}

async function announce(s: PipelineSettings, event: 'raised' | 'resolved', issue: MonitorIssue): Promise<void> {
  if (!s.notifyWebhookUrl) return;
  await notifications.notify({
    url: s.notifyWebhookUrl,
    event: {
      event: `condition_${event}`,
      condition: issue.condition,
      severity: issue.severity,
      message: issue.message,
      issue_id: issue.id,
      at: event === 'raised' ? issue.created_at : issue.resolved_at,
    },
  });
}

async function raised(input: MonitorInput, issue: MonitorIssue, report: AttentionReport): Promise<void> {
  const autoFix = input.settings.monitor!.autoFix;
  log.warn(`attention: ${issue.condition} raised: ${issue.message}`, { condition: issue.condition, autoFix });
  if (issue.condition === 'stuck')
    log.warn(
      'attention: the pipeline looks stuck; suggestion: restart the worker (nightshift worker / nightshift up) and check `nightshift doctor`',
    );
  issue.actions.push({ at: report.checkedAt, action: autoFix ? 'raised' : 'raised (auto-fix off: logged only)' });
  await announce(input.settings, 'raised', issue);
}

async function autoFix(
  input: MonitorInput,
  state: ReturnType<typeof initialMonitorState>,
  report: AttentionReport,
  heals: Map<Condition, ChildWorkflowHandle<typeof taskWorkflow>>,
): Promise<void> {
  const s = input.settings;
  const m = s.monitor!;
  if (!m.autoFix) return;
  const now = Date.parse(report.checkedAt);
  for (const condition of AUTO_FIXED) {
    const issue = openIssue(state, condition);
    if (!report.attention[condition] || !issue) continue;
    if (!mayHeal(state, condition, heals.has(condition), now, m.cooldownMinutes)) continue;
    const direction = healDirection(condition, issue.message, report.failingPhase);
    if (!direction) continue;
    const task = healTask(s, direction, report.checkedAt);
    const askFirst =
      m.autoFixAction === 'needs_decision' && condition !== 'stuck'
        ? `Monitor: ${issue.message} Run this heal task? Answer with any guidance for it (it runs with your answer added).`
        : null;
    const handle = await startChild(taskWorkflow, {
      workflowId: taskWorkflowId(input.projectId, task.id),
      args: [{ projectId: input.projectId, settings: s, task, askFirst, condition }],
      // A heal task outlives a continue-as-new of the monitor.
      parentClosePolicy: 'ABANDON',
      typedSearchAttributes: workflowSearchAttributes(s.searchAttributes, {
        projectId: input.projectId,
        phase: 'heal',
      }),
      staticSummary: `${input.projectId}: heal (${condition})`,
    });
    heals.set(condition, handle);
    state.lastHealAt[condition] = report.checkedAt;
    issue.heal_task_id = task.id;
    issue.actions.push({
      at: report.checkedAt,
      action: askFirst ? 'needs_decision entry created' : 'heal task created',
      task_id: task.id,
    });
    log.info(`auto-fix: ${askFirst ? 'needs_decision entry' : 'heal task'} ${task.id} for ${condition}`);
    watchHeal(heals, condition, issue, task.id, handle);
  }
}

function healTask(s: PipelineSettings, direction: string, at: string): TaskSpec {
  return {
    id: newTaskId(),
    task_type: 'heal',
    direction,
    model: `${s.agent.name}/${s.agent.modelByType.heal}`,
    item_key: null,
    iteration: 1,
    created_at: at,
  };
}

/** A heal task's end frees its condition for the next heal and joins the issue's actions. */
function watchHeal(
  heals: Map<Condition, ChildWorkflowHandle<typeof taskWorkflow>>,
  condition: Condition,
  issue: MonitorIssue,
  taskId: string,
  handle: ChildWorkflowHandle<typeof taskWorkflow>,
): void {
  handle.result().then(
    (r) => {
      heals.delete(condition);
      issue.actions.push({
        at: new Date().toISOString(),
        action: 'heal task ended',
        task_id: taskId,
        outcome: r.status,
      });
    },
    (err: unknown) => {
      heals.delete(condition);
      issue.actions.push({
        at: new Date().toISOString(),
        action: 'heal task ended',
        task_id: taskId,
        outcome: `error: ${err instanceof Error ? err.message : String(err)}`,
      });
    },
  );
}
