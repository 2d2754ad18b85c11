import { existsSync } from 'node:fs';
import { simpleGit, type SimpleGit } from 'simple-git';

/** Used only when the repository has no identity of its own, so commits never fail for lack of one. */
const FALLBACK_IDENTITY = ['user.name=nightshift', 'user.email=nightshift@localhost'];

/** Whether a repository has an identity, per directory, for a minute: one git process saved on every commit. */
const IDENTITY_TTL_MS = 60_000;
const identityKnown = new Map<string, { at: number; has: boolean }>();

export async function git(dir: string): Promise<SimpleGit> {
  const plain = simpleGit({ baseDir: dir });
  let known = identityKnown.get(dir);
  if (!known || Date.now() - known.at > IDENTITY_TTL_MS) {
    const email = (await plain.raw(['config', '--get', 'user.email']).catch(() => '')).trim();
    known = { at: Date.now(), has: email !== '' };
    if (identityKnown.size > 1000) identityKnown.clear(); // worktrees come and go; never grow without bound
    identityKnown.set(dir, known);
  }
  return known.has ? plain : simpleGit({ baseDir: dir, config: FALLBACK_IDENTITY });
}

/** `git status --porcelain` of a work tree (a linked worktree too), or null when `dir` is not in one. */
export async function workTreeStatus(dir: string): Promise<string | null> {
  if (!existsSync(dir)) return null;
  try {
    return await simpleGit({ baseDir: dir }).raw(['status', '--porcelain']);
  } catch {
    return null;
  }
}

/** HEAD's sha and full message, or null before the first commit. */
export async function headCommit(dir: string): Promise<{ sha: string; message: string } | null> {
  try {
    const out = await simpleGit({ baseDir: dir }).raw(['log', '-1', '--format=%H%n%B']);
    const newline = out.indexOf('\n');
    return newline > 0 ? { sha: out.slice(0, newline).trim(), message: out.slice(newline + 1) } : null;
  } catch {
    return null; // no commits yet
  }
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
