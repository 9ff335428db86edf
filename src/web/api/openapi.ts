import { z } from 'zod';
import { API_PREFIX, type ApiRoute } from './route';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  delete out.$schema;
  return out;
}

const errorSchema: Json = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'requestId'],
      properties: {
        code: { type: 'string', description: 'One of the codes in docs/errors.md.' },
        message: { type: 'string' },
        details: { type: 'object' },
        requestId: { type: 'string' },
      },
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** Path parameters named in an OpenAPI path (`/a/{id}` → ['id']). */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);
}

/** The OpenAPI 3.1 document of the route table (served at /api/v1/openapi.json). */
export function buildOpenApi(
  routes: readonly ApiRoute[],
  info: { version: string; cookieName: string },
): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const parameters: Json[] = [];
    const paramSchema = r.params ? jsonSchema(r.params, 'input') : null;
    for (const name of pathParameters(r.path)) {
      const schema = (paramSchema?.properties as Record<string, Json> | undefined)?.[name] ?? {
        type: 'string',
      };
      parameters.push({ name, in: 'path', required: true, schema });
    }
    if (r.query) {
      const q = jsonSchema(r.query, 'input');
      const required = new Set((q.required as string[] | undefined) ?? []);
      for (const [name, schema] of Object.entries((q.properties as Record<string, Json> | undefined) ?? {})) {
        parameters.push({ name, in: 'query', required: required.has(name), schema });
      }
    }
    const responses: Record<string, Json> = {
      [String(r.success.status)]: r.success.schema
        ? {
            description: r.success.description,
            content: { 'application/json': { schema: jsonSchema(r.success.schema, 'output') } },
          }
        : { description: r.success.description },
      '400': errorResponse('Malformed input (BAD_REQUEST) or a refused state (see the code).'),
      '413': errorResponse('The body exceeds server.body_limit_bytes (PAYLOAD_TOO_LARGE).'),
      '429': errorResponse('Rate limited (IDENTITY_RATE_LIMITED); see Retry-After.'),
      '503': errorResponse('A dependency (store, IdP) is unavailable; nothing was changed.'),
    };
    if (r.auth === 'subject') {
      responses['401'] = errorResponse(
        'No valid session or token (IDENTITY_UNAUTHENTICATED, IDENTITY_TOKEN_*, IDENTITY_SESSION_EXPIRED).',
      );
      responses['403'] = errorResponse(
        'Refused (e.g. IDENTITY_CSRF_INVALID for a session request without its CSRF token).',
      );
    }
    const op: Json = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: r.tags,
      security: r.auth === 'subject' ? [{ bearer: [] }, { session: [], csrf: [] }] : [],
      ...(parameters.length ? { parameters } : {}),
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(r.body, 'input') } },
            },
          }
        : {}),
      responses,
      ...(r.errors?.length ? { 'x-error-codes': [...r.errors] } : {}),
    };
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Breakglass API',
      version: info.version,
      description:
        'Just-in-time SSH access. Authenticate with a gateway API token (`breakglass login`), an IdP-issued JWT access token, or a browser session plus its CSRF token.',
    },
    servers: [{ url: API_PREFIX }],
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'Gateway API token (aud breakglass-api) or an IdP access token for identity.oidc.api_audience.',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: info.cookieName,
          description: 'Browser session cookie (HttpOnly).',
        },
        csrf: {
          type: 'apiKey',
          in: 'header',
          name: 'X-CSRF-Token',
          description:
            "The session's CSRF token; required with the session cookie on state-changing requests.",
        },
      },
    },
  };
}
