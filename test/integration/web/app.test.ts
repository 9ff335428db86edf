import { claimsToSubject } from '../../../src/identity';
import { createSilentLogger } from '../../../src/logging';
import { createMetrics } from '../../../src/metrics';
import { Router } from 'express';
import { createWebServer, type UiRouterFactory } from '../../../src/web';
import { HttpBrowser } from '../../helpers/dev-idp';
import { startGateway, type TestGateway } from '../../fixtures/identity/gateway';

let gw: TestGateway;
let token: string;

/** A page router another capability adds: a protected page and a form that changes state. */
const pages: UiRouterFactory = (ui) => {
  const router = Router();
  router.get('/requests', ui.requireSubject(), (req, res) => {
    res
      .type('html')
      .send(
        `<form method="post" action="/requests"><input type="hidden" name="_csrf" value="${ui.csrfToken(req)}"></form>`,
      );
  });
  router.post('/requests', (_req, res) => {
    res.status(201).send('created');
  });
  return router;
};

beforeAll(async () => {
  gw = await startGateway({
    uiRouters: [pages],
    overrides: { server: { body_limit_bytes: 2048 }, identity: { rate_limits: { api: { max: 1000 } } } },
  });
  const login = await gw.web.identity.sessions.create(
    claimsToSubject({ sub: 'alice', email: 'alice@example.com' }),
    'device',
  );
  token = (await gw.web.identity.tokens.issue(login)).token;
});
afterAll(async () => gw?.close());

const api = (method: string, path: string, opts: { json?: unknown; auth?: boolean } = {}) => {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.auth !== false) headers.authorization = `Bearer ${token}`;
  return new HttpBrowser().request(method, `${gw.url}/api/v1${path}`, { json: opts.json, headers });
};

/** Sends a raw body (the test browser only knows JSON and forms). */
async function raw(path: string, body: string, type: string) {
  const res = await fetch(`${gw.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': type, authorization: `Bearer ${token}` },
    body,
  });
  return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
}

describe('the web application', () => {
  it('keeps /healthz, /readyz and /metrics outside sessions', async () => {
    const b = new HttpBrowser();
    expect(JSON.parse((await b.get(`${gw.url}/healthz`)).body)).toEqual({ status: 'ok' });
    expect(JSON.parse((await b.get(`${gw.url}/readyz`)).body)).toMatchObject({
      status: 'ready',
      checks: { store: 'ok' },
    });
    expect((await b.get(`${gw.url}/metrics`)).status).toBe(200);
    expect(b.cookie(gw.url, 'breakglass.sid')).toBeUndefined();
  });

  it('answers unknown API paths with coded JSON and unknown pages with an HTML page', async () => {
    const json = await new HttpBrowser().get(`${gw.url}/api/v1/nope`);
    expect(json.status).toBe(404);
    expect(JSON.parse(json.body).error.code).toBe('NOT_FOUND');
    const page = await new HttpBrowser().get(`${gw.url}/nope`, { accept: 'text/html' });
    expect(page.status).toBe(404);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('NOT_FOUND');
  });

  it('says that nobody can log in when no IdP is configured', async () => {
    const res = await new HttpBrowser().get(`${gw.url}/auth/login`, { accept: 'application/json' });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body).error.code).toBe('IDENTITY_NOT_CONFIGURED');
    const device = await api('POST', '/auth/device', { json: {}, auth: false });
    expect(JSON.parse(device.body).error.code).toBe('IDENTITY_NOT_CONFIGURED');
  });

  it('sends security headers and serves its stylesheet from its own origin', async () => {
    const res = await new HttpBrowser().get(`${gw.url}/static/app.css`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/css');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(res.headers['strict-transport-security']).toBeUndefined(); // plain http
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const api = await new HttpBrowser().get(`${gw.url}/api/v1/openapi.json`);
    expect(api.headers['cache-control']).toBe('no-store');
  });

  it("sends a browser without a session from another capability's page to the login page and back", async () => {
    const res = await new HttpBrowser().get(`${gw.url}/requests?tab=mine`, { accept: 'text/html' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/auth/login?return_to=%2Frequests%3Ftab%3Dmine');
    const api = await new HttpBrowser().get(`${gw.url}/requests`, { accept: 'application/json' });
    expect(JSON.parse(api.body).error.code).toBe('IDENTITY_UNAUTHENTICATED');
  });

  it("checks the CSRF token on another capability's forms too", async () => {
    const browser = new HttpBrowser();
    await browser.get(`${gw.url}/auth/logout`); // a page that gives this browser a session with a CSRF token
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await browser.get(`${gw.url}/auth/logout`)).body)![1]!;
    expect((await browser.post(`${gw.url}/requests`, {})).status).toBe(403);
    expect((await browser.post(`${gw.url}/requests`, { _csrf: 'forged' })).status).toBe(403);
    expect((await browser.post(`${gw.url}/requests`, { _csrf: csrf })).status).toBe(201);
  });

  describe('hostile input gets coded 4xx answers and changes nothing', () => {
    it.each([
      ['an unknown field', '/auth/tokens', { scope: 'admin' }, 'BAD_REQUEST', /unknown field "scope"/],
      [
        'a wrong type',
        '/auth/token',
        { device_code: 42 },
        'BAD_REQUEST',
        /body.device_code: expected string/,
      ],
      ['a missing field', '/auth/token', {}, 'BAD_REQUEST', /body.device_code: expected string, got nothing/],
      ['an over-long value', '/auth/token', { device_code: 'x'.repeat(500) }, 'BAD_REQUEST', /too large/],
      ['an array instead of an object', '/auth/tokens', [1, 2], 'BAD_REQUEST', /expected object/],
      [
        'a prototype key',
        '/auth/tokens',
        JSON.parse('{"__proto__": {"admin": true}}'),
        'BAD_REQUEST',
        /unknown field "__proto__"/,
      ],
    ])('refuses %s', async (_name, path, json, code, message) => {
      const res = await api('POST', path, { json });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error).toMatchObject({ code, message: expect.stringMatching(message) });
    });

    it.each([
      [
        'a body over the limit',
        '{"x":"' + 'a'.repeat(4000) + '"}',
        'application/json',
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      ['malformed JSON', '{"device_code": ', 'application/json', 400, 'BAD_REQUEST'],
      ['a JSON string at the top', '"hello"', 'application/json', 400, 'BAD_REQUEST'],
      ['a form instead of JSON', 'device_code=abc', 'application/x-www-form-urlencoded', 400, 'BAD_REQUEST'],
      ['text', 'device_code', 'text/plain', 400, 'BAD_REQUEST'],
    ])('refuses %s', async (_name, body, type, status, code) => {
      const res = await raw('/auth/token', body, type);
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
    });

    it('refuses a logout with unknown fields and leaves the login alone', async () => {
      const post = await raw('/auth/logout', '{"everything": true}', 'application/json');
      expect([post.status, post.body.error.code]).toEqual([400, 'BAD_REQUEST']);
      expect((await api('GET', '/me')).status).toBe(200);
    });
  });

  it('answers 503 until listen() is called', async () => {
    const config = { ...gw.config, server: { ...gw.config.server, port: 0 } };
    const web = await createWebServer({
      config,
      logger: createSilentLogger(),
      store: gw.store,
      audit: { append: async () => undefined },
      metrics: createMetrics({ defaults: false }),
    });
    try {
      expect((await new HttpBrowser().get(`${web.url}/healthz`)).status).toBe(503);
      await web.listen();
      expect((await new HttpBrowser().get(`${web.url}/healthz`)).status).toBe(200);
    } finally {
      await web.close();
    }
  });
});
