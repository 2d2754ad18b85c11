import path from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import type { EnvConfig, ProjectPaths } from '../../config';
import { packageRoot } from '../../util/package-root';

/**
 * The dashboard: a static page and its assets from `web/` (no build step, no CDN),
 * served without auth because they hold no data; the page reads everything from
 * /api with the token the user typed. Scripts only from this origin, no inline code.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-cache',
};

/** `web/` of the package, whether running from `src/` (tests) or `lib/` (built). */
export function webDir(): string {
  return path.join(packageRoot(), 'web');
}

/**
 * The Temporal Web UI that shows this pipeline's workflows: the embedded dev server's UI
 * when nightshift runs the server itself; unknown (null) for a cluster given by TEMPORAL_ADDRESS.
 */
export function temporalWebUiUrl(config: EnvConfig): string | null {
  if (config.NIGHTSHIFT_TEMPORAL_UI_URL) return config.NIGHTSHIFT_TEMPORAL_UI_URL.replace(/\/+$/, '');
  return config.TEMPORAL_ADDRESS ? null : `http://127.0.0.1:${config.NIGHTSHIFT_TEMPORAL_UI_PORT}`;
}

/**
 * GET / (the page) and /dashboard/* (its assets). Mounted outside /api. The page is
 * middleware, not a route: every route of the app is an API route documented in openapi.json.
 */
export function dashboardRouter(): Router {
  const dir = webDir();
  const router = Router();
  const headers: RequestHandler = (_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  };
  router.use((req, res, next) => {
    if (req.path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    res.set(SECURITY_HEADERS);
    res.sendFile('index.html', { root: dir }, (err) => err && next(err));
  });
  router.use('/dashboard', headers, express.static(dir, { index: false, redirect: false, dotfiles: 'ignore' }));
  return router;
}

/** GET /api/dashboard/config: what the page needs to build links and to know whether to ask for the token. */
export function dashboardConfigRouter(config: EnvConfig, paths: ProjectPaths): Router {
  const router = Router();
  const body = {
    project_id: paths.projectId,
    namespace: config.TEMPORAL_NAMESPACE,
    web_ui_url: temporalWebUiUrl(config),
    token_required_for_mutations: !!config.PIPELINE_API_TOKEN,
  };
  router.get('/dashboard/config', (_req, res) => void res.json(body));
  return router;
}
