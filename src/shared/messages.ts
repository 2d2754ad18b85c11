import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import {
  QUERY_ISSUES,
  QUERY_STATUS,
  SIGNAL_CREDENTIAL_REJECTED,
  SIGNAL_ITEM_WAITING,
  SIGNAL_PAUSE,
  SIGNAL_RATE_LIMITED,
  SIGNAL_RESUME,
  SIGNAL_STOP,
  UPDATE_DECIDE,
} from './names';
import type { MonitorCarriedState } from './contracts/monitor';
import type { CredentialNotice, ItemStatusView, PipelineStatusView, RateLimitNotice } from './contracts/pipeline';
import type { DecideInput, DecideResult } from './contracts/task';

/** Message definitions shared by the workflows, the API and the CLI (plain objects, sandbox-safe). */
export const pauseSignal = defineSignal(SIGNAL_PAUSE);
export const resumeSignal = defineSignal(SIGNAL_RESUME);
export const stopSignal = defineSignal(SIGNAL_STOP);
export const pipelineStatusQuery = defineQuery<PipelineStatusView>(QUERY_STATUS);
export const itemStatusQuery = defineQuery<ItemStatusView>(QUERY_STATUS);
/** Answers a task waiting in needs_decision; rejected (before history) when that task is not the one waiting. */
export const decideUpdate = defineUpdate<DecideResult, [DecideInput]>(UPDATE_DECIDE);
/** An item tells its pipeline it waits for a decision (and no longer holds a slot), or that it goes on. */
export const itemWaitingSignal = defineSignal<[{ itemKey: string; waiting: boolean }]>(SIGNAL_ITEM_WAITING);
export const monitorIssuesQuery = defineQuery<MonitorCarriedState>(QUERY_ISSUES);
/** An item's agent hit a usage limit: the pipeline starts nothing new until it resets. */
export const rateLimitedSignal = defineSignal<[RateLimitNotice]>(SIGNAL_RATE_LIMITED);
/** An item's agent had its credential refused: the pipeline pauses itself and says why. */
export const credentialRejectedSignal = defineSignal<[CredentialNotice]>(SIGNAL_CREDENTIAL_REJECTED);
