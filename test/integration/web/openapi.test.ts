import type { Express } from 'express';
import { z } from 'zod';
import { claimsToSubject } from '../../../src/identity';
import { defineRoute, type ApiRoute } from '../../../src/web';
import { HttpBrowser } from '../../helpers/dev-idp';
import { startGateway, type TestGateway } from '../../fixtures/identity/gateway';

/** A route another capability adds through createWebServer({ apiRoutes }). */
const extra: ApiRoute = defineRoute<{ reason: string }, { id: string }>({
  method: 'post',
  path: '/requests/{id}/cancel',
  operationId: 'cancelRequest',
  summary: 'Cancel a request (example row of another capability).',
  tags: ['access'],
  auth: 'subject',
  params: z.strictObject({ id: z.string().regex(/^[a-z0-9-]{1,40}$/) }),
  body: z.strictObject({ reason: z.string().min(1).max(200) }),
  success: {
    status: 200,
    description: 'Cancelled.',
    schema: z.object({ id: z.string(), cancelled: z.literal(true), by: z.string() }),
  },
  handler: async ({ params, subject }) => ({ id: params.id, cancelled: true as const, by: subject.sub }),
});

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({ apiRoutes: [extra] });
});
afterAll(async () => gw?.close());

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  name?: string;
  rawPath?: string;
  handle?: { stack?: Layer[] };
}

/** Every route express has registered, as `METHOD /path` with OpenAPI-style parameters. */
function registeredRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods))
          out.push(
            `${m.toUpperCase()} ${prefix}${layer.route.path}`.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}'),
          );
      } else if (layer.name === 'router' && layer.handle?.stack) {
        walk(
          layer.handle.stack,
          prefix + (typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : ''),
        );
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out.filter((r) => r.split(' ')[1]!.startsWith('/api/')).sort();
}

function documentedRoutes(doc: {
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, unknown>>;
}): string[] {
  const base = doc.servers[0]!.url;
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${base}${path}`))
    .sort();
}

/** Routes registered but undocumented, and documented but not registered. */
function disagreements(app: Express, doc: Parameters<typeof documentedRoutes>[0]) {
  const registered = registeredRoutes(app);
  const documented = documentedRoutes(doc);
  return {
    undocumented: registered.filter((r) => !documented.includes(r)),
    missing: documented.filter((r) => !registered.includes(r)),
  };
}

describe('the OpenAPI document', () => {
  it('describes exactly the /api routes express has registered, including routes other capabilities add', async () => {
    const res = await new HttpBrowser().get(`${gw.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = JSON.parse(res.body);
    expect(doc.openapi).toBe('3.1.0');
    expect(disagreements(gw.web.app, doc)).toEqual({ undocumented: [], missing: [] });
    expect(registeredRoutes(gw.web.app)).toEqual(
      expect.arrayContaining([
        'GET /api/v1/me',
        'POST /api/v1/auth/device',
        'POST /api/v1/auth/token',
        'POST /api/v1/auth/logout',
        'POST /api/v1/requests/{id}/cancel',
      ]),
    );
  });

  it('notices a route registered outside the route table', async () => {
    const doc = JSON.parse((await new HttpBrowser().get(`${gw.url}/api/v1/openapi.json`)).body);
    const app = gw.web.app;
    app.get('/api/v1/sneaky', (_req, res) => {
      res.json({});
    });
    try {
      expect(disagreements(app, doc).undocumented).toEqual(['GET /api/v1/sneaky']);
    } finally {
      const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
      stack.splice(
        stack.findIndex((l) => l.route?.path === '/api/v1/sneaky'),
        1,
      );
    }
  });

  it('documents each operation with its schemas, security and path parameters', async () => {
    const doc = JSON.parse((await new HttpBrowser().get(`${gw.url}/api/v1/openapi.json`)).body);
    const cancel = doc.paths['/requests/{id}/cancel'].post;
    expect(cancel.operationId).toBe('cancelRequest');
    expect(cancel.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: expect.objectContaining({ type: 'string' }) },
    ]);
    expect(cancel.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['reason'],
      additionalProperties: false,
    });
    expect(cancel.security).toEqual([{ bearer: [] }, { session: [], csrf: [] }]);
    expect(doc.paths['/auth/device'].post.security).toEqual([]);
    expect(doc.paths['/me'].get.responses['200'].content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['sub', 'groups', 'amr', 'auth']),
    );
  });

  it('runs a route of another capability with validated input and the caller as subject', async () => {
    const login = await gw.web.identity.sessions.create(claimsToSubject({ sub: 'carol' }), 'device');
    const { token } = await gw.web.identity.tokens.issue(login);
    const call = (path: string, json: unknown) =>
      new HttpBrowser().request('POST', `${gw.url}/api/v1${path}`, {
        json,
        headers: { authorization: `Bearer ${token}` },
      });
    const ok = await call('/requests/r-1/cancel', { reason: 'done' });
    expect([ok.status, JSON.parse(ok.body)]).toEqual([200, { id: 'r-1', cancelled: true, by: 'carol' }]);
    const bad = await call('/requests/R_1!/cancel', { reason: 'done' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.message).toContain('params.id');
  });
});
