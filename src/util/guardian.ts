/**
 * The guardian: `node guardian.js <token>`, one per worker process (started by
 * process-group.ts on the first command it runs).
 *
 * Node has no PR_SET_PDEATHSIG, so an agent whose worker was killed (-9, OOM,
 * a crash) would keep editing the work tree unsupervised until a retry found
 * it. The guardian holds its stdin pipe to the worker; the kernel closes that
 * pipe whatever ended the worker, and the guardian then kills, at once:
 * - every process group the worker registered (`+<pgid>` lines on stdin,
 *   `-<pgid>` when it ended), and
 * - every process whose environment carries `NIGHTSHIFT_GUARD=<token>`, with
 *   its group: the commands the worker started, their children, and one the
 *   worker started just before it died, whose registration never arrived.
 *
 * It runs in a session of its own (the worker starts it detached), so neither
 * a kill of the worker's process group nor an agent's kill of its own group
 * reaches it; SIGINT and SIGHUP are ignored. One process per worker, not per
 * agent: a task's start does not wait for a Node bootstrap.
 *
 * Plain Node, no imports from the rest of nightshift: it starts fast and has
 * nothing to fail on.
 */
import { readdirSync, readFileSync } from 'node:fs';

const token = process.argv[2] ?? '';
const marker = `NIGHTSHIFT_GUARD=${token}`;
const groups = new Set<number>();

function kill(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

/** Processes carrying this worker's token in their environment, with their process group ids. */
function marked(): { pid: number; pgid: number }[] {
  const out: { pid: number; pgid: number }[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      out.push({ pid: Number(entry), pgid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) });
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return out;
}

let done = false;
function workerGone(): void {
  if (done) return;
  done = true;
  for (const pgid of groups) kill(-pgid);
  if (token) {
    // twice: a process forked while the first sweep ran is caught by the second
    for (let sweep = 0; sweep < 2; sweep++) {
      for (const p of marked()) {
        if (p.pgid > 1 && p.pgid !== process.pid) kill(-p.pgid);
        kill(p.pid);
      }
    }
  }
  process.exit(0);
}

let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  const lines = (pending + chunk).split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    const pgid = Number(line.slice(1));
    if (!Number.isInteger(pgid) || pgid <= 1) continue;
    if (line[0] === '+') groups.add(pgid);
    else if (line[0] === '-') groups.delete(pgid);
  }
});
// EOF on stdin: the worker closed its end of the pipe, i.e. it exited or was killed.
process.stdin.on('end', workerGone);
process.stdin.on('close', workerGone);
process.stdin.on('error', workerGone);
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
