import {
  OpenAPIRegistry,
  OpenApiGeneratorV3,
  type RouteConfig,
  type ZodMediaTypeObject,
} from '@asteasolutions/zod-to-openapi';
import { CONDITIONS } from '../shared/contracts/monitor';
import { TASK_STATUSES, TASK_TYPES } from '../shared/contracts/task';
import { VERSION } from '../version';
import { ITEM_TEXT_EXCERPT_CHARS } from '../read-model/pipeline-status';
import { metricsQuery } from './routes/metrics';
import { itemKeyParams } from './routes/pipeline';
import { attentionQuery, decisionBody, listQuery, logQuery, newTaskBody, taskIdParams } from './routes/tasks';

/**
 * The OpenAPI 3 document of the REST API: every route, its parameters, request bodies and responses (a test checks
 * every route is here and that real responses match these schemas). The parameters and bodies are the zod schemas the
 * routes validate requests with; the responses are described here.
 */

type Schema = ZodMediaTypeObject['schema'];
type ComponentSchema = Parameters<OpenAPIRegistry['registerComponent']>[2];

/** OpenAPI 3.0: `nullable` does not admit null past an `enum` unless null is one of its values. */
const nullable = (schema: Record<string, unknown>) => ({
  ...schema,
  ...(Array.isArray(schema.enum) && { enum: [...schema.enum, null] }),
  nullable: true,
});
const str = { type: 'string' };
const int = { type: 'integer' };
const num = { type: 'number' };
const bool = { type: 'boolean' };
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema: schema as Schema } });
const err = (description: string) => ({ description, content: json(ref('Error')) });
const authErrors = {
  '401': err('Missing or invalid bearer token'),
  '403': err(
    "Refused: from another origin (`Origin` not this API's, or `Sec-Fetch-Site: cross-site`), or no token configured and not bound to loopback",
  ),
  '415': err('A body (or a content type) that is not application/json'),
};
const readErrors = {
  '401': err('Missing or invalid bearer token (reads off loopback)'),
  '403': err('Reads refused: not bound to loopback and no token configured'),
};

const taskProps = {
  id: str,
  task_type: { type: 'string', enum: [...TASK_TYPES] },
  status: { type: 'string', enum: [...TASK_STATUSES] },
  direction: str,
  model: str,
  item_key: nullable(str),
  iteration: int,
  created_at: str,
  started_at: nullable(str),
  finished_at: nullable(str),
  output: nullable(str),
  exit_code: nullable(int),
  decision_prompt: nullable(str),
  decision: nullable(str),
  commit_sha: nullable(str),
  push_error: nullable(str),
  workflow_id: nullable(str),
  output_chars: int,
};
const statusTask = {
  type: 'object',
  required: [
    'id',
    'task_type',
    'model',
    'direction',
    'created_at',
    'updated_at',
    'wait_seconds',
    'running_seconds',
    'duration_seconds',
  ],
  properties: {
    id: str,
    task_type: str,
    model: str,
    direction: str,
    created_at: str,
    updated_at: nullable(str),
    wait_seconds: nullable(int),
    running_seconds: nullable(int),
    duration_seconds: nullable(int),
    output_len: int,
    live_tail: nullable({ type: 'array', items: str }),
  },
};
const attention = {
  type: 'object',
  required: [...CONDITIONS, 'flags'],
  properties: {
    ...Object.fromEntries(CONDITIONS.map((c) => [c, bool])),
    flags: { type: 'array', items: { type: 'string', enum: [...CONDITIONS] } },
  },
};
const issue = {
  type: 'object',
  required: ['id', 'condition', 'severity', 'message', 'suggested_action', 'created_at', 'resolved_at', 'heal_task_id'],
  properties: {
    id: str,
    condition: { type: 'string', enum: [...CONDITIONS] },
    severity: { type: 'string', enum: ['high', 'medium', 'low'] },
    message: str,
    suggested_action: str,
    created_at: str,
    resolved_at: nullable(str),
    heal_task_id: nullable(str),
    actions: { type: 'array', items: { type: 'object' } },
  },
};

