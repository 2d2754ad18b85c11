import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { TaskIndex } from '../tasks/store';
import { isTaskId } from '../tasks/paths';

export interface CleanupResult {
  removed: string[];
  kept: number;
}

/**
 * Deletes task logs not modified for `keepDays` days. Never a log whose task is
 * still running or waiting (the earlier system's cleanup deleted live logs).
 */
export async function cleanupTaskLogs(o: { stateDir: string; keepDays: number; now?: number }): Promise<CleanupResult> {
  const dir = path.join(o.stateDir, 'logs', 'tasks');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { removed: [], kept: 0 };
    throw err;
  }
  const live = new Set(
    (await new TaskIndex(o.stateDir).all())
      .filter((t) => t.status === 'running' || t.status === 'pending' || t.status === 'needs_decision')
      .map((t) => t.id),
  );
  const cutoff = (o.now ?? Date.now()) - o.keepDays * 86_400_000;
  const removed: string[] = [];
  let kept = 0;
  for (const name of names.sort()) {
    const id = name.replace(/\.log$/, '');
    const file = path.join(dir, name);
    if (!name.endsWith('.log') || !isTaskId(id) || live.has(id)) {
      kept++;
      continue;
    }
    const info = await stat(file).catch(() => null);
    if (info && info.mtimeMs <= cutoff) {
      await unlink(file).catch(() => undefined);
      removed.push(file);
    } else kept++;
  }
  return { removed, kept };
}
