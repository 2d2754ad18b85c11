import type { PipelineSettings } from './pipeline';

/**
 * The scheduled run window: what a schedule starts (a window of `hours` for the project's pipeline) and how it
 * ended.
 * Every workflow and activity takes one input object and returns one result object, so fields can be added without
 * breaking running executions. Sandbox-safe.
 */

/** What a schedule starts: a window of `hours` for the project's pipeline. */
export interface WindowInput {
  projectId: string;
  taskQueue: string;
  settings: PipelineSettings;
  hours: number;
}

export interface WindowResult {
  workflowId: string;
  attached: boolean;
}
