import { readFileSync } from 'node:fs';
import { commandSpawner } from '../src/util/spawner';

/**
 * CPU seconds (user + system) spent by the parts of a run: this process (the worker and the bench), its child
 * processes (agents, test commands and git through the spawn helper, which runs on), and the Temporal server (with its
 * children).
 */
export interface CpuSplit {
  worker: number;
  children: number;
  server: number;
}

const TICKS_PER_SECOND = 100;

/** utime, stime, cutime, cstime of a process (fields 14–17 of /proc/<pid>/stat), in seconds. */
function statTimes(pid: number | 'self'): [number, number, number, number] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [11, 12, 13, 14].map((i) => Number(fields[i]) / TICKS_PER_SECOND) as [number, number, number, number];
  } catch {
    return null;
  }
}

/** The split now (Linux /proc), or null where /proc cannot be read. */
export function cpuSplit(serverPid: number): CpuSplit | null {
  const self = statTimes('self');
  const server = statTimes(serverPid);
  if (!self || !server) return null;
  const total = (t: number[]) => t.reduce((a, b) => a + b, 0);
  const helperPid = commandSpawner.pid();
  const helper = helperPid ? statTimes(helperPid) : null;
  return {
    worker: self[0] + self[1],
    children: self[2] + self[3] + (helper ? total(helper) : 0),
    server: total(server),
  };
}

/** What each part spent between two splits, in milliseconds per task. */
export function cpuPerTask(from: CpuSplit | null, to: CpuSplit | null, tasks: number): CpuSplit | null {
  if (!from || !to || tasks <= 0) return null;
  const per = (a: number, b: number) => ((b - a) * 1000) / tasks;
  return {
    worker: per(from.worker, to.worker),
    children: per(from.children, to.children),
    server: per(from.server, to.server),
  };
}
