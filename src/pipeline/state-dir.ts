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

/** Creates the state dir and keeps it out of git through `.git/info/exclude` (never committed). */
export async function ensureStateDir(projectRoot: string, stateDir: string): Promise<void> {
  await mkdir(path.join(stateDir, 'logs', 'tasks'), { recursive: true });
  const rel = path.relative(projectRoot, stateDir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return;
  const dir = await gitDir(projectRoot);
  if (!dir) return;
  const excludeFile = path.join(dir, 'info', 'exclude');
  const entry = `/${rel.split(path.sep).join('/')}/`;
  const current = existsSync(excludeFile) ? await readFile(excludeFile, 'utf8') : '';
  if (current.split(/\r?\n/).includes(entry)) return;
  await mkdir(path.dirname(excludeFile), { recursive: true });
  await appendFile(excludeFile, `${current && !current.endsWith('\n') ? '\n' : ''}${entry}\n`);
}