/** The response schemas (`#/components/schemas/…`). They describe answers, which nothing validates at run time. */
const components: Record<string, object> = {
  Error: {
    type: 'object',
    required: ['detail'],
    properties: { detail: { oneOf: [str, { type: 'array', items: { type: 'object' } }] } },
  },
  Health: {
    type: 'object',
    required: ['status', 'version', 'timestamp', 'temporal'],
    properties: {
      status: { type: 'string', enum: ['ok'] },
      version: str,
      timestamp: str,
      temporal: { type: 'string', enum: ['ok', 'unreachable'] },
    },
  },
  Task: {
    type: 'object',
    required: ['id', 'task_type', 'status', 'direction', 'model', 'created_at'],
    properties: taskProps,
  },
  TaskList: {
    type: 'object',
    required: ['tasks', 'total'],
    properties: {
      tasks: {
        type: 'array',
        items: { type: 'object', required: ['id', 'task_type', 'status'], properties: taskProps },
      },
      total: int,
    },
  },
  TaskCount: {
    type: 'object',
    required: ['total', 'by_status'],
    properties: { total: int, by_status: { type: 'object', additionalProperties: int } },
  },
  Metrics: {
    type: 'object',
    required: ['success_rate', 'execution_time', 'by_task_type', 'by_model', 'skipped_lines', 'window_days'],
    properties: {
      success_rate: {
        type: 'object',
        required: ['completed', 'failed', 'total', 'rate'],
        properties: { completed: int, failed: int, total: int, rate: num },
      },
      execution_time: {
        type: 'object',
        required: ['p50_seconds', 'p95_seconds'],
        properties: { p50_seconds: num, p95_seconds: num },
      },
      by_task_type: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          required: ['count', 'completed', 'failed', 'success_rate'],
          properties: { count: int, completed: int, failed: int, success_rate: num },
        },
      },
      by_model: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          required: ['count', 'avg_duration'],
          properties: { count: int, avg_duration: num },
        },
      },
      skipped_lines: int,
      window_days: int,
    },
  },
  DashboardConfig: {
    type: 'object',
    required: ['project_id', 'namespace', 'web_ui_url', 'token_required_for_mutations'],
    properties: { project_id: str, namespace: str, web_ui_url: nullable(str), token_required_for_mutations: bool },
  },
  MetricsBreakdown: {
    type: 'object',
    required: ['window_days', 'days', 'by_task_type', 'by_model'],
    properties: {
      window_days: int,
      days: {
        type: 'array',
        items: {
          type: 'object',
          required: ['date', 'completed', 'failed', 'total', 'rate'],
          properties: {
            date: { type: 'string', format: 'date' },
            completed: int,
            failed: int,
            total: int,
            rate: num,
          },
        },
      },
      by_task_type: { type: 'object', additionalProperties: ref('GroupDurations') },
      by_model: { type: 'object', additionalProperties: ref('GroupDurations') },
    },
  },
  GroupDurations: {
    type: 'object',
    description:
      'Records of the group, their duration percentiles, and the sums of the token and cost figures the agent CLIs reported (usage_count: records that reported any; a sum is null when no record reported that figure; implausible values are left out)',
    required: ['count', 'p50_seconds', 'p95_seconds', 'usage_count', 'tokens_in', 'tokens_out', 'cost_usd'],
    properties: {
      count: int,
      p50_seconds: num,
      p95_seconds: num,
      usage_count: int,
      tokens_in: nullable(int),
      tokens_out: nullable(int),
      cost_usd: nullable(num),
    },
  },
  MonitorIssues: {
    type: 'object',
    required: ['issues', 'last_check'],
    properties: { issues: { type: 'array', items: issue }, last_check: nullable(str) },
  },
  PipelineStatus: {
    type: 'object',
    required: [
      'running',
      'pending',
      'running_by_phase',
      'recent_completed',
      'latest_request',
      'latest_response',
      'attention',
      'pipeline',
      'issues',
    ],
    properties: {
      running: { type: 'array', items: statusTask },
      pending: { type: 'array', items: statusTask },
      running_by_phase: {
        type: 'object',
        required: ['spec', 'impl', 'test', 'review'],
        properties: { spec: int, impl: int, test: int, review: int },
      },
      recent_completed: { type: 'array', items: statusTask },
      latest_request: nullable({
        type: 'object',
        required: ['task_id', 'status', 'direction', 'prompt_preview'],
        properties: {
          task_id: str,
          status: str,
          direction: {
            type: 'string',
            maxLength: 500,
            description: 'the first 500 characters; the whole in /api/agent/tasks/{id}',
          },
          prompt_preview: { type: 'string', maxLength: 500 },
        },
      }),
      latest_response: nullable({
        type: 'object',
        required: ['task_id', 'status', 'output_preview', 'output_len'],
        properties: { task_id: str, status: str, output_preview: str, output_len: int },
      }),
      attention,
      pipeline: {
        type: 'object',
        required: [
          'workflow_id',
          'state',
          'paused',
          'items_by_state',
          'items',
          'started_at',
          'continue_as_new_count',
          'tasks_run',
        ],
        properties: {
          workflow_id: str,
          state: str,
          paused: bool,
          items_by_state: { type: 'object', additionalProperties: int },
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: ['key', 'text', 'text_truncated', 'state', 'iteration'],
              properties: {
                key: str,
                text: {
                  type: 'string',
                  maxLength: ITEM_TEXT_EXCERPT_CHARS,
                  description: `the first ${ITEM_TEXT_EXCERPT_CHARS} characters; the whole text is at /api/agent/pipeline/items/{key}`,
                },
                text_truncated: bool,
                source: str,
                state: str,
                phase: nullable(str),
                iteration: int,
              },
            },
          },
          started_at: nullable(str),
          run_started_at: nullable(str),
          deadline: nullable(str),
          continue_as_new_count: int,
          tasks_run: int,
          history_length: nullable(int),
          worker: nullable({ type: 'string', enum: ['ok', 'unavailable'] }),
          rate_limited_until: nullable(str),
        },
      },
      issues: { type: 'array', items: issue },
    },
  },
};

