import { existsSync } from 'node:fs';
import { gitEnvironment } from '../config';
import { commandSpawner } from '../util/spawner';

/**
 * A git call that prints nothing for this long is killed and fails like any
 * git error (the reference bounded each git call by 30 s), so a hung push or
 * hook cannot hold a step until its activity times out.
 */
export const GIT_STALL_MS = 30_000;

/** A git call that failed: its exit code and what it said, or that it stalled. */
export class GitCommandError extends Error {
  override readonly name = 'GitCommandError';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stalled: boolean,
  ) {
    super(message);
  }
}

/** What made a git call fail, for a task record or a log line: git's last lines, or the stall that stopped it. */
export function gitFailure(err: unknown): string {
  if (err instanceof GitCommandError && err.stalled)
    return `git printed nothing for ${GIT_STALL_MS / 1000} s and was stopped`;
  return (err instanceof Error ? err.message : String(err)).trim().split('\n').slice(-3).join(' ').slice(0, 500);
}

/** A git command line in one directory. */
export interface Git {
  /** git's stdout; rejects with a GitCommandError when git fails (any exit code but 0) or stalls. */
  raw(args: string[]): Promise<string>;
}

/**
 * Every git call nightshift makes, started from the worker's spawn helper: bounded in time, without nightshift's
 * secrets in its environment. Its arguments are
 * fixed in code, never taken from input; the user's own git settings (editor, pager, ssh command, hooks) stay as
 * they are.
 */
export function gitAt(dir: string, config: string[] = []): Git {
  const prefix = config.flatMap((c) => ['-c', c]);
  return {
    async raw(args: string[]): Promise<string> {
      if (!existsSync(dir)) throw new GitCommandError(`no such directory: ${dir}`, null, false);
      const argv = ['git', ...prefix, ...args];
      const r = await commandSpawner.run(argv, dir, GIT_STALL_MS, gitEnvironment());
      if (r.stalled)
        throw new GitCommandError(`git ${args[0]} printed nothing for ${GIT_STALL_MS / 1000} s`, null, true);
      if (r.code === 0) return r.stdout;
      const said = r.stderr.trim() || r.stdout.trim();
      throw new GitCommandError(
        said || `git ${args[0]} ended with ${r.signal ?? `exit code ${r.code}`}`,
        r.code,
        false,
      );
    },
  };
}

/** Used only when the repository has no identity of its own, so commits never fail for lack of one. */
const FALLBACK_IDENTITY = ['user.name=nightshift', 'user.email=nightshift@localhost'];

/** Whether a repository has an identity, per directory, for a minute: one git process saved on every commit. */
const IDENTITY_TTL_MS = 60_000;
const identityKnown = new Map<string, { at: number; has: boolean }>();

export async function git(dir: string): Promise<Git> {
  const plain = gitAt(dir);
  let known = identityKnown.get(dir);
  if (!known || Date.now() - known.at > IDENTITY_TTL_MS) {
    const email = (await plain.raw(['config', '--get', 'user.email']).catch(() => '')).trim();
    known = { at: Date.now(), has: email !== '' };
    if (identityKnown.size > 1000) identityKnown.clear(); // worktrees come and go; never grow without bound
    identityKnown.set(dir, known);
  }
  return known.has ? plain : gitAt(dir, FALLBACK_IDENTITY);
}

/** `git status --porcelain` of a work tree (a linked worktree too), or null when `dir` is not in one. */
export async function workTreeStatus(dir: string): Promise<string | null> {
  if (!existsSync(dir)) return null;
  try {
    return await gitAt(dir).raw(['status', '--porcelain']);
  } catch {
    return null;
  }
}

/** HEAD's sha and full message, or null before the first commit. */
export async function headCommit(dir: string): Promise<{ sha: string; message: string } | null> {
  try {
    const out = await gitAt(dir).raw(['log', '-1', '--format=%H%n%B']);
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
    return (await gitAt(dir).raw(['rev-parse', '--is-inside-work-tree'])).trim() === 'true';
  } catch {
    return false;
  }
}

export async function currentBranch(dir: string): Promise<string | null> {
  try {
    const name = (await gitAt(dir).raw(['rev-parse', '--abbrev-ref', 'HEAD'])).trim();
    return name && name !== 'HEAD' ? name : null;
  } catch {
    return null;
  }
}
