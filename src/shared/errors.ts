/**
 * The kinds of failure callers tell apart: the `type` of an error (or of an ApplicationFailure). The CLI and the API
 * match on these, never on a class or a message; src/api/errors.ts maps each to its HTTP answer. Wire names: renaming
 * one breaks a caller. Sandbox-safe: no Node imports here.
 */
export const ERROR_TYPE = {
  /** Temporal did not answer in time. */
  TemporalUnreachable: 'TemporalUnreachable',
  /** A pause, resume or stop for a pipeline that does not run. */
  PipelineNotRunning: 'PipelineNotRunning',
  TaskNotFound: 'TaskNotFound',
  /** A decision for a task that does not wait for one. */
  TaskNotWaiting: 'TaskNotWaiting',
  /** A scheduled window opened on a worker that has no Temporal client. */
  NoTemporalClient: 'NoTemporalClient',
} as const;

export type ErrorType = (typeof ERROR_TYPE)[keyof typeof ERROR_TYPE];
