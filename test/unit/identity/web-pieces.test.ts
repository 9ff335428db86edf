import { join } from 'node:path';
import { chmodSync, writeFileSync, mkdirSync } from 'node:fs';
import { z } from 'zod';
import {
  DEMO_USERS,
  amrFor,
  credentialsPath,
  findDemoUser,
  readCredentials,
  writeCredentials,
  oidcSettings,
} from '../../../src/identity';
import { loadConfig } from '../../../src/config';
import { buildOpenApi, defineRoute, expressPath, rateLimitCounter, type ApiRoute } from '../../../src/web';
import { checkRouteTable } from '../../../src/web/api/mount';
import { tmpDir } from '../../helpers/tmp';

const route = (over: Partial<ApiRoute>): ApiRoute =>
  defineRoute({
    method: 'get',
    path: '/x',
    operationId: 'x',
    summary: 's',
    tags: [],
    auth: 'none',
    success: { status: 200, description: 'ok' },
    handler: async () => ({}),
    ...over,
  } as ApiRoute);

describe('the API route table', () => {
  it.each([
    ['/requests/{id}', '/requests/:id'],
    ['/a/{x}/b/{y_2}', '/a/:x/b/:y_2'],
    ['/me', '/me'],
  ])('turns %s into the express path %s', (openapi, express) => {
    expect(expressPath(openapi)).toBe(express);
  });

  it.each([
    ['the same method and path twice', [route({}), route({ operationId: 'y' })], /defined twice/],
    ['an operationId twice', [route({}), route({ path: '/y' })], /used twice/],
    ['a malformed path', [route({ path: 'no-slash' })], /malformed/],
    ['a double slash', [route({ path: '/a//b' })], /malformed/],
  ])('refuses %s at start-up (TypeError)', (_name, routes, message) => {
    expect(() => checkRouteTable(routes)).toThrow(TypeError);
    expect(() => checkRouteTable(routes)).toThrow(message);
  });

  it('documents query parameters with their requiredness', () => {
    const doc = buildOpenApi(
      [route({ query: z.strictObject({ q: z.string(), limit: z.coerce.number().optional() }) })],
      { version: '1', cookieName: 'c' },
    ) as {
      paths: Record<string, Record<string, { parameters: unknown[] }>>;
    };
    expect(doc.paths['/x']!.get!.parameters).toEqual([
      { name: 'q', in: 'query', required: true, schema: { type: 'string' } },
      { name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ type: 'number' }) },
    ]);
  });
});

describe('rate limit counters', () => {
  it.each([
    ['127.0.0.1', 'ratelimit:login:127.0.0.1'],
    ['::ffff:10.0.0.1', 'ratelimit:login:::ffff:10.0.0.1'],
    ['fe80::1%eth0', 'ratelimit:login:fe80::1_eth0'],
    ['', 'ratelimit:login:unknown'],
  ])('names the counter of %s as a valid store name', (ip, name) => {
    expect(rateLimitCounter('login', ip)).toBe(name);
  });
});

describe('the development IdP users', () => {
  it('has an admin, an approver, a security reviewer and an on-call engineer with MFA', () => {
    expect(DEMO_USERS.map((u) => [u.email, u.groups, amrFor(u)])).toEqual([
      ['alice@example.com', ['admins'], ['pwd']],
      ['bob@example.com', ['approvers'], ['pwd']],
      ['carol@example.com', ['security'], ['pwd']],
      ['dave@example.com', ['oncall'], ['pwd', 'mfa']],
    ]);
    expect(findDemoUser(' Dave@Example.com ')?.sub).toBe('dave');
    expect(findDemoUser('mallory@example.com')).toBeUndefined();
  });
});

describe('IdP settings', () => {
  const config = (identity: Record<string, unknown>) => loadConfig({ overrides: { identity } }).identity;
  it('uses the configured IdP, else the development IdP when it runs, else none', () => {
    const dev = { issuer: 'http://127.0.0.1:8081', clientId: 'd', clientSecret: 'dsecretx' };
    expect(
      oidcSettings(
        config({ oidc: { issuer: 'https://idp.example.com', client_id: 'c', client_secret: 's' } }),
        dev,
      ),
    ).toEqual({
      issuer: 'https://idp.example.com',
      clientId: 'c',
      clientSecret: 's',
    });
    expect(oidcSettings(config({}), dev)).toEqual(dev);
    expect(oidcSettings(config({}), null)).toBeNull();
  });

  it.each([
    ['an issuer without a client', { oidc: { issuer: 'https://idp.example.com' } }],
    ['a client without an issuer', { oidc: { client_id: 'c', client_secret: 's' } }],
  ])('treats %s as a configuration bug (TypeError)', (_name, identity) => {
    expect(() => oidcSettings(config(identity), null)).toThrow(TypeError);
  });
});

describe('CLI credentials', () => {
  it('live under $XDG_CONFIG_HOME, else ~/.config', () => {
    expect(credentialsPath({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/u' })).toBe(
      '/x/cfg/breakglass/credentials.json',
    );
    expect(credentialsPath({ XDG_CONFIG_HOME: 'relative', HOME: '/home/u' })).toBe(
      '/home/u/.config/breakglass/credentials.json',
    );
    expect(() => credentialsPath({})).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }));
  });

  it('are refused when others can read them', () => {
    const d = tmpDir();
    try {
      const env = { XDG_CONFIG_HOME: d.path };
      const path = writeCredentials(env, {
        server: 'https://bg',
        token: 't',
        expires_at: '2026-01-01T00:00:00.000Z',
      });
      expect(readCredentials(env).server).toBe('https://bg');
      chmodSync(path, 0o644);
      expect(() => readCredentials(env)).toThrow(
        expect.objectContaining({
          code: 'IDENTITY_CREDENTIALS_MISSING',
          message: expect.stringContaining('readable by others'),
        }),
      );
      mkdirSync(join(d.path, 'b', 'breakglass'), { recursive: true });
      writeFileSync(join(d.path, 'b', 'breakglass', 'credentials.json'), '{"server": 1}', { mode: 0o600 });
      expect(() => readCredentials({ XDG_CONFIG_HOME: join(d.path, 'b') })).toThrow(
        expect.objectContaining({ message: expect.stringContaining('damaged') }),
      );
    } finally {
      d.cleanup();
    }
  });
});
