import type { RequestHandler } from 'express';
import { HttpError } from './errors';

type PathsDoc = { paths: Record<string, object> };

/** A documented path template as a pattern: `{name}` stands for one path segment. */
function templatePattern(template: string): RegExp {
  const parts = template.split(/\{[^}]+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  // as Express routes match: any case, an optional trailing slash
  return new RegExp(`^${parts.join('[^/]+')}/?$`, 'i');
}

/**
 * 405 with `Allow` for a method a documented path does not serve (OPTIONS answers 204 with `Allow`). The
 * methods come from the OpenAPI document, so what the document says is what the API does; GET implies HEAD.
 * Mounted before the routes, so an undeclared method is refused before any auth or body handling.
 */
export function methodGuard(doc: PathsDoc): RequestHandler {
  const known = Object.entries(doc.paths).map(([template, ops]) => {
    const methods = Object.keys(ops).flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()]));
    return { literal: !template.includes('{'), pattern: templatePattern(template), methods, allow: methods.join(', ') };
  });
  // A literal path (`/api/agent/tasks/count`) wins over a template it also matches (`/api/agent/tasks/{id}`).
  known.sort((a, b) => Number(b.literal) - Number(a.literal));
  return (req, res, next) => {
    const path = req.path;
    const match = known.find((k) => k.pattern.test(path));
    if (!match || match.methods.includes(req.method)) return next();
    res.set('Allow', match.allow);
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next(new HttpError(405, `Method ${req.method} not allowed on ${path}; allowed: ${match.allow}`));
  };
}
