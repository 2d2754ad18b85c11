import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_NAMESPACE, DEFAULT_TASK_QUEUE } from './shared/names';
import { AGENT_NAMES } from './shared/contracts/task';
import { DEFAULT_RATE_LIMIT_PATTERN } from './agents/rate-limit';

/**
 * The only module that reads `process.env`. `loadConfig(env)` validates every
 * variable at once and fails with one readable message listing each bad key.
 */

const flag = z
  .enum(['0', '1', 'true', 'false', ''])
  .default('0')
  .transform((v) => v === '1' || v === 'true');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v : undefined));
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const num = (def: number, min = 0, max = Number.MAX_VALUE) => z.coerce.number().min(min).max(max).default(def);

export const envSchema = z.object({
  TEMPORAL_ADDRESS: optionalString.describe('Temporal frontend address; when set, no embedded server is started'),
  TEMPORAL_NAMESPACE: z.string().min(1).default(DEFAULT_NAMESPACE).describe('Temporal namespace'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE).describe('Task queue of the worker'),
  TEMPORAL_API_KEY: optionalString.describe('API key for a remote cluster (enables TLS)'),
  TEMPORAL_TLS: flag.describe('1 = connect with TLS'),
  TEMPORAL_TLS_CERT: optionalString.describe('client certificate file for mTLS'),
  TEMPORAL_TLS_KEY: optionalString.describe('client key file for mTLS'),
  TEMPORAL_TLS_CA: optionalString.describe('server CA certificate file'),
  TEMPORAL_CLI_PATH: optionalString.describe('path of the temporal CLI binary'),
  NIGHTSHIFT_TEMPORAL_PORT: int(7233, 1, 65535).describe('gRPC port of the embedded dev server'),
  NIGHTSHIFT_TEMPORAL_UI_PORT: int(8233, 1, 65535).describe('Web UI port of the embedded dev server'),
  NIGHTSHIFT_TEMPORAL_UI_URL: optionalString
    .refine((v) => v === undefined || /^https?:\/\/[^\s"'<>]+$/.test(v), 'must be an http(s) URL')
    .describe(
      "Temporal Web UI base URL for links in the dashboard (default: the embedded server's UI; none with TEMPORAL_ADDRESS)",
    ),
  NIGHTSHIFT_HOME: optionalString.describe('state dir (default <project>/.nightshift)'),
  NIGHTSHIFT_CONNECT_TIMEOUT_SECONDS: num(60, 0).describe('how long worker/CLI retry reaching Temporal'),
  NIGHTSHIFT_LOG_MAX_MB: num(10, 0.001).describe(
    'service log files (worker, api, supervisor, server) rotate at this size; 5 are kept',
  ),
  NIGHTSHIFT_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('service log level'),
  NIGHTSHIFT_CONTINUE_AS_NEW_EVENTS: int(2000, 20).describe('history length after which the pipeline continues as new'),
  NIGHTSHIFT_HEARTBEAT_TIMEOUT_SECONDS: int(30, 2).describe('agent activity heartbeat timeout (worker loss detection)'),
  NIGHTSHIFT_WORKER_LOSS_RETRIES: int(20, 0, 1000).describe(
    'times an agent step is retried after its worker was lost (killed, crashed); a lost worker does not count against the task',
  ),
  NIGHTSHIFT_WORKER_METRICS_PORT: int(9464, 0, 65535).describe(
    "port of the worker's Prometheus endpoint with the Temporal SDK metrics, on NIGHTSHIFT_API_HOST (0 = off; a busy port is skipped with a warning)",
  ),
  PORT: int(8000, 0, 65535).describe('API port'),
  NIGHTSHIFT_API_HOST: z.string().min(1).default('127.0.0.1').describe('API bind address'),
  PIPELINE_API_TOKEN: optionalString.describe(
    'bearer token required by mutating endpoints (and by reads off loopback)',
  ),
  PIPELINE_API_READ_TOKEN_REQUIRED: flag.describe('1 = reads need the bearer token too, even on loopback'),
  PIPELINE_API_ALLOWED_HOSTS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    )
    .describe(
      'comma-separated Host names (name or name:port) the API answers besides its bind address and loopback, e.g. behind a proxy',
    ),
  PIPELINE_BACKLOG: z.string().min(1).default('specs/006-overnight-backlog.md').describe('product backlog'),
  PIPELINE_META_BACKLOG: z.string().min(1).default('specs/007-meta-pipeline-backlog.md').describe('meta backlog'),
  PIPELINE_META_RATIO: num(0.2, 0, 1).describe('share of meta items (0 disables)'),
  PIPELINE_SPEC_COVERAGE: z.string().min(1).default('docs/SPEC-COVERAGE.md').describe('spec coverage table'),
  PIPELINE_METRICS_FILE: optionalString.describe('metrics store (default <state dir>/logs/metrics.jsonl)'),
  PIPELINE_AGENT: z
    .preprocess((v) => (v === '' ? undefined : v), z.enum(AGENT_NAMES).optional())
    .describe('agent: demo, claude, cursor, codex, aider, command'),
  PIPELINE_AGENT_COMMAND: optionalString.describe('argv template for the command agent'),
  PIPELINE_AGENT_MODEL: optionalString.describe('model for every task type'),
  PIPELINE_AGENT_MODEL_SPEC: optionalString.describe('model override for spec tasks'),
  PIPELINE_AGENT_MODEL_IMPL: optionalString.describe('model override for impl tasks'),
  PIPELINE_AGENT_MODEL_TEST: optionalString.describe('model override for test tasks'),
  PIPELINE_AGENT_MODEL_REVIEW: optionalString.describe('model override for review tasks'),
  PIPELINE_AGENT_MODEL_HEAL: optionalString.describe('model override for heal tasks'),
  PIPELINE_AGENT_ALLOWED_TOOLS: optionalString.describe(
    'claude preset: the tools Claude Code may use unattended (its --allowedTools list; default: edits, reads, searches, test and git inspection commands)',
  ),
  PIPELINE_IMPL_NO_CHANGE: z
    .enum(['fail', 'decide', 'allow'])
    .default('fail')
    .describe(
      'an impl task whose agent changed no file: fail (default), decide (needs a human decision), or allow (completed)',
    ),
  PIPELINE_TASK_TIMEOUT_SECONDS: int(3600, 1).describe('agent run time limit per task'),
  PIPELINE_MAX_ITERATIONS: int(5, 1, 100).describe('fix iterations before an item fails'),
  PIPELINE_TEST_COMMAND: optionalString.describe('validation command run after review (argv, no shell)'),
  PIPELINE_AUTO_COMMIT: flag.describe('1 = commit after each completed spec/impl/test/review task'),
  PIPELINE_AUTO_PUSH: flag.describe('1 = git push after each auto-commit (failures are logged, never fatal)'),
  PIPELINE_PARALLEL_ITEMS: int(1, 1, 32).describe('items at once; above 1 each item works in its own git worktree'),
  PIPELINE_STUCK_MINUTES: num(10, 0.001).describe(
    'stuck: pending work and no task started, finished or heartbeated for this long',
  ),
  PIPELINE_REPEATED_FAILURES: int(3, 1).describe(
    'repeated_failures: this many last finished tasks of one phase all failed',
  ),
  PIPELINE_LOW_SUCCESS_RATE: num(0.8, 0, 1).describe('low_success_rate: 7-day success rate below this'),
  PIPELINE_LOW_SUCCESS_MIN_TASKS: int(10, 1).describe('low_success_rate: only with at least this many tasks in 7 days'),
  PIPELINE_AUTO_FIX_ENABLED: flag.describe('1 = raised conditions create heal tasks (0 = log only)'),
  PIPELINE_AUTO_FIX_ACTION: z
    .enum(['heal', 'needs_decision'])
    .default('heal')
    .describe('what auto-fix creates: a heal task, or a needs_decision entry'),
  PIPELINE_AUTO_FIX_COOLDOWN_MINUTES: num(30, 0).describe('minimum time between two heal tasks for the same condition'),
  PIPELINE_MONITOR_INTERVAL_SECONDS: num(60, 0.1).describe('how often the monitor checks the attention rules'),
  PIPELINE_NEEDS_DECISION_TIMEOUT_HOURS: num(0, 0).describe(
    'fail an item whose decision has not come after this long (0 = wait forever)',
  ),
  PIPELINE_NOTIFY_WEBHOOK_URL: optionalString.describe(
    'receives a JSON POST when a condition is raised or resolved and when a task needs a decision',
  ),
  PIPELINE_LOG_KEEP_DAYS: num(14, 0).describe(
    "the pipeline deletes task logs older than this once a day (never a running task's)",
  ),
  PIPELINE_METRICS_KEEP_DAYS: num(30, 1).describe(
    'metrics lines older than this move to a dated archive file once a day',
  ),
  PIPELINE_RATE_LIMIT_PATTERN: z
    .string()
    .default(DEFAULT_RATE_LIMIT_PATTERN)
    .describe('regex (case-insensitive) for agent output that means a usage limit, not a failure'),
  PIPELINE_RATE_LIMIT_BACKOFF_MINUTES: num(30, 0).describe(
    'how long to pause when a usage-limit message names no reset time',
  ),
  PIPELINE_BACKLOG_POLL_SECONDS: num(30, 0.1).describe('how often an idle pipeline re-reads the backlog'),
  NIGHTSHIFT_DEMO_DIR: optionalString.describe(
    'where `up --demo` generates the demo project (default: a new temp dir)',
  ),
  PATH: z.string().default('').describe('searched for agent CLIs and the temporal binary'),
  DEMO_AGENT_FAIL_RATE: num(0, 0, 1).describe('demo agent: share of tasks that fail'),
  DEMO_AGENT_DELAY_MS: int(300, 0).describe('demo agent: time each task takes'),
  CI: optionalString.describe('CI=true lets coverage upgrade Present/Tested marks'),
});

export type EnvConfig = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  readonly type = 'ConfigError';
}

