import { Router } from 'express';
import { readMonitorIssuesFile } from '../../monitor/issues-file';

export function monitorRouter(stateDir: string): Router {
  const router = Router();
  router.get('/agent/monitor-issues', async (_req, res) => {
    res.json(await readMonitorIssuesFile(stateDir));
  });
  return router;
}
