import { defineQuery, defineSignal } from '@temporalio/workflow';
import { QUERY_STATUS, SIGNAL_PAUSE, SIGNAL_RESUME, SIGNAL_STOP } from './names';
import type { ItemStatusView, PipelineStatusView } from './types';

/** Message definitions shared by the workflows, the API and the CLI (plain objects, sandbox-safe). */
export const pauseSignal = defineSignal(SIGNAL_PAUSE);
export const resumeSignal = defineSignal(SIGNAL_RESUME);
export const stopSignal = defineSignal(SIGNAL_STOP);
export const pipelineStatusQuery = defineQuery<PipelineStatusView>(QUERY_STATUS);
export const itemStatusQuery = defineQuery<ItemStatusView>(QUERY_STATUS);
