import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Auth, Subject } from '../../identity';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ApiContext<B, P, Q> {
  req: Request;
  res: Response;
  /** Set when the route requires a subject. */
  subject: Subject;
  auth: Auth;
  body: B;
  params: P;
  query: Q;
}

/**
 * One row of the API route table: the single source of both the express route and
 * its OpenAPI description. Other capabilities add their rows through
 * `createWebServer({ apiRoutes })`.
 */
export interface ApiRoute<B = unknown, P = unknown, Q = unknown> {
  method: HttpMethod;
  /** Path under /api/v1 in OpenAPI form, e.g. `/requests/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** `none`: anyone (rate-limited); `subject`: a browser session (with CSRF token for changes) or a bearer token. */
  auth: 'none' | 'subject';
  /** Which rate limit counts the route (default `api`). */
  limit?: 'api' | 'login';
  /** The route uses no browser session at all (CLI endpoints), so it needs no CSRF token. */
  csrfExempt?: boolean;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  /** Request body (JSON); unknown fields and wrong types are refused with BAD_REQUEST. */
  body?: z.ZodType<B>;
  /** The success status and what it returns (`schema` absent: no body). */
  success: { status: number; description: string; schema?: z.ZodType };
  /** Error codes this route may answer with besides the common ones (documentation). */
  errors?: readonly string[];
  handler(ctx: ApiContext<B, P, Q>): Promise<unknown>;
}

/** Typed helper: infers the handler's body/params/query types from the schemas. */
export function defineRoute<B = undefined, P = Record<string, never>, Q = Record<string, never>>(
  route: ApiRoute<B, P, Q>,
): ApiRoute {
  return route as unknown as ApiRoute;
}

/** `/requests/{id}` → `/requests/:id` */
export function expressPath(openApiPath: string): string {
  return openApiPath.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
}

export const API_PREFIX = '/api/v1';
