import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { BreakglassError } from '../errors';
import { randomId, type Random } from '../core';

export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session's synchronizer token, created on first use (pages put it into forms and a meta tag). */
export function csrfToken(req: Request, random: Random): string {
  if (!req.session) throw new TypeError('csrfToken() needs the session middleware');
  req.session.csrf ??= randomId(random, 32);
  return req.session.csrf;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * CSRF protection for every state-changing request that rides on the session cookie:
 * the token kept in the session must come back in the `X-CSRF-Token` header or the
 * `_csrf` form field. Requests with an Authorization header are authenticated by it
 * alone (the cookie is ignored) and need no token; `exempt` paths use no session
 * (e.g. the CLI's device-login endpoints).
 */
export function csrfGuard(options: { exempt?: (req: Request) => boolean } = {}) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (SAFE_METHODS.has(req.method) || req.headers.authorization !== undefined || options.exempt?.(req)) {
      next();
      return;
    }
    const expected = req.session?.csrf;
    const body = req.body as Record<string, unknown> | undefined;
    const fromField =
      body && typeof body === 'object' && typeof body[CSRF_FIELD] === 'string'
        ? (body[CSRF_FIELD] as string)
        : undefined;
    const header = req.get(CSRF_HEADER);
    const provided = header ?? fromField;
    if (!expected || !provided || !same(expected, provided)) {
      next(
        new BreakglassError(
          'IDENTITY_CSRF_INVALID',
          provided
            ? 'the CSRF token does not match this session; reload the page and try again'
            : `missing CSRF token (send the session's token in the ${CSRF_HEADER} header or the ${CSRF_FIELD} form field)`,
        ),
      );
      return;
    }
    // The token travels in the body only as a form field; the route must not see it as data.
    if (fromField !== undefined && body) delete body[CSRF_FIELD];
    next();
  };
}
