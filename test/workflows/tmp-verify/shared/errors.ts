/** ApplicationFailure type strings: matched by retry policies and workflows, never by message text. */
export const ErrorType = {
  AgentNotFound: 'AgentNotFound',
  InvalidTask: 'InvalidTask',
  ProjectNotFound: 'ProjectNotFound',
} as const;

export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];
