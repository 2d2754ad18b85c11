import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MonitorIssue } from '../shared/contracts/monitor';

/** `<state dir>/monitor_issues.json`: the monitor's issues as last written, read by the API and the CLI. */
export interface MonitorIssuesFile {
  issues: MonitorIssue[];
  last_check: string | null;
}

export function monitorIssuesFile(stateDir: string): string {
  return path.join(stateDir, 'monitor_issues.json');
}

/** Written whole and renamed into place, so a reader never sees it torn. */
export async function writeMonitorIssuesFile(stateDir: string, content: MonitorIssuesFile): Promise<void> {
  const file = monitorIssuesFile(stateDir);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp.${process.pid}`;
  await writeFile(tmp, JSON.stringify(content, null, 2) + '\n');
  await rename(tmp, file);
}

/** Empty when the monitor never ran (or the file is unreadable). */
export async function readMonitorIssuesFile(stateDir: string): Promise<MonitorIssuesFile> {
  try {
    const parsed = JSON.parse(await readFile(monitorIssuesFile(stateDir), 'utf8')) as Partial<MonitorIssuesFile>;
    return {
      issues: Array.isArray(parsed.issues) ? parsed.issues : [],
      last_check: typeof parsed.last_check === 'string' ? parsed.last_check : null,
    };
  } catch {
    return { issues: [], last_check: null };
  }
}
