import type { NextFunction, Request, Response } from 'express';
import { BreakglassError, isBreakglassError } from '../errors';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Turns body-parser and other framework errors into coded errors. */
function normalize(err: unknown): BreakglassError | null {
  if (isBreakglassError(err)) return err;
  const e = err as { type?: string; status?: number; message?: string };
  if (e && e.type === 'entity.too.large')
    return new BreakglassError('PAYLOAD_TOO_LARGE', 'request body too large');
  if (e && e.type === 'entity.parse.failed')
    return new BreakglassError('BAD_REQUEST', 'request body is not valid JSON');
  if (e && typeof e.type === 'string' && e.status && e.status < 500) {
    return new BreakglassError('BAD_REQUEST', `request body rejected (${e.type})`);
  }
  return null;
}

/**
 * The one error middleware: coded errors render as JSON under /api (and for
 * clients that ask for JSON) or as a plain page; anything else is logged with the
 * request id and shown as a 500 without internals.
 */
export function errorHandler() {
  // express recognises error middleware by its four parameters.
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const coded = normalize(err);
    if (!coded || coded.status >= 500) {
      req.log?.error('request failed', { err, path: req.path, method: req.method, code: coded?.code });
    }
    const error = coded ?? new BreakglassError('INTERNAL', 'internal error');
    const body = { error: { ...error.toPublic(), requestId: req.id } };
    if (res.headersSent) return;
    res.status(error.status);
    if (req.path.startsWith('/api/') || !req.accepts('html')) {
      res.json(body);
      return;
    }
    const msg = error.expose
      ? error.message
      : 'Something went wrong on our side. The request id helps the operators find it.';
    res
      .type('html')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${error.status} · Breakglass</title>` +
          `<link rel="stylesheet" href="/static/app.css"></head><body><main class="error-page"><h1>${error.status}</h1>` +
          `<p>${escapeHtml(msg)}</p><p class="muted">Code <code>${error.code}</code> · request <code>${escapeHtml(req.id ?? '-')}</code></p>` +
          `<p><a href="/">Back to Breakglass</a></p></main></body></html>`,
      );
  };
}

/** 404 for anything no route handled. */
export function notFound() {
  return (_req: Request, _res: Response, next: NextFunction): void => {
    next(new BreakglassError('NOT_FOUND', 'no such page or API route'));
  };
}
