import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The no-op agent of the benchmarks and the long-run test: a tiny node script
 * that exits 0 at once. argv: <record file | -> <task_type> <task_id> [<prompt_file> <fail reviews> <state dir>].
 *
 * It prints enough for a task to pass (more than 10 non-whitespace characters;
 * a `VERDICT: pass` line on review tasks) and, unless the record file is `-`,
 * appends one JSON line `{task_id, task_type, start, script_start, end}` with
 * one O_APPEND write: `start` is the process start as the agent sees it
 * (`performance.timeOrigin`, a few ms after the spawn, before node's own
 * bootstrap), `end` the moment just before it exits.
 *
 * With a fail count N > 0, the first N reviews of each item (told apart by the
 * item text in the prompt file; counted in files under the state dir) print
 * `VERDICT: fail`, so every item goes through N fix iterations before it
 * passes: more tasks per item, the same agent cost per task.
 *
 * It is kept as source text and written to a file at run time, so the bench
 * (compiled to .bench-build/) and jest (running bench/ through swc) use the same script.
 */
export const NOOP_AGENT_SOURCE = `'use strict';
const scriptStart = Date.now();
const [record, taskType, taskId, promptFile, failReviews, stateDir] = process.argv.slice(2);
let verdict = 'pass';
if (taskType === 'review' && Number(failReviews) > 0) {
  const fs = require('node:fs');
  const item = fs.readFileSync(promptFile, 'utf8').replace(/^Review the implementation for: /, '').replace(/\\. Check spec compliance[\\s\\S]*$/, '');
  const counter = require('node:path').join(stateDir, require('node:crypto').createHash('sha1').update(item).digest('hex'));
  const seen = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
  fs.writeFileSync(counter, String(seen + 1));
  if (seen < Number(failReviews)) verdict = 'fail';
}
process.stdout.write('ok: ' + taskType + ' ' + taskId + ' done\\n' + (taskType === 'review' ? 'VERDICT: ' + verdict + '\\n' : ''));
if (record && record !== '-') {
  const line = JSON.stringify({ task_id: taskId, task_type: taskType, start: performance.timeOrigin, script_start: scriptStart, end: Date.now() }) + '\\n';
  require('node:fs').appendFileSync(record, line);
}
`;

/** Writes the agent script into `dir` and returns its path. */
export function writeNoopAgent(dir: string): string {
  const file = path.join(dir, 'noop-agent.js');
  writeFileSync(file, NOOP_AGENT_SOURCE, { mode: 0o755 });
  return file;
}

/**
 * PIPELINE_AGENT_COMMAND running the no-op agent (a JSON argv, no shell);
 * `failReviews` first reviews of each item fail, counted in `stateDir`.
 */
export function noopAgentCommand(
  agentFile: string,
  recordFile: string | null,
  o: { failReviews: number; stateDir: string } | null = null,
): string {
  const argv = [process.execPath, agentFile, recordFile ?? '-', '{task_type}', '{task_id}'];
  if (o && o.failReviews > 0) argv.push('{prompt_file}', String(o.failReviews), o.stateDir);
  return JSON.stringify(argv);
}

/** One line of the agent's record file. */
export interface AgentRecord {
  task_id: string;
  task_type: string;
  /** Process start (ms since the epoch, fractional). */
  start: number;
  script_start: number;
  end: number;
}
