import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SCRIPTED_AGENT = path.resolve(__dirname, '../fixtures/scripted-agent.js');

export interface TempProject {
  root: string;
  planFile: string;
  /** PIPELINE_AGENT_COMMAND for the scripted agent with this project's plan. */
  agentCommand: string;
  calls(): {
    taskType: string;
    taskId: string;
    direction: string;
    argv: string[];
    env: Record<string, string | null>;
  }[];
  backlogPath: string;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], {
    cwd,
    encoding: 'utf8',
  });
}

/** A new repository on `main` in a temp dir (`nightshift-<name>-…`) whose one commit holds `files`. */
export function committedRepo(name: string, files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), `nightshift-${name}-`));
  git(root, 'init', '-q', '-b', 'main');
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(root, file), text);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'init');
  return root;
}

/** Subjects and files of every commit reachable from `ref`, oldest first (merges left out). */
export function commitsOn(root: string, ref: string): { subject: string; files: string[] }[] {
  const raw = git(root, 'log', '--reverse', '--no-merges', '--format=@@%s', '--name-only', ref).trim();
  return raw
    .split('@@')
    .filter(Boolean)
    .map((block) => {
      const [subject, ...files] = block.trim().split('\n');
      return { subject, files: files.filter(Boolean) };
    });
}

/** A real git repository in a temp dir with a product backlog and a scripted agent plan. */
export function makeProject(
  items: string[],
  plan: Record<string, unknown> = {},
  opts: { meta?: string[] } = {},
): TempProject {
  const root = mkdtempSync(path.join(os.tmpdir(), 'nightshift-project-'));
  mkdirSync(path.join(root, 'specs'));
  const backlogPath = path.join(root, 'specs', '006-overnight-backlog.md');
  writeFileSync(backlogPath, `# Backlog\n\n${items.map((t, i) => `${i + 1}. ${t}`).join('\n')}\n`);
  if (opts.meta)
    writeFileSync(
      path.join(root, 'specs', '007-meta-pipeline-backlog.md'),
      opts.meta.map((t, i) => `${i + 1}. ${t}`).join('\n') + '\n',
    );
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'init');
  const planDir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-plan-'));
  const planFile = path.join(planDir, 'plan.json');
  writeFileSync(planFile, JSON.stringify(plan));
  return {
    root,
    planFile,
    backlogPath,
    agentCommand: JSON.stringify([
      process.execPath,
      SCRIPTED_AGENT,
      planFile,
      '{task_type}',
      '{task_id}',
      '{prompt_file}',
    ]),
    calls: () => {
      const f = `${planFile}.calls.jsonl`;
      return existsSync(f)
        ? readFileSync(f, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [];
    },
  };
}

export function readJsonl<T = Record<string, unknown>>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** Polls until `check` returns a truthy value or the time is up. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
