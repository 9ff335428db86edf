import { loadConfig } from '../../../src/config';
import { systemClock } from '../../../src/core';
import { claimsToSubject, type DevIdpProcess } from '../../../src/identity';
import { createSilentLogger } from '../../../src/logging';
import { createStore, type Store } from '../../../src/store';
import { HttpBrowser, loginThroughDevIdp, startDevIdp } from '../../helpers/dev-idp';
import { freePort } from '../../helpers/ports';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { tmpDir } from '../../helpers/tmp';
import { startGateway, type TestGateway } from '../../fixtures/identity/gateway';

// Two replicas behind one public URL, sharing one (private) redis-server.
let redis: RedisServer;
let idp: DevIdpProcess;
let a: TestGateway;
let b: TestGateway;
const stores: Store[] = [];
const dir = tmpDir();
const COOKIE = 'breakglass.sid';

beforeAll(async () => {
  redis = await startRedis();
  const [portA, portB] = [await freePort(), await freePort()];
  const publicUrl = `http://127.0.0.1:${portA}`;
  idp = await startDevIdp({ redirectUris: [`${publicUrl}/auth/callback`] });
  const overrides = {
    server: { public_url: publicUrl, trust_proxy: 1 },
    store: { driver: 'redis', redis: { url: redis.url } },
    identity: {
      oidc: {
        issuer: idp.issuer,
        client_id: idp.clientId,
        client_secret: idp.clientSecret,
        scopes: ['openid', 'profile', 'email', 'groups'],
      },
      rate_limits: { api: { max: 10, window: '1m' }, login: { max: 1000 } },
    },
  };
  const replica = async (port: number) => {
    const store = await createStore(loadConfig({ overrides: { ...overrides, data_dir: dir.path } }), {
      logger: createSilentLogger(),
      clock: systemClock,
    });
    stores.push(store);
    return startGateway({ port, store, overrides });
  };
  a = await replica(portA);
  b = await replica(portB);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  for (const s of stores) await s.close();
  await idp?.stop();
  await redis?.stop();
  dir.cleanup();
});

describe('two replicas sharing one Redis', () => {
  it('enforce one rate limit per client address across both replicas', async () => {
    const client = { 'x-forwarded-for': '203.0.113.7' };
    const hit = (gw: TestGateway, headers = client) =>
      new HttpBrowser().get(`${gw.url}/api/v1/openapi.json`, headers);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await hit(i % 2 === 0 ? a : b)).status);
    expect(statuses).toEqual([...Array(10).fill(200), 429, 429]);
    const limited = await hit(b);
    expect(JSON.parse(limited.body).error.code).toBe('IDENTITY_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await hit(a, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(200); // another address has its own budget
  });

  it('share browser sessions and API tokens, and a logout on one replica ends both on the other', async () => {
    const browser = new HttpBrowser();
    await loginThroughDevIdp(browser, a.url, 'carol@example.com');
    const cookie = browser.cookie(a.url, COOKIE)!.value;
    browser.setCookie(b.url, COOKIE, cookie); // the load balancer sends the same cookie to either replica
    const meB = await browser.get(`${b.url}/api/v1/me`);
    expect(meB.status).toBe(200);
    const { csrf_token: csrf, sub } = JSON.parse(meB.body);
    expect(sub).toBe('carol');

    const minted = await browser.request('POST', `${a.url}/api/v1/auth/tokens`, {
      json: {},
      headers: { 'x-csrf-token': csrf },
    });
    expect(minted.status).toBe(201);
    const bearer = { authorization: `Bearer ${JSON.parse(minted.body).access_token}` };
    expect((await new HttpBrowser().get(`${b.url}/api/v1/me`, bearer)).status).toBe(200); // B verifies A's key from the store

    const out = await browser.request('POST', `${b.url}/api/v1/auth/logout`, {
      json: {},
      headers: { 'x-csrf-token': csrf },
    });
    expect(JSON.parse(out.body)).toEqual({ revoked: true });
    const tokenOnA = await new HttpBrowser().get(`${a.url}/api/v1/me`, bearer);
    expect(JSON.parse(tokenOnA.body).error.code).toBe('IDENTITY_TOKEN_REVOKED');
    const replay = new HttpBrowser();
    replay.setCookie(a.url, COOKIE, cookie);
    expect((await replay.get(`${a.url}/api/v1/me`)).status).toBe(401);
  });

  it.each([
    ['an API logout with the token itself', 'token', '198.51.100.1'],
    ['a revocation of the login', 'revoke', '198.51.100.2'],
  ])(
    'refuse a token on replica B at once after %s on replica A, although B has just accepted it',
    async (_name, how, client) => {
      const login = await a.web.identity.sessions.create(
        claimsToSubject({ sub: 'erin', email: 'erin@example.com' }),
        'device',
      );
      const { token } = await a.web.identity.tokens.issue(login);
      // Its own client address: the rate limit of this file is small.
      const bearer = { authorization: `Bearer ${token}`, 'x-forwarded-for': client };
      for (let i = 0; i < 3; i++)
        expect((await new HttpBrowser().get(`${b.url}/api/v1/me`, bearer)).status).toBe(200);
      if (how === 'token') {
        const out = await new HttpBrowser().request('POST', `${a.url}/api/v1/auth/logout`, {
          json: {},
          headers: bearer,
        });
        expect(JSON.parse(out.body)).toEqual({ revoked: true });
      } else {
        expect(await a.web.identity.sessions.revoke(login.sid)).toBe(true);
      }
      const next = await new HttpBrowser().get(`${b.url}/api/v1/me`, bearer);
      expect([next.status, JSON.parse(next.body).error.code]).toEqual([401, 'IDENTITY_TOKEN_REVOKED']);
    },
  );
});
