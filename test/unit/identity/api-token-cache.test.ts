import fc from 'fast-check';
import { SignJWT, base64url, decodeJwt, type JWTPayload } from 'jose';
import { createFakeClock, systemRandom } from '../../../src/core';
import {
  claimsToSubject,
  createApiTokens,
  createKeyRing,
  createLoginSessions,
  loadOrCreateSigningKey,
  type ApiTokensDeps,
  type KeyRing,
  type LoginSession,
} from '../../../src/identity';
import { tmpDir } from '../../helpers/tmp';
import { memoryStore } from '../../fixtures/identity/memory-store';

const T0 = Date.UTC(2026, 0, 1);
const ISSUER = 'https://breakglass.example';
const dir = tmpDir();
afterAll(() => dir.cleanup());

/** Two token verifiers over one store, keys and clock: one reuses checks for 5 s, one never does. */
async function setup() {
  const clock = createFakeClock(T0);
  const store = memoryStore(clock);
  const ring = createKeyRing({ store, signing: await loadOrCreateSigningKey(dir.path, 'api.pem') });
  const lookups = { count: 0 };
  const keyRing: KeyRing = {
    signing: ring.signing,
    publish: () => ring.publish(),
    lookup: (kid) => {
      lookups.count++;
      return ring.lookup(kid);
    },
  };
  const sessions = createLoginSessions({ store, clock, random: systemRandom, absoluteLifetimeMs: 40_000 });
  const base: ApiTokensDeps = {
    keyRing,
    issuer: ISSUER,
    lifetimeMs: 20_000,
    clock,
    random: systemRandom,
    sessions,
    idp: null,
  };
  return {
    clock,
    sessions,
    keyRing,
    lookups,
    cached: createApiTokens({ ...base, verifyCache: { ttlMs: 5_000, maxEntries: 3 } }),
    full: createApiTokens({ ...base, verifyCache: null }),
  };
}

type Setup = Awaited<ReturnType<typeof setup>>;

const outcome = (s: Setup['cached'], token: string) =>
  s.verify(token).then(
    (a) => `accepted ${a.subject.sub} ${a.sid}`,
    (e: { code?: string }) => `refused ${String(e.code)}`,
  );

/** The same claims re-signed with the real key after `change` (the jti stays the same). */
async function resigned(s: Setup, token: string, change: JWTPayload): Promise<string> {
  const payload = { ...decodeJwt(token), ...change };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: s.keyRing.signing.kid })
    .sign(s.keyRing.signing.privateKey);
}

/** The payload changed but the original signature kept. */
function tampered(token: string, change: JWTPayload): string {
  const [h, , sig] = token.split('.');
  return `${h}.${base64url.encode(JSON.stringify({ ...decodeJwt(token), ...change }))}.${sig}`;
}

describe('gateway token verification with the verified-token cache', () => {
  it('skips the signature check of a token verified within the TTL, but reads its login every time', async () => {
    const s = await setup();
    const login = await s.sessions.create(claimsToSubject({ sub: 'alice' }), 'device');
    const { token } = await s.cached.issue(login);
    const get = jest.spyOn(s.sessions, 'get');
    for (let i = 0; i < 3; i++) expect(await outcome(s.cached, token)).toBe(`accepted alice ${login.sid}`);
    expect([s.lookups.count, get.mock.calls.length]).toEqual([1, 3]);
    await s.sessions.revoke(login.sid);
    expect(await outcome(s.cached, token)).toBe('refused IDENTITY_TOKEN_REVOKED');
    s.clock.advance(5_000);
    expect(await outcome(s.cached, token)).toBe('refused IDENTITY_TOKEN_REVOKED');
    expect(s.lookups.count).toBe(2); // the TTL ended: verified in full again
  });

  it.each<[string, (s: Setup, token: string, login: LoginSession) => Promise<string>, string]>([
    [
      'the login is revoked',
      async (s, t, l) => (await s.sessions.revoke(l.sid), t),
      'IDENTITY_TOKEN_REVOKED',
    ],
    ['the token is 6 s past its exp', async (s, t) => (s.clock.advance(26_000), t), 'IDENTITY_TOKEN_EXPIRED'],
    [
      'the clock went back 10 s (not valid yet)',
      async (s, t) => (s.clock.advance(-10_000), t),
      'IDENTITY_TOKEN_NOT_YET_VALID',
    ],
    ['another audience, same jti', (s, t) => resigned(s, t, { aud: 'other-api' }), 'IDENTITY_TOKEN_AUDIENCE'],
    [
      'another issuer, same jti',
      (s, t) => resigned(s, t, { iss: `${ISSUER}.evil` }),
      'IDENTITY_TOKEN_ISSUER',
    ],
    [
      'a payload changed under the original signature',
      async (_s, t) => tampered(t, { sub: 'mallory' }),
      'IDENTITY_TOKEN_SIGNATURE',
    ],
    [
      'another login id under the original signature',
      async (_s, t) => tampered(t, { sid: 'Z'.repeat(32) }),
      'IDENTITY_TOKEN_SIGNATURE',
    ],
  ])('refuses, cached or not, once %s', async (_name, change, code) => {
    const s = await setup();
    const login = await s.sessions.create(claimsToSubject({ sub: 'alice' }), 'device');
    const { token } = await s.cached.issue(login);
    expect(await outcome(s.cached, token)).toMatch(/^accepted/); // now cached
    const presented = await change(s, token, login);
    expect([await outcome(s.cached, presented), await outcome(s.full, presented)]).toEqual([
      `refused ${code}`,
      `refused ${code}`,
    ]);
  });

  it('never decides differently from the full check, whatever happens in between (property)', async () => {
    type Op =
      | { issue: number }
      | { verify: number }
      | { advance: number }
      | { revoke: number }
      | { forge: number; how: 'aud' | 'tamper' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ issue: fc.nat(1) }),
      fc.record({ verify: fc.nat(7) }),
      fc.record({ verify: fc.nat(7) }),
      fc.record({ advance: fc.integer({ min: -8_000, max: 12_000 }) }),
      fc.record({ revoke: fc.nat(1) }),
      fc.record({ forge: fc.nat(7), how: fc.constantFrom<'aud' | 'tamper'>('aud', 'tamper') }),
    );
    let verified = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const s = await setup();
        const logins = [
          await s.sessions.create(claimsToSubject({ sub: 'alice' }), 'device'),
          await s.sessions.create(claimsToSubject({ sub: 'bob' }), 'oidc'),
        ];
        const tokens: string[] = [(await s.cached.issue(logins[0]!)).token];
        for (const o of ops) {
          if ('issue' in o) tokens.push((await s.cached.issue(logins[o.issue]!)).token);
          else if ('advance' in o) s.clock.advance(o.advance);
          else if ('revoke' in o) await s.sessions.revoke(logins[o.revoke]!.sid);
          else if ('forge' in o) {
            const t = tokens[o.forge % tokens.length]!;
            tokens.push(
              o.how === 'aud' ? await resigned(s, t, { aud: 'other-api' }) : tampered(t, { sub: 'eve' }),
            );
          } else {
            const t = tokens[o.verify % tokens.length]!;
            const viaCache = await outcome(s.cached, t);
            expect(viaCache).toBe(await outcome(s.full, t));
            verified++;
          }
        }
      }),
      { numRuns: 60 },
    );
    expect(verified).toBeGreaterThan(0);
  });
});
