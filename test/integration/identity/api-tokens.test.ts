import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT, base64url, exportJWK, exportSPKI, generateKeyPair, type JWTPayload } from 'jose';
import {
  claimsToSubject,
  createKeyRing,
  loadOrCreateSigningKey,
  TOKEN_KEYS_NS,
  type LoginSession,
} from '../../../src/identity';
import { HttpBrowser } from '../../helpers/dev-idp';
import { tmpDir } from '../../helpers/tmp';
import { startGateway, type TestGateway } from '../../fixtures/identity/gateway';
import { startStaticIssuer, type StaticIssuer } from '../../fixtures/identity/static-issuer';

const API_AUDIENCE_IDP = 'breakglass-automation';
let idp: StaticIssuer;
let gw: TestGateway;
let login: LoginSession;

beforeAll(async () => {
  idp = await startStaticIssuer();
  gw = await startGateway({
    overrides: {
      identity: {
        oidc: {
          issuer: idp.issuer,
          client_id: 'breakglass-web',
          client_secret: 'not-used-here',
          api_audience: API_AUDIENCE_IDP,
        },
      },
    },
  });
  const subject = claimsToSubject({
    sub: 'alice',
    email: 'alice@example.com',
    groups: ['admins'],
    amr: ['pwd', 'mfa'],
  });
  login = await gw.web.identity.sessions.create(subject, 'oidc');
});

afterAll(async () => {
  await gw?.close();
  await idp?.close();
});

const now = () => Math.floor(Date.now() / 1000);
const me = (token: string) =>
  new HttpBrowser().get(`${gw.url}/api/v1/me`, { authorization: `Bearer ${token}` });
const body = async (token: string) => {
  const res = await me(token);
  return {
    status: res.status,
    ...(JSON.parse(res.body) as { error?: { code: string }; sub?: string; auth?: string; groups?: string[] }),
  };
};

/** A token shaped like ours, signed with the gateway's real key, with `changes` applied. */
async function gatewayToken(changes: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  const ring = gw.web.identity.keyRing.signing;
  const t = now();
  const payload = withChanges(
    {
      iss: gw.url,
      aud: 'breakglass-api',
      sub: 'alice',
      iat: t,
      nbf: t,
      exp: t + 600,
      jti: 'test-jti-0123456789',
      sid: login.sid,
      email: 'alice@example.com',
      groups: ['admins'],
    },
    changes,
  );
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: ring.kid, ...header })
    .sign(ring.privateKey);
}

/** The payload with `changes` applied; a change to undefined removes the claim. */
function withChanges(base: JWTPayload, changes: JWTPayload): JWTPayload {
  const out: JWTPayload = { ...base, ...changes };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  const enc = (v: unknown) => base64url.encode(JSON.stringify(v));
  return `${enc(header)}.${enc(payload)}.${signature}`;
}

function hs256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | Buffer,
): string {
  const enc = (v: unknown) => base64url.encode(JSON.stringify(v));
  const input = `${enc({ ...header, alg: 'HS256' })}.${enc(payload)}`;
  return `${input}.${base64url.encode(createHmac('sha256', secret).update(input).digest())}`;
}

