import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { gitAt, gitFailure, workTreeStatus } from '../git/repo';

export interface RetryTreeInput {
  /** The tree the agent works in. */
  projectRoot: string;
  /** True when nightshift owns the tree (the item's own worktree): it may be reset. Never the user's own tree. */
  ownsTree: boolean;
  /** The activity attempt about to run (1 = the first). */
  attempt: number;
  /** Never cleaned, even when it lies inside the tree. */
  stateDir?: string;
  /** The task log: what was found and done is recorded there. */
  logFile?: string;
}

/**
 * Before a retried agent attempt (its worker was lost mid-run; agent failures
 * are results, not retries): the dead attempt's edits must not land in the
 * retry's commit beside the retry's own.
 * - In a tree nightshift owns: back to the item branch's head (reset --hard,
 *   then untracked files removed; ignored files and the state dir stay).
 * - In the user's own tree nothing is touched: what the dead attempt left
 *   (git status --porcelain) is recorded in the task log.
 * Returns the note for the task's output (`[Pipeline] attempt N after the
 * worker was lost…`), or null on a first attempt. Never throws: a retry that
 * cannot clean up still runs, and says so.
 */
export async function prepareRetryTree(input: RetryTreeInput): Promise<string | null> {
  if (input.attempt <= 1) return null;
  const lead = `[Pipeline] attempt ${input.attempt} after the worker was lost`;
  let note: string;
  let logText: string;
  const status = await workTreeStatus(input.projectRoot);
  if (status === null) {
    note = `${lead}; not a git work tree, so what the lost attempt changed is not known.`;
    logText = note;
  } else if (!input.ownsTree) {
    const left = status.trim();
    note = left
      ? `${lead}; it left ${left.split('\n').length} changed path(s) in the work tree, kept as they are (see the task log).`
      : `${lead}; it left the work tree clean.`;
    logText = left ? `${note}\n# git status --porcelain before this attempt:\n${left}` : note;
  } else {
    try {
      const keep = stateDirExclusion(input.projectRoot, input.stateDir);
      const g = gitAt(input.projectRoot);
      const head = (await g.raw(['rev-parse', '--short', 'HEAD'])).trim();
      await g.raw(['reset', '--hard', '-q', 'HEAD']);
      await g.raw(['clean', '-fdq', ...keep.flatMap((k) => ['-e', k])]);
      const left = status
        .split('\n')
        .filter((l) => l.trim() && !keep.some((k) => `/${l.slice(3)}`.startsWith(k)))
        .join('\n');
      note = `${lead}; the work tree was reset to the item branch's head ${head}${left ? ` (${left.split('\n').length} path(s) of the lost attempt discarded)` : ''}.`;
      logText = left ? `${note}\n# discarded (git status --porcelain before the reset):\n${left}` : note;
    } catch (err) {
      note = `${lead}; resetting the work tree failed: ${gitFailure(err)}`;
      logText = note;
    }
  }
  if (input.logFile)
    await appendFile(input.logFile, `# ${logText.replace(/\n(?!#)/g, '\n#   ')}\n`).catch(() => undefined);
  return note;
}

/** The state dir as a `git clean -e` pattern when it lies inside the tree (git clean skips ignored files anyway). */
function stateDirExclusion(projectRoot: string, stateDir: string | undefined): string[] {
  if (!stateDir) return [];
  const rel = path.relative(path.resolve(projectRoot), path.resolve(stateDir));
  if (!rel) throw new Error('the state dir is the work tree itself; not cleaning it');
  if (rel.startsWith('..') || path.isAbsolute(rel)) return [];
  return [`/${rel.split(path.sep).join('/')}/`];
}