export function loadEnvConfig(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  return parsed.data;
}

export interface ProjectPaths {
  projectRoot: string;
  projectId: string;
  stateDir: string;
  metricsFile: string;
  logsDir: string;
  taskLogsDir: string;
}

/** `projectId` = folder-name slug + short hash of the absolute path (contract section 12). */
export function projectIdFor(projectRoot: string): string {
  const abs = path.resolve(projectRoot);
  const slug =
    path
      .basename(abs)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'project';
  return `${slug}-${createHash('sha256').update(abs).digest('hex').slice(0, 8)}`;
}

export function projectPaths(config: EnvConfig, projectRoot: string): ProjectPaths {
  const root = path.resolve(projectRoot);
  const stateDir = config.NIGHTSHIFT_HOME ? path.resolve(root, config.NIGHTSHIFT_HOME) : path.join(root, '.nightshift');
  const logsDir = path.join(stateDir, 'logs');
  return {
    projectRoot: root,
    projectId: projectIdFor(root),
    stateDir,
    logsDir,
    taskLogsDir: path.join(logsDir, 'tasks'),
    metricsFile: config.PIPELINE_METRICS_FILE
      ? path.resolve(root, config.PIPELINE_METRICS_FILE)
      : path.join(logsDir, 'metrics.jsonl'),
  };
}

/** Variables that must never reach an agent's environment or a log line. */
const SECRET_ENV = /^(PIPELINE_API_TOKEN|TEMPORAL_API_KEY|TEMPORAL_TLS_.*|TEMPORAL_CLIENT_.*|TEMPORAL_GRPC_META_.*)$/;

export function agentEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!SECRET_ENV.test(k) && v !== undefined) out[k] = v;
  return out;
}

/**
 * The environment git runs with: the worker's without its secrets (repository
 * hooks run with it, and an agent can write hooks), and never a credential
 * prompt, which would hang a push with nobody to answer it.
 */
export function gitEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...agentEnvironment(env), GIT_TERMINAL_PROMPT: '0' };
}

/** The process environment for spawning our own child processes (server, worker, API). */
export function childProcessEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
