import { existsSync, statSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Finds the git dir of a work tree (a `.git` folder, or a `.git` file pointing at one in a worktree). */
async function gitDir(projectRoot: string): Promise<string | null> {
  const dotGit = path.join(projectRoot, '.git');
  if (!existsSync(dotGit)) return null;
  if (statSync(dotGit).isDirectory()) return dotGit;
  const m = /^gitdir:\s*(.+)$/m.exec(await readFile(dotGit, 'utf8'));
  return m ? path.resolve(projectRoot, m[1].trim()) : null;
}

/**
 * Creates the state dir and keeps it out of git through `.git/info/exclude` (never committed), with any
 * other paths the agent CLI leaves in the project (aider's caches): never part of a task's commit.
 */
export async function ensureStateDir(
  projectRoot: string,
  stateDir: string,
  agentLeftovers: string[] = [],
): Promise<void> {
  await mkdir(path.join(stateDir, 'logs', 'tasks'), { recursive: true });
  const rel = path.relative(projectRoot, stateDir);
  const inside = !(rel.startsWith('..') || path.isAbsolute(rel));
  const wanted = [...(inside ? [`/${rel.split(path.sep).join('/')}/`] : []), ...agentLeftovers];
  if (!wanted.length) return;
  const dir = await gitDir(projectRoot);
  if (!dir) return;
  // A worktree's own git dir points at the common one, whose info/exclude every worktree reads.
  const common = existsSync(path.join(dir, 'commondir'))
    ? path.resolve(dir, (await readFile(path.join(dir, 'commondir'), 'utf8')).trim())
    : dir;
  const excludeFile = path.join(common, 'info', 'exclude');
  const current = existsSync(excludeFile) ? await readFile(excludeFile, 'utf8') : '';
  const have = new Set(current.split(/\r?\n/));
  const missing = wanted.filter((e) => !have.has(e));
  if (!missing.length) return;
  await mkdir(path.dirname(excludeFile), { recursive: true });
  await appendFile(excludeFile, `${current && !current.endsWith('\n') ? '\n' : ''}${missing.join('\n')}\n`);
}
