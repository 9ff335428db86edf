import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { BreakglassError } from '../../errors';
import { requireSubject, type Authenticator } from '../../identity';
import { API_PREFIX, expressPath, type ApiRoute } from './route';
import { parseInput } from './validate';

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Checks the table: unique method+path and operationId, well-formed paths (a bug here is a TypeError at start-up). */
export function checkRouteTable(routes: readonly ApiRoute[]): void {
  const seen = new Set<string>();
  const ids = new Set<string>();
  for (const r of routes) {
    if (!/^\/[A-Za-z0-9_.{}/-]*$/.test(r.path) || r.path.includes('//'))
      throw new TypeError(`API route path ${JSON.stringify(r.path)} is malformed`);
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) throw new TypeError(`API route ${key} is defined twice`);
    if (ids.has(r.operationId)) throw new TypeError(`API operationId ${r.operationId} is used twice`);
    seen.add(key);
    ids.add(r.operationId);
  }
}

/**
 * Registers every row of the route table on the app under /api/v1: rate limit, then
 * authentication (when the route needs a subject), then input validation, then the
 * handler. CSRF is checked app-wide before (csrfGuard).
 */
export function mountApiRoutes(
  app: Express,
  routes: readonly ApiRoute[],
  deps: { authenticator: Authenticator; limits: Record<'api' | 'login', RequestHandler> },
): void {
  checkRouteTable(routes);
  const auth = requireSubject(deps.authenticator);
  for (const route of routes) {
    const handlers: RequestHandler[] = [deps.limits[route.limit ?? 'api']];
    if (route.auth === 'subject') handlers.push(auth);
    handlers.push((req: Request, res: Response, next: NextFunction) => {
      (async () => {
        let body: unknown = undefined;
        if (route.body) {
          if (hasBody(req) && !req.is('application/json')) {
            throw new BreakglassError(
              'BAD_REQUEST',
              'send the request body as JSON (Content-Type: application/json)',
            );
          }
          body = parseInput(route.body, req.body ?? {}, 'body');
        } else if (
          hasBody(req) &&
          req.body !== undefined &&
          (typeof req.body !== 'object' || Object.keys(req.body as object).length > 0)
        ) {
          throw new BreakglassError(
            'BAD_REQUEST',
            `${route.method.toUpperCase()} ${API_PREFIX}${route.path} takes no request body`,
          );
        }
        const params = route.params ? parseInput(route.params, { ...req.params }, 'params') : {};
        const query = route.query
          ? parseInput(route.query, { ...(req.query as Record<string, unknown>) }, 'query')
          : {};
        const out = await route.handler({
          req,
          res,
          subject: req.subject!,
          auth: req.auth!,
          body,
          params,
          query,
        });
        if (res.headersSent) return;
        res.status(route.success.status);
        if (route.success.schema === undefined) res.end();
        else res.json(out);
      })().catch(next);
    });
    app[route.method](`${API_PREFIX}${expressPath(route.path)}`, ...handlers);
  }
}
