import type { DevIdpProcess } from '../../../src/identity';
import { WEB_SESSIONS_NS } from '../../../src/web';
import {
  HttpBrowser,
  loginThroughDevIdp,
  readForm,
  startDevIdp,
  submitDevIdpLogin,
  type BrowserResponse,
} from '../../helpers/dev-idp';
import { freePort } from '../../helpers/ports';
import { startGateway, type TestGateway } from '../../fixtures/identity/gateway';

let idp: DevIdpProcess;
let gw: TestGateway;
let offset = 0; // the gateway's clock runs ahead of real time by this much
const COOKIE = 'breakglass.sid';

beforeAll(async () => {
  const port = await freePort();
  idp = await startDevIdp({ redirectUris: [`http://127.0.0.1:${port}/auth/callback`] });
  gw = await startGateway({
    port,
    clock: { now: () => Date.now() + offset },
    overrides: {
      identity: {
        oidc: {
          issuer: idp.issuer,
          client_id: idp.clientId,
          client_secret: idp.clientSecret,
          scopes: ['openid', 'profile', 'email', 'groups'],
        },
        session: { absolute_lifetime: '2h', idle_timeout: '30m' },
        rate_limits: { login: { max: 10000 } },
      },
    },
  });
});

afterAll(async () => {
  await gw?.close();
  await idp?.stop();
});

