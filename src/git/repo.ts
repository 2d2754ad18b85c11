import { existsSync } from 'node:fs';
import { simpleGit, type SimpleGit } from 'simple-git';

/** Used only when the repository has no identity of its own, so commits never fail for lack of one. */
const FALLBACK_IDENTITY = ['user.name=nightshift', 'user.email=nightshift@localhost'];

export async function git(dir: string): Promise<SimpleGit> {
  const plain = simpleGit({ baseDir: dir });
  const email = (await plain.raw(['config', '--get', 'user.email']).catch(() => '')).trim();
  return email ? plain : simpleGit({ baseDir: dir, config: FALLBACK_IDENTITY });
}

/** A work tree, including a linked worktree whose `.git` is a file. */
export async function isWorkTree(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return false;
  try {
    return (await simpleGit({ baseDir: dir }).raw(['rev-parse', '--is-inside-work-tree'])).trim() === 'true';
  } catch {
    return false;
  }
}

export async function currentBranch(dir: string): Promise<string | null> {
  try {
    const name = (await simpleGit({ baseDir: dir }).raw(['rev-parse', '--abbrev-ref', 'HEAD'])).trim();
    return name && name !== 'HEAD' ? name : null;
  } catch {
    return null;
  }
}

/** The commit on HEAD's history whose message carries `needle` as a fixed string, if any. */
export async function findCommitWith(g: SimpleGit, needle: string): Promise<string | null> {
  try {
    const out = (await g.raw(['log', '--fixed-strings', `--grep=${needle}`, '--format=%H', '-1'])).trim();
    return out || null;
  } catch {
    return null; // no commits yet
  }
}
