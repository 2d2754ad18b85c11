import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readJsonlFile } from './env';

/**
 * The I/O-bound agent of the scale-out figure and its test: it waits (as a real
 * agent waits on its model API), edits a real file in the checkout
 * (`work/<task_id>.txt`) and records what it did.
 * argv: <records file> <seconds> <task_type> <task_id>.
 *
 * It is a POSIX shell script, not node: at 8 tasks a second, node's own start-up
 * (about 100 ms of CPU) would make the agents, not the workers, the bottleneck
 * of a 2-core machine. nightshift still runs it as argv (`/bin/sh <file> …`).
 *
 * Records are JSON lines appended with O_APPEND, one write each: a `start` line
 * before the wait and a `done` line once the file is written (the task's side
 * effect). `worker` is the worker that started the agent, read at its start: the
 * agent's parent is the worker's spawn helper (its parent the worker), or the
 * worker itself where the helper is not built. A worker's Temporal identity is
 * `<pid>@<host>`, so `worker@host` names the worker that ran the task even when
 * that worker has since died.
 */
export const SCALE_AGENT_SOURCE = `#!/bin/sh
records=$1; secs=$2; type=$3; id=$4
case "$id" in *[!A-Za-z0-9_-]*) echo "unexpected task id" >&2; exit 2;; esac
host=$(uname -n)
worker=$PPID
if grep -q spawn-helper /proc/$PPID/cmdline; then read -r _ _ _ worker _ < /proc/$PPID/stat; fi
start=$(date +%s%3N)
printf '{"event":"start","task_id":"%s","task_type":"%s","pid":%d,"ppid":%d,"worker":%d,"host":"%s","at":%s}\\n' "$id" "$type" $$ $PPID "$worker" "$host" "$start" >> "$records"
sleep "$secs"
mkdir -p work
printf '%s %s\\n' "$type" "$id" > "work/$id.txt"
end=$(date +%s%3N)
printf '{"event":"done","task_id":"%s","task_type":"%s","pid":%d,"ppid":%d,"worker":%d,"host":"%s","start":%s,"end":%s}\\n' "$id" "$type" $$ $PPID "$worker" "$host" "$start" "$end" >> "$records"
echo "ok: $type $id done by $worker@$host"
if [ "$type" = review ]; then echo "VERDICT: pass"; fi
`;

/** Writes the agent script into `dir` and returns its path. */
export function writeScaleAgent(dir: string): string {
  const file = path.join(dir, 'scale-agent.sh');
  writeFileSync(file, SCALE_AGENT_SOURCE, { mode: 0o755 });
  return file;
}

/** PIPELINE_AGENT_COMMAND running the agent (a JSON argv, no shell string). */
export function scaleAgentCommand(agentFile: string, recordFile: string, seconds: number): string {
  return JSON.stringify(['/bin/sh', agentFile, recordFile, String(seconds), '{task_type}', '{task_id}']);
}

export interface ScaleRecord {
  event: 'start' | 'done';
  task_id: string;
  task_type: string;
  pid: number;
  /** The agent's parent when it started: the worker's spawn helper, or the worker. */
  ppid: number;
  /** The worker that started the agent (its pid). */
  worker: number;
  host: string;
  /** start lines: when the agent started (ms since the epoch). */
  at?: number;
  /** done lines: the agent's start and the moment its side effect was written. */
  start?: number;
  end?: number;
}

export const readScaleRecords = (file: string) => readJsonlFile<ScaleRecord>(file);

/** The Temporal identity of the worker that ran a record's agent (the SDK's default `<pid>@<host>`). */
export const workerOf = (r: ScaleRecord) => `${r.worker}@${r.host}`;

export interface ScaleAudit {
  /** Task ids completed in the project's metrics.jsonl (each once) and how many lines it has. */
  completed: Set<string>;
  metricLines: number;
  /** Completed task ids without a `done` record: lost side effects. */
  lost: string[];
  /** Task ids with more than one `done` record. */
  duplicated: string[];
  /** Duplicated task ids none of whose runs started on the killed worker before it was killed. */
  unexplained: string[];
  /** `done` records per worker identity (first record of each task id only). */
  shares: Map<string, number>;
}

/**
 * Checks the agent's own records against the project's metrics: every
 * completed task has its side effect, and a side effect done twice belongs to a
 * task that was running on the killed worker (an at-least-once retry).
 */
export function auditScaleRun(
  records: ScaleRecord[],
  metrics: { task_id: string; status?: string }[],
  killed: { worker: string; at: number } | null,
): ScaleAudit {
  const completed = new Set(
    metrics.filter((m) => m.status === undefined || m.status === 'completed').map((m) => m.task_id),
  );
  const done = new Map<string, ScaleRecord[]>();
  for (const r of records.filter((x) => x.event === 'done')) done.set(r.task_id, [...(done.get(r.task_id) ?? []), r]);
  const starts = records.filter((x) => x.event === 'start');
  const duplicated = [...done.entries()].filter(([, rs]) => rs.length > 1).map(([id]) => id);
  const ranOnKilled = (id: string) =>
    !!killed &&
    starts.some((s) => s.task_id === id && workerOf(s) === killed.worker && (s.at ?? Infinity) <= killed.at);
  const shares = new Map<string, number>();
  for (const rs of done.values()) shares.set(workerOf(rs[0]), (shares.get(workerOf(rs[0])) ?? 0) + 1);
  return {
    completed,
    metricLines: metrics.length,
    lost: [...completed].filter((id) => !done.has(id)),
    duplicated,
    unexplained: duplicated.filter((id) => !ranOnKilled(id)),
    shares,
  };
}