afterEach(() => {
  offset = 0;
  gw.failAudit(false);
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads of JSON answers
const json = (res: BrowserResponse) => JSON.parse(res.body) as Record<string, any>;

/** Starts a login and signs in at the IdP, stopping at the redirect to our callback (not followed). */
async function upToCallback(browser: HttpBrowser, email: string): Promise<string> {
  const loginPage = await browser.follow(await browser.get(`${gw.url}/auth/login`));
  let res = await submitDevIdpLogin(browser, loginPage, email);
  while (res.location && !res.location.startsWith(`${gw.url}/auth/callback`))
    res = await browser.get(res.location);
  if (!res.location)
    throw new Error(`no redirect to the callback: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  return res.location;
}

async function csrfOf(browser: HttpBrowser): Promise<string> {
  return json(await browser.get(`${gw.url}/api/v1/me`)).csrf_token as string;
}

describe('browser login through the development IdP', () => {
  it.each([
    ['dave@example.com', 'dave', ['oncall'], ['pwd', 'mfa']],
    ['alice@example.com', 'alice', ['admins'], ['pwd']],
  ])('logs %s in with the groups and amr the IdP asserts', async (email, sub, groups, amr) => {
    const browser = new HttpBrowser();
    const page = await loginThroughDevIdp(browser, gw.url, email);
    expect(page.status).toBe(200);
    expect(page.url).toBe(`${gw.url}/`);
    expect(page.body).toContain(email);
    const me = await browser.get(`${gw.url}/api/v1/me`);
    expect(me.status).toBe(200);
    expect(json(me)).toMatchObject({ sub, email, groups, amr, auth: 'session' });
    const login = gw.events.filter((e) => e.type === 'login').at(-1)!;
    expect(login).toMatchObject({ actor: `user:${email}`, data: { method: 'oidc', sub, groups } });
  });

  it('sets the session cookie HttpOnly and SameSite=Lax, and pages carry a CSP without inline code', async () => {
    const browser = new HttpBrowser();
    await loginThroughDevIdp(browser, gw.url, 'bob@example.com');
    const cookie = browser.cookie(gw.url, COOKIE)!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite?.toLowerCase()).toBe('lax');
    expect(cookie.secure).toBe(false); // plain http here; see the HTTPS test
    const home = await browser.get(`${gw.url}/`);
    const csp = String(home.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain(`form-action 'self' ${idp.issuer}`);
    expect(csp).not.toContain('unsafe-inline');
    expect(home.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|\sstyle="|\son[a-z]+="/i);
  });

  it('gives the browser a new session id at login and the id from before login authenticates nobody (no fixation)', async () => {
    const browser = new HttpBrowser();
    await browser.follow(await browser.get(`${gw.url}/auth/login`)); // the login started: a session exists
    const before = browser.cookie(gw.url, COOKIE)!.value;
    const callback = await upToCallback(browser, 'carol@example.com');
    await browser.follow(await browser.get(callback));
    const after = browser.cookie(gw.url, COOKIE)!.value;
    expect(after).not.toBe(before);
    expect((await browser.get(`${gw.url}/api/v1/me`)).status).toBe(200);

    const attacker = new HttpBrowser();
    attacker.setCookie(gw.url, COOKIE, before);
    const res = await attacker.get(`${gw.url}/api/v1/me`);
    expect(res.status).toBe(401);
    expect(json(res).error.code).toBe('IDENTITY_UNAUTHENTICATED');
  });

  it('ignores a session id planted by someone else (unsigned or forged cookie)', async () => {
    const browser = new HttpBrowser();
    browser.setCookie(gw.url, COOKIE, 's%3Aplanted-session-id.forgedsignature');
    await loginThroughDevIdp(browser, gw.url, 'bob@example.com');
    expect(browser.cookie(gw.url, COOKIE)!.value).not.toContain('planted');
    expect((await browser.get(`${gw.url}/api/v1/me`)).status).toBe(200);
  });

  it.each([
    ['a changed state', (u: URL) => u.searchParams.set('state', 'x'.repeat(32))],
    ['no state', (u: URL) => u.searchParams.delete('state')],
  ])(
    'refuses a callback with %s (IDENTITY_STATE_MISMATCH) and records login.failed',
    async (_name, tamper) => {
      const browser = new HttpBrowser();
      const url = new URL(await upToCallback(browser, 'alice@example.com'));
      tamper(url);
      const failedBefore = gw.events.filter((e) => e.type === 'login.failed').length;
      const res = await browser.get(url.toString(), { accept: 'application/json' });
      expect(res.status).toBe(403);
      expect(json(res).error.code).toBe('IDENTITY_STATE_MISMATCH');
      expect((await browser.get(`${gw.url}/api/v1/me`)).status).toBe(401);
      expect(gw.events.filter((e) => e.type === 'login.failed')).toHaveLength(failedBefore + 1);
    },
  );

  it('refuses a callback replayed in another browser (the state belongs to the first browser session)', async () => {
    const victim = new HttpBrowser();
    const callback = await upToCallback(victim, 'alice@example.com');
    const attacker = new HttpBrowser();
    const res = await attacker.get(callback, { accept: 'application/json' });
    expect(res.status).toBe(403);
    expect(json(res).error.code).toBe('IDENTITY_STATE_MISMATCH');
  });

  it.each([
    ['https://evil.example/x', '/'],
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/%0d%0aLocation:%20https://evil.example', '/%0d%0aLocation:%20https://evil.example'],
    ['/requests/42?tab=approvals#top', '/requests/42?tab=approvals#top'],
  ])('after login sends return_to=%s to %s on this server only', async (returnTo, expected) => {
    const browser = new HttpBrowser();
    const loginPage = await browser.follow(
      await browser.get(`${gw.url}/auth/login?return_to=${encodeURIComponent(returnTo)}`),
    );
    let res = await submitDevIdpLogin(browser, loginPage, 'bob@example.com');
    while (res.location && !res.location.startsWith(`${gw.url}/auth/callback`))
      res = await browser.get(res.location);
    const done = await browser.get(res.location!);
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(expected);
    expect(new URL(done.location!).origin).toBe(gw.url);
  });

  it('refuses state-changing session requests without the CSRF token or with a wrong one, and accepts the right one', async () => {
    const browser = new HttpBrowser();
    await loginThroughDevIdp(browser, gw.url, 'alice@example.com');
    const token = await csrfOf(browser);
    const cases: Array<[string, Record<string, string>, number, string | null]> = [
      ['no token', {}, 403, 'IDENTITY_CSRF_INVALID'],
      ['a wrong token', { 'x-csrf-token': 'A'.repeat(token.length) }, 403, 'IDENTITY_CSRF_INVALID'],
      ['the token of the session', { 'x-csrf-token': token }, 201, null],
    ];
    for (const [, headers, status, code] of cases) {
      const res = await browser.request('POST', `${gw.url}/api/v1/auth/tokens`, { json: {}, headers });
      expect(res.status).toBe(status);
      if (code) expect(json(res).error.code).toBe(code);
    }
    const form = await browser.post(`${gw.url}/auth/logout`, { _csrf: 'wrong' });
    expect(form.status).toBe(403);
    expect((await browser.get(`${gw.url}/api/v1/me`)).status).toBe(200); // still logged in
  });

  it('serves bearer API requests without touching a browser session (no cookie, no session record read or written), while cookie requests still need the CSRF token', async () => {
    const browser = new HttpBrowser();
    await loginThroughDevIdp(browser, gw.url, 'alice@example.com');
    const csrf = await csrfOf(browser);
    const minted = await browser.request('POST', `${gw.url}/api/v1/auth/tokens`, {
      json: {},
      headers: { 'x-csrf-token': csrf },
    });
    const bearer = { authorization: `Bearer ${json(minted).access_token as string}` };
    const spies = (['get', 'put', 'delete'] as const).map((op) => jest.spyOn(gw.store, op).mockName(op));
    const sessionOps = () =>
      spies.flatMap((spy) =>
        spy.mock.calls.filter((c) => c[0] === WEB_SESSIONS_NS).map(() => spy.getMockName()),
      );
    try {
      // Bearer alone, and bearer plus the session cookie (the cookie is ignored): no CSRF token needed.
      for (const [who, client] of [
        ['a client without cookies', new HttpBrowser()],
        ['the browser holding the session cookie', browser],
      ] as const) {
        for (const [method, path, status] of [
          ['GET', '/api/v1/me', 200],
          ['POST', '/api/v1/auth/tokens', 201],
        ] as const) {
          const res = await client.request(method, `${gw.url}${path}`, {
            ...(method === 'POST' ? { json: {} } : {}),
            headers: bearer,
          });
          expect([who, method, path, res.status, res.headers['set-cookie']]).toEqual([
            who,
            method,
            path,
            status,
            undefined,
          ]);
          expect(json(res).auth ?? json(res).token_type).toMatch(/^(gateway-token|Bearer)$/);
        }
      }
      expect(sessionOps()).toEqual([]);
      // The same cookie without a bearer token: the session is read and CSRF applies.
      const noCsrf = await browser.request('POST', `${gw.url}/api/v1/auth/tokens`, { json: {} });
      expect(noCsrf.status).toBe(403);
      expect(json(noCsrf).error.code).toBe('IDENTITY_CSRF_INVALID');
      expect(sessionOps()).toContain('get');
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('logs out: ends the session and its API tokens, and ends the IdP session (RP-initiated logout)', async () => {
    const browser = new HttpBrowser();
    await loginThroughDevIdp(browser, gw.url, 'dave@example.com');
    const csrf = await csrfOf(browser);
    const minted = await browser.request('POST', `${gw.url}/api/v1/auth/tokens`, {
      json: {},
      headers: { 'x-csrf-token': csrf },
    });
    const token = json(minted).access_token as string;
    const bearer = { authorization: `Bearer ${token}` };
    expect((await new HttpBrowser().get(`${gw.url}/api/v1/me`, bearer)).status).toBe(200);
    const issued = gw.events.filter((e) => e.type === 'token.issued').at(-1)!;
    expect(issued.data.token_id).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(issued.data.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const oldCookie = browser.cookie(gw.url, COOKIE)!.value;

    const out = await browser.post(`${gw.url}/auth/logout`, { _csrf: csrf });
    expect(out.status).toBe(303);
    const endSession = new URL(out.location!);
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${idp.issuer}/session/end`);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${gw.url}/`);
    expect(endSession.searchParams.get('id_token_hint')).toBeTruthy();
    const confirm = await browser.follow(await browser.get(out.location!));
    const form = readForm(confirm, 'op.logoutForm');
    const back = await browser.follow(await browser.post(form.action, { ...form.fields, logout: 'yes' }));
    expect(back.url).toBe(`${gw.url}/`);

    expect((await browser.get(`${gw.url}/api/v1/me`)).status).toBe(401);
    const replay = new HttpBrowser();
    replay.setCookie(gw.url, COOKIE, oldCookie);
    expect((await replay.get(`${gw.url}/api/v1/me`)).status).toBe(401);
    const revoked = await new HttpBrowser().get(`${gw.url}/api/v1/me`, bearer);
    expect(revoked.status).toBe(401);
    expect(json(revoked).error.code).toBe('IDENTITY_TOKEN_REVOKED');
    expect(gw.events.at(-1)).toMatchObject({ type: 'logout', actor: 'user:dave@example.com' });

    // The IdP session is over too: the next login asks for credentials again.
    const again = await browser.follow(await browser.get(`${gw.url}/auth/login`));
    expect(again.body).toContain('id="login"');
  });

  it('ends a session at its absolute lifetime, however active it is', async () => {
    const browser = new HttpBrowser();
    await loginThroughDevIdp(browser, gw.url, 'bob@example.com');
    expect((await browser.get(`${gw.url}/api/v1/me`)).status).toBe(200);
    offset = 2 * 3_600_000 + 1000;
    const res = await browser.get(`${gw.url}/api/v1/me`);
    expect(res.status).toBe(401);
    expect(json(res).error.code).toBe('IDENTITY_SESSION_EXPIRED');
  });

  it('shows a logout confirmation page whose form carries the session CSRF token', async () => {
    const res = await new HttpBrowser().get(`${gw.url}/auth/logout`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('name="_csrf"');
  });

  it('refuses the login when the audit entry cannot be written (fail closed)', async () => {
    const browser = new HttpBrowser();
    const callback = await upToCallback(browser, 'alice@example.com');
    gw.failAudit(true);
    const res = await browser.get(callback, { accept: 'application/json' });
    expect(res.status).toBeGreaterThanOrEqual(500);
    gw.failAudit(false);
    expect((await browser.get(`${gw.url}/api/v1/me`)).status).toBe(401);
  });
});
