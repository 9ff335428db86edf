import type { Request } from 'express';

/** A form field as one trimmed string ('' when absent or sent more than once). */
export function field(req: Request, name: string): string {
  const body = req.body as Record<string, unknown> | undefined;
  const v = body && typeof body === 'object' ? body[name] : undefined;
  return typeof v === 'string' ? v.trim() : '';
}

/** A query parameter as one trimmed string, at most `max` characters ('' when absent). */
export function queryParam(req: Request, name: string, max = 200): string {
  const v = (req.query as Record<string, unknown>)[name];
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
}
