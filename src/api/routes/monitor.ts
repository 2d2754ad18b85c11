import { readFile } from 'node:fs/promises';
import { Router } from 'express';
import { monitorIssuesFile } from '../../activities/monitor';
import type { MonitorIssue } from '../../shared/types';

export interface MonitorIssuesFile {
  issues: MonitorIssue[];
  last_check: string | null;
}

/** The monitor's recorded conditions, as it last wrote them; empty when it never ran. */
export async function readMonitorIssues(stateDir: string): Promise<MonitorIssuesFile> {
  try {
    const parsed = JSON.parse(await readFile(monitorIssuesFile(stateDir), 'utf8')) as Partial<MonitorIssuesFile>;
    return { issues: Array.isArray(parsed.issues) ? parsed.issues : [], last_check: typeof parsed.last_check === 'string' ? parsed.last_check : null };
  } catch {
    return { issues: [], last_check: null };
  }
}

export function monitorRouter(stateDir: string): Router {
  const router = Router();
  router.get('/agent/monitor-issues', async (_req, res) => {
    res.json(await readMonitorIssues(stateDir));
  });
  return router;
}
