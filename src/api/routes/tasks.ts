import { stat } from 'node:fs/promises';
import { Router, type RequestHandler, type Response } from 'express';
import type { EnvConfig, ProjectPaths } from '../../config';
import { decideTask, enqueueTask } from '../../temporal/tasks-control';
import type { TemporalClient } from '../../temporal/connection';
import { TASK_STATUSES, TASK_TYPES } from '../../shared/contracts/task';
import { TASK_ID_PATTERN, taskLogPath } from '../../tasks/paths';
import type { TaskIndex } from '../../tasks/store';
import { HttpError } from '../errors';
import { readLogRange, readLogTail } from '../../tasks/log-slices';
import { parseByteRange } from '../byte-range';
import { parseOr404, parseOr422, queryInteger, textField } from '../validation';
import { z } from '../zod';

// The request schemas of the tasks endpoints: they validate the requests, and openapi.ts documents them.
const limit = queryInteger(1, 100).default(20);
export const listQuery = z.object({
  status: z.enum(TASK_STATUSES).optional(),
  task_type: z.enum(TASK_TYPES).optional(),
  limit,
  offset: queryInteger(0, Number.MAX_SAFE_INTEGER).default(0),
});
export const attentionQuery = z.object({ limit });
export const logQuery = z.object({
  tail_bytes: queryInteger(1, Number.MAX_SAFE_INTEGER)
    .optional()
    .openapi({ param: { description: 'only the last N bytes of the log (from a character boundary)' } }),
});
/** `{id}`, checked before any file access: `../` never reaches the file system. */
export const taskIdParams = z.object({
  id: z
    .string()
    .regex(TASK_ID_PATTERN)
    .openapi({ param: { description: 'task_ + 16 lowercase hex' } }),
});
export const decisionBody = z.object({ decision: textField('decision', 5000) }).strict();
export const newTaskBody = z
  .object({
    direction: textField('direction', 5000),
    task_type: z.enum(TASK_TYPES, {
      errorMap: () => ({ message: `task_type must be one of ${JSON.stringify([...TASK_TYPES])}` }),
    }),
  })
  .strict();

export interface TasksRouterDeps {
  tasks: TaskIndex;
  stateDir: string;
  temporal: TemporalClient;
  config: EnvConfig;
  paths: ProjectPaths;
  mutate: RequestHandler;
}

/**
 * Answers a `Range` request for a log with its raw bytes (206) or 416; false when the header asks nothing this
 * serves (malformed, several ranges), so the log is answered whole.
 */
async function sendLogRange(res: Response, file: string, header: string, unfinished: boolean): Promise<boolean> {
  const size = await stat(file).then(
    (s) => s.size,
    () => (unfinished ? 0 : null),
  );
  if (size === null) throw new HttpError(404, 'Task log not found');
  const range = parseByteRange(header, size);
  if (!range) return false;
  const slice = range === 'unsatisfiable' ? null : await readLogRange(file, range);
  if (!slice?.bytes.length) {
    res.set('Content-Range', `bytes */${slice?.size ?? size}`);
    throw new HttpError(416, `Range not satisfiable: the log has ${slice?.size ?? size} bytes`);
  }
  const end = slice.start + slice.bytes.length - 1;
  res
    .status(206)
    .set('Content-Range', `bytes ${slice.start}-${end}/${slice.size}`)
    .type('text/plain; charset=utf-8')
    .send(slice.bytes);
  return true;
}

/** Lists omit the bulky fields, like the reference. */
function listItem(t: Record<string, unknown>) {
  const { output: _output, ...rest } = t;
  return rest;
}

export function tasksRouter(deps: TasksRouterDeps): Router {
  const { tasks, stateDir } = deps;
  const router = Router();
  router.post('/agent/tasks', deps.mutate, async (req, res) => {
    const body = parseOr422(newTaskBody, req.body ?? {}, 'body');
    const task = await enqueueTask(deps.temporal, deps.config, deps.paths, {
      taskType: body.task_type,
      direction: body.direction,
    });
    res.status(201).location(`/api/agent/tasks/${task.id}`).json(task);
  });
  router.post('/agent/tasks/:id/decision', deps.mutate, async (req, res) => {
    const { id } = parseOr404(taskIdParams, req.params, 'Task not found');
    const body = parseOr422(decisionBody, req.body ?? {}, 'body');
    await decideTask(deps.temporal, tasks, deps.paths.projectId, id, body.decision);
    res.json({ task_id: id, decision: body.decision, status: 'accepted' });
  });
  router.get('/agent/tasks', async (req, res) => {
    const q = parseOr422(listQuery, req.query, 'query');
    const page = await tasks.query({ status: q.status, taskType: q.task_type, limit: q.limit, offset: q.offset });
    res.json({ tasks: page.tasks.map((t) => listItem({ ...t })), total: page.total });
  });
  router.get('/agent/tasks/count', async (_req, res) => {
    res.json(await tasks.countByStatus());
  });
  router.get('/agent/tasks/attention', async (req, res) => {
    const q = parseOr422(attentionQuery, req.query, 'query');
    const all = (await tasks.all()).filter((t) => t.status === 'failed' || t.status === 'needs_decision');
    res.json({ tasks: all.slice(0, q.limit), total: all.length });
  });
  router.get('/agent/tasks/:id', async (req, res) => {
    const { id } = parseOr404(taskIdParams, req.params, 'Task not found');
    const task = await tasks.get(id);
    if (!task) throw new HttpError(404, 'Task not found');
    res.json(task);
  });
  router.get('/agent/tasks/:id/log', async (req, res) => {
    const { id } = parseOr404(taskIdParams, req.params, 'Task not found');
    const q = parseOr422(logQuery, req.query, 'query');
    const task = await tasks.get(id);
    if (!task) throw new HttpError(404, 'Task not found');
    const file = taskLogPath(stateDir, id);
    // A task that has not finished may not have written its log yet: that is an empty log, not a missing one.
    const unfinished = task.status === 'pending' || task.status === 'running';
    res.set('Accept-Ranges', 'bytes');
    const range = req.get('range');
    if (range !== undefined && (await sendLogRange(res, file, range, unfinished))) return;
    const slice =
      (await readLogTail(file, q.tail_bytes)) ?? (unfinished ? { bytes: Buffer.alloc(0), start: 0, size: 0 } : null);
    if (!slice) throw new HttpError(404, 'Task log not found');
    res.json({
      task_id: id,
      log: slice.bytes.toString('utf8'),
      log_bytes: slice.size,
      log_offset: slice.start,
      command: task.direction,
      output: task.output,
    });
  });
  return router;
}