const registry = new OpenAPIRegistry();
for (const [name, schema] of Object.entries(components))
  registry.registerComponent('schemas', name, schema as ComponentSchema);

/** Every operation also answers 421 when the request's `Host` is not this API (the DNS-rebinding rule). */
const misdirected = err(
  '`Host` is not this API: its bind address, a loopback name or one of PIPELINE_API_ALLOWED_HOSTS',
);

/** Documents one operation of the API (under /api), with the 421 every operation may answer. */
function operation(route: RouteConfig): void {
  registry.registerPath({ ...route, path: `/api${route.path}`, responses: { ...route.responses, '421': misdirected } });
}

/** A JSON request body: the zod schema the route validates it with. */
const jsonBody = (schema: Schema) => ({ required: true, content: json(schema) });

operation({
  method: 'get',
  path: '/health',
  summary: 'Liveness, with whether Temporal answers',
  responses: { '200': { description: 'OK', content: json(ref('Health')) } },
});
operation({
  method: 'get',
  path: '/openapi.json',
  summary: 'This document',
  responses: { '200': { description: 'OpenAPI 3 document', content: json({ type: 'object' }) } },
});
operation({
  method: 'get',
  path: '/agent/metrics',
  summary: 'Task metrics: the reference aggregation over a window',
  request: { query: metricsQuery },
  responses: {
    '200': { description: 'Aggregates (zeroed when there is no data)', content: json(ref('Metrics')) },
    '422': err('Invalid parameter'),
    ...readErrors,
  },
});
operation({
  method: 'get',
  path: '/agent/metrics/breakdown',
  summary:
    'Task metrics per UTC day and per task type and model (counts, p50/p95, reported tokens and cost) over a window, for the dashboard',
  request: { query: metricsQuery },
  responses: {
    '200': {
      description: 'Breakdown (every day of the window listed, zeros included)',
      content: json(ref('MetricsBreakdown')),
    },
    '422': err('Invalid parameter'),
    ...readErrors,
  },
});
operation({
  method: 'get',
  path: '/agent/pipeline-status',
  summary: 'Running/pending/recent tasks, attention flags, the pipeline and its issues',
  responses: {
    '200': { description: 'Status', content: json(ref('PipelineStatus')) },
    '503': err('Temporal not reachable'),
    ...readErrors,
  },
});
operation({
  method: 'get',
  path: '/agent/tasks',
  summary: 'Tasks, newest first',
  request: { query: listQuery },
  responses: {
    '200': { description: 'A page of tasks (without output)', content: json(ref('TaskList')) },
    '422': err('Invalid parameter'),
    ...readErrors,
  },
});
operation({
  method: 'post',
  path: '/agent/tasks',
  summary: 'Run an ad-hoc task',
  request: { body: jsonBody(newTaskBody) },
  responses: {
    '201': {
      description: 'The pending task',
      content: json(ref('Task')),
      links: {
        task: { operationRef: '#/paths/~1api~1agent~1tasks~1{id}/get', parameters: { id: '$response.body#/id' } },
        log: {
          operationRef: '#/paths/~1api~1agent~1tasks~1{id}~1log/get',
          parameters: { id: '$response.body#/id' },
        },
        decision: {
          operationRef: '#/paths/~1api~1agent~1tasks~1{id}~1decision/post',
          parameters: { id: '$response.body#/id' },
        },
      },
    },
    '400': err('Body is not JSON'),
    '413': err('Body too large'),
    '422': err('Invalid body'),
    '503': err('Temporal not reachable'),
    ...authErrors,
  },
});
operation({
  method: 'get',
  path: '/agent/tasks/count',
  summary: 'Task counts by status',
  responses: { '200': { description: 'Counts', content: json(ref('TaskCount')) }, ...readErrors },
});
operation({
  method: 'get',
  path: '/agent/tasks/attention',
  summary: 'Tasks that failed or wait for a decision, newest first',
  request: { query: attentionQuery },
  responses: {
    '200': { description: 'Tasks with output', content: json(ref('TaskList')) },
    '422': err('Invalid parameter'),
    ...readErrors,
  },
});
operation({
  method: 'get',
  path: '/agent/tasks/{id}',
  summary: 'One task',
  request: { params: taskIdParams },
  responses: {
    '200': { description: 'The task', content: json(ref('Task')) },
    '404': err('Task not found'),
    ...readErrors,
  },
});
operation({
  method: 'get',
  path: '/agent/tasks/{id}/log',
  summary: "One task's log: whole, or its last `tail_bytes` bytes",
  // Range is HTTP's own header, like Accept-Encoding: described here, not a parameter of the operation.
  description:
    'With a `Range` header of one range (`bytes=a-b`, `bytes=a-` or `bytes=-n`), the answer is 206 with those bytes of the raw log as text/plain and `Content-Range`, or 416 when the range starts past its end; any other `Range` is ignored.',
  request: { params: taskIdParams, query: logQuery },
  responses: {
    '200': {
      description:
        'The log (empty while an unfinished task has written none); `log_offset` is the byte the text starts at, of `log_bytes`',
      content: json({
        type: 'object',
        required: ['task_id', 'log', 'log_bytes', 'log_offset', 'command', 'output'],
        properties: {
          task_id: str,
          log: str,
          log_bytes: int,
          log_offset: int,
          command: str,
          output: nullable(str),
        },
      }),
    },
    '206': {
      description: 'The range asked, raw bytes of the log, with `Content-Range`',
      content: { 'text/plain': { schema: { type: 'string' } } },
    },
    '404': err('Task not found, or the log of a finished task is gone'),
    '416': err('The range starts past the end of the log (`Content-Range: bytes */<size>`)'),
    '422': err('Invalid parameter'),
    ...readErrors,
  },
});
operation({
  method: 'post',
  path: '/agent/tasks/{id}/decision',
  summary: 'Answer a task waiting in needs_decision',
  request: { params: taskIdParams, body: jsonBody(decisionBody) },
  responses: {
    '200': {
      description: 'Accepted',
      content: json({
        type: 'object',
        required: ['task_id', 'decision', 'status'],
        properties: { task_id: str, decision: str, status: { type: 'string', enum: ['accepted'] } },
      }),
    },
    '400': err('Body is not JSON'),
    '404': err('Task not found'),
    '409': err('The task is not waiting for a decision'),
    '422': err('Invalid body'),
    '503': err('Temporal not reachable'),
    ...authErrors,
  },
});
operation({
  method: 'get',
  path: '/agent/pipeline/items/{key}',
  summary:
    'One backlog item with its whole text (pipeline-status carries excerpts): from the running pipeline, else from the backlog files',
  request: { params: itemKeyParams },
  responses: {
    '200': {
      description: 'The item; `state`, `phase` and `iteration` are null when only the backlog knows it',
      content: json({
        type: 'object',
        required: ['key', 'text', 'source', 'state', 'phase', 'iteration'],
        properties: {
          key: str,
          text: str,
          source: str,
          state: nullable(str),
          phase: nullable(str),
          iteration: nullable(int),
        },
      }),
    },
    '404': err('Item not found'),
    '503': err('Temporal not reachable'),
    ...readErrors,
  },
});
operation({
  method: 'get',
  path: '/dashboard/config',
  summary:
    'What the dashboard (GET /) needs: project, namespace, Temporal Web UI base URL (null when unknown), whether mutations need the token',
  responses: {
    '200': { description: 'Dashboard settings', content: json(ref('DashboardConfig')) },
    ...readErrors,
  },
});
operation({
  method: 'get',
  path: '/agent/monitor-issues',
  summary: "The monitor's recorded conditions",
  responses: { '200': { description: 'Issues', content: json(ref('MonitorIssues')) }, ...readErrors },
});
for (const c of ['pause', 'resume', 'stop'])
  operation({
    method: 'post',
    path: `/agent/pipeline/${c}`,
    summary: `${c} the pipeline (a signal; no body)`,
    responses: {
      '400': err('Body is not JSON'),
      '202': {
        description: 'Accepted',
        content: json({
          type: 'object',
          required: ['accepted', 'workflow_id'],
          properties: { accepted: str, workflow_id: str },
        }),
      },
      '409': err('No running pipeline'),
      '503': err('Temporal not reachable'),
      ...authErrors,
    },
  });

export const openApiDocument = new OpenApiGeneratorV3(registry.definitions).generateDocument({
  openapi: '3.0.3',
  info: {
    title: 'nightshift',
    version: VERSION,
    description: 'Autonomous development pipeline on Temporal. Errors are `{"detail": string | list}`.',
  },
});