describe('gateway-issued API tokens', () => {
  it("accepts a token it issued and names the login's subject", async () => {
    const issued = await gw.web.identity.tokens.issue(login);
    expect(await body(issued.token)).toMatchObject({
      status: 200,
      sub: 'alice',
      auth: 'gateway-token',
      groups: ['admins'],
    });
  });

  const claims = () => ({
    iss: gw.url,
    aud: 'breakglass-api',
    sub: 'alice',
    sid: login.sid,
    iat: now(),
    exp: now() + 600,
    jti: 'j'.repeat(20),
  });

  it.each<[string, () => Promise<string>, string]>([
    ['alg none', async () => unsigned({ alg: 'none', typ: 'at+jwt' }, claims()), 'IDENTITY_TOKEN_ALGORITHM'],
    ['alg NONE in capitals', async () => unsigned({ alg: 'NONE' }, claims()), 'IDENTITY_TOKEN_ALGORITHM'],
    ['no alg', async () => unsigned({ typ: 'JWT' }, claims(), 'c2ln'), 'IDENTITY_TOKEN_ALGORITHM'],
    [
      'HS256 keyed with the gateway public key (PEM)',
      async () =>
        hs256(
          { kid: gw.web.identity.keyRing.signing.kid },
          claims(),
          gw.web.identity.keyRing.signing.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        ),
      'IDENTITY_TOKEN_ALGORITHM',
    ],
    [
      'HS256 keyed with the gateway public key (raw x)',
      async () =>
        hs256(
          { kid: gw.web.identity.keyRing.signing.kid },
          claims(),
          Buffer.from(String((await exportJWK(gw.web.identity.keyRing.signing.publicKey)).x), 'base64url'),
        ),
      'IDENTITY_TOKEN_ALGORITHM',
    ],
    [
      'a forged signature (another Ed25519 key under our kid)',
      async () => {
        const { privateKey } = generateKeyPairSync('ed25519');
        const t = now();
        return new SignJWT({ sid: login.sid })
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: gw.web.identity.keyRing.signing.kid })
          .setIssuer(gw.url)
          .setAudience('breakglass-api')
          .setSubject('alice')
          .setIssuedAt(t)
          .setExpirationTime(t + 600)
          .setJti('forged-jti-0123456789')
          .sign(privateKey);
      },
      'IDENTITY_TOKEN_SIGNATURE',
    ],
    [
      'a payload altered after signing (more groups)',
      async () => {
        const [h, , s] = (await gatewayToken()).split('.');
        return `${h}.${base64url.encode(JSON.stringify({ ...claims(), groups: ['admins', 'security'] }))}.${s}`;
      },
      'IDENTITY_TOKEN_SIGNATURE',
    ],
    ['an unknown kid', () => gatewayToken({}, { kid: 'A'.repeat(43) }), 'IDENTITY_TOKEN_SIGNATURE'],
    [
      'an expired token',
      () => gatewayToken({ iat: now() - 3600, nbf: now() - 3600, exp: now() - 60 }),
      'IDENTITY_TOKEN_EXPIRED',
    ],
    [
      'a token not valid yet (nbf in an hour)',
      () => gatewayToken({ nbf: now() + 3600 }),
      'IDENTITY_TOKEN_NOT_YET_VALID',
    ],
    ['another audience', () => gatewayToken({ aud: 'some-other-api' }), 'IDENTITY_TOKEN_AUDIENCE'],
    ['no sid', () => gatewayToken({ sid: undefined }), 'IDENTITY_TOKEN_CLAIMS'],
    ['another typ (an ID token shape)', () => gatewayToken({}, { typ: 'JWT' }), 'IDENTITY_TOKEN_CLAIMS'],
    ['a sid of no login', () => gatewayToken({ sid: 'Z'.repeat(32) }), 'IDENTITY_TOKEN_REVOKED'],
    ["another subject than the login's", () => gatewayToken({ sub: 'mallory' }), 'IDENTITY_TOKEN_REVOKED'],
    ['an unknown issuer', () => gatewayToken({ iss: 'https://evil.example' }), 'IDENTITY_TOKEN_ISSUER'],
    ['two parts', async () => 'abc.def', 'IDENTITY_TOKEN_MALFORMED'],
    ['an encrypted token (five parts)', async () => 'a.b.c.d.e', 'IDENTITY_TOKEN_MALFORMED'],
    ['garbage in three parts', async () => 'not.a.jwt', 'IDENTITY_TOKEN_MALFORMED'],
  ])('refuses %s', async (_name, make, code) => {
    const res = await me(await make());
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).error.code).toBe(code);
    expect(res.headers['www-authenticate']).toContain('Bearer');
  });

  it.each([
    ['Basic credentials', 'Basic YWxpY2U6cGFzcw=='],
    ['a bare token', 'eyJhbGciOiJFZERTQSJ9.e30.c2ln'],
    ['an empty bearer', 'Bearer '],
  ])('refuses an Authorization header with %s (IDENTITY_UNAUTHENTICATED)', async (_name, header) => {
    const res = await new HttpBrowser().get(`${gw.url}/api/v1/me`, { authorization: header });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).error.code).toBe('IDENTITY_UNAUTHENTICATED');
  });

  it('accepts a token signed by another replica whose public key is in the store, and ignores a key planted under a wrong kid', async () => {
    const dir = tmpDir();
    try {
      const other = createKeyRing({
        store: gw.store,
        signing: await loadOrCreateSigningKey(dir.path, 'other.pem'),
      });
      await other.publish();
      const t = now();
      const sign = (kid: string, key = other.signing.privateKey) =>
        new SignJWT({ sid: login.sid })
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid })
          .setIssuer(gw.url)
          .setAudience('breakglass-api')
          .setSubject('alice')
          .setIssuedAt(t)
          .setExpirationTime(t + 600)
          .setJti('replica-jti-0123456789')
          .sign(key);
      expect((await me(await sign(other.signing.kid))).status).toBe(200);

      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const plantedKid = 'P'.repeat(43);
      await gw.store.put(
        TOKEN_KEYS_NS,
        plantedKid,
        JSON.stringify({ ...(await exportJWK(publicKey)), kid: plantedKid }),
      );
      const res = await me(await sign(plantedKid, privateKey));
      expect(JSON.parse(res.body).error.code).toBe('IDENTITY_TOKEN_SIGNATURE');
    } finally {
      dir.cleanup();
    }
  });

  it('verifies in full a token that reuses the jti of one it has just accepted, and refuses it when anything differs', async () => {
    const genuine = await gatewayToken({ jti: 'reused-jti-0123456789' });
    expect((await me(genuine)).status).toBe(200);
    expect((await me(genuine)).status).toBe(200); // now reused from the cache
    const [h, , s] = genuine.split('.');
    const cases: Array<[string, string]> = [
      [
        await gatewayToken({ jti: 'reused-jti-0123456789', aud: 'some-other-api' }),
        'IDENTITY_TOKEN_AUDIENCE',
      ],
      [await gatewayToken({ jti: 'reused-jti-0123456789', sub: 'mallory' }), 'IDENTITY_TOKEN_REVOKED'],
      [
        `${h}.${base64url.encode(JSON.stringify({ ...claims(), jti: 'reused-jti-0123456789', groups: ['security'] }))}.${s}`,
        'IDENTITY_TOKEN_SIGNATURE',
      ],
    ];
    for (const [token, code] of cases) expect((await body(token)).error?.code).toBe(code);
    expect((await me(genuine)).status).toBe(200);
  });

  it('stops accepting every token of a login once it is revoked', async () => {
    const other = await gw.web.identity.sessions.create(login.subject, 'device');
    const a = await gw.web.identity.tokens.issue(other);
    const b = await gw.web.identity.tokens.issue(other);
    expect((await me(a.token)).status).toBe(200);
    expect((await me(a.token)).status).toBe(200); // verified again within the cache TTL
    await gw.web.identity.sessions.revoke(other.sid);
    for (const t of [a, b]) expect((await body(t.token)).error?.code).toBe('IDENTITY_TOKEN_REVOKED');
  });
});

