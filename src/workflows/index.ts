/** The single workflowsPath of the worker: every workflow type, by its wire name. */
export { pipelineWorkflow } from './pipeline';
export { itemWorkflow } from './item';
export { taskWorkflow } from './task';
export { monitorWorkflow } from './monitor';
export { windowWorkflow } from './run-window';
