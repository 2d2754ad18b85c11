import { stat } from 'node:fs/promises';
import path from 'node:path';
import { gitAt } from './repo';

/**
 * What the work tree looks like to git: HEAD, and every changed or untracked file with its size and mtime.
 * Two equal fingerprints around an agent run mean it changed no file (an edit rewrites mtime; a commit
 * moves HEAD). Ignored files and the state dir do not count. Null outside a git work tree.
 */
export async function treeFingerprint(dir: string, stateDir: string): Promise<string | null> {
  const state = path.relative(dir, stateDir);
  const inState = (file: string) =>
    state !== '' && !state.startsWith('..') && (file === state || file.startsWith(`${state}/`));
  try {
    const g = gitAt(dir);
    const [head, status] = await Promise.all([
      g.raw(['rev-parse', '--verify', '-q', 'HEAD']).catch(() => ''),
      g.raw(['status', '--porcelain=v1', '-z', '--untracked-files=all']),
    ]);
    const entries = status.split('\0').filter((e) => e && !inState(e.slice(3)));
    const stats = await Promise.all(
      entries.map(async (entry) => {
        const file = entry.slice(3);
        const s = await stat(path.join(dir, file)).catch(() => null);
        return `${entry}\t${s ? `${s.size}:${s.mtimeMs}` : 'gone'}`;
      }),
    );
    return `${head.trim()}\n${stats.join('\n')}`;
  } catch {
    return null;
  }
}