describe('IdP-issued access tokens', () => {
  const idpToken = async (changes: JWTPayload = {}, alg = 'RS256', key = idp.privateKey, kid = idp.kid) => {
    const t = now();
    const payload = withChanges(
      {
        iss: idp.issuer,
        aud: API_AUDIENCE_IDP,
        sub: 'ci-bot',
        iat: t,
        exp: t + 300,
        email: 'ci-bot@example.com',
        groups: ['deployers'],
      },
      changes,
    );
    return new SignJWT(payload).setProtectedHeader({ alg, kid }).sign(key);
  };

  it('accepts a token for the configured audience, verified against the IdP JWKS', async () => {
    expect(await body(await idpToken())).toMatchObject({
      status: 200,
      sub: 'ci-bot',
      auth: 'idp-token',
      groups: ['deployers'],
    });
  });

  it.each<[string, () => Promise<string>, string]>([
    ['another audience', () => idpToken({ aud: 'other-api' }), 'IDENTITY_TOKEN_AUDIENCE'],
    [
      'an ID token for the web client (aud = client id)',
      () => idpToken({ aud: 'breakglass-web' }),
      'IDENTITY_TOKEN_AUDIENCE',
    ],
    ['an expired token', () => idpToken({ iat: now() - 3600, exp: now() - 60 }), 'IDENTITY_TOKEN_EXPIRED'],
    ['a token not valid yet', () => idpToken({ nbf: now() + 3600 }), 'IDENTITY_TOKEN_NOT_YET_VALID'],
    [
      'alg none',
      async () =>
        unsigned({ alg: 'none' }, { iss: idp.issuer, aud: API_AUDIENCE_IDP, sub: 'x', exp: now() + 60 }),
      'IDENTITY_TOKEN_ALGORITHM',
    ],
    [
      'HS256 keyed with the IdP public key',
      async () =>
        hs256(
          { kid: idp.kid },
          { iss: idp.issuer, aud: API_AUDIENCE_IDP, sub: 'x', exp: now() + 60 },
          await exportSPKI(idp.publicKey),
        ),
      'IDENTITY_TOKEN_ALGORITHM',
    ],
    [
      'RS512 (not in api_algorithms)',
      async () => {
        const { privateKey } = await generateKeyPair('RS512');
        return idpToken({}, 'RS512', privateKey);
      },
      'IDENTITY_TOKEN_ALGORITHM',
    ],
    [
      'a key the IdP does not publish',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return idpToken({}, 'RS256', privateKey, 'unknown-kid');
      },
      'IDENTITY_TOKEN_SIGNATURE',
    ],
    [
      'a forged signature under the IdP kid',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return idpToken({}, 'RS256', privateKey);
      },
      'IDENTITY_TOKEN_SIGNATURE',
    ],
    ['no exp', () => idpToken({ exp: undefined }), 'IDENTITY_TOKEN_CLAIMS'],
  ])('refuses %s', async (_name, make, code) => {
    const res = await me(await make());
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).error.code).toBe(code);
  });

  it('does not issue gateway tokens for an IdP token (it belongs to no login)', async () => {
    const res = await new HttpBrowser().request('POST', `${gw.url}/api/v1/auth/tokens`, {
      json: {},
      headers: { authorization: `Bearer ${await idpToken()}` },
    });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).error.code).toBe('IDENTITY_UNAUTHENTICATED');
  });
});
