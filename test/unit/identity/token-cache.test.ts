import fc from 'fast-check';
import { createFakeClock } from '../../../src/core';
import { createVerifiedTokenCache, type VerifiedClaims } from '../../../src/identity';

const T0 = Date.UTC(2026, 0, 1);
const claims = (jti: string, expiresAt: number): VerifiedClaims => ({
  sub: 'alice',
  sid: 'S'.repeat(32),
  jti,
  expiresAt,
});

describe('the verified gateway token cache', () => {
  it.each<[string, { ttlMs: number; exp: number; at: number }, boolean]>([
    ['reuses a check right after it', { ttlMs: 5000, exp: T0 + 60_000, at: T0 }, true],
    ['reuses a check just before its TTL ends', { ttlMs: 5000, exp: T0 + 60_000, at: T0 + 4999 }, true],
    ['forgets a check once its TTL has ended', { ttlMs: 5000, exp: T0 + 60_000, at: T0 + 5000 }, false],
    [
      'reuses a check just before the token exp (exp before the TTL ends)',
      { ttlMs: 5000, exp: T0 + 2000, at: T0 + 1999 },
      true,
    ],
    [
      'forgets a check at the token exp, although the TTL runs longer',
      { ttlMs: 5000, exp: T0 + 2000, at: T0 + 2000 },
      false,
    ],
    ['keeps nothing for a token already past its exp', { ttlMs: 5000, exp: T0 - 1, at: T0 }, false],
    [
      'forgets a check when the clock went back before it',
      { ttlMs: 5000, exp: T0 + 60_000, at: T0 - 1 },
      false,
    ],
    ['keeps nothing with a TTL of 0 (turned off)', { ttlMs: 0, exp: T0 + 60_000, at: T0 }, false],
  ])('%s', (_name, { ttlMs, exp, at }, hit) => {
    const clock = createFakeClock(T0);
    const cache = createVerifiedTokenCache({ clock, ttlMs, maxEntries: 10 });
    cache.put('h.p.s', claims('j1', exp));
    clock.set(at);
    expect(cache.get('h.p.s')).toEqual(hit ? claims('j1', exp) : null);
  });

  it('answers only for the exact token string, never for another token with the same jti', () => {
    const cache = createVerifiedTokenCache({ clock: createFakeClock(T0), ttlMs: 5000, maxEntries: 10 });
    cache.put('header.payload.signature', claims('same-jti', T0 + 60_000));
    for (const other of ['header.payload.signaturf', 'header.payload2.signature', 'header.payload.', ''])
      expect(cache.get(other)).toBeNull();
    expect(cache.get('header.payload.signature')?.jti).toBe('same-jti');
  });

  it('keeps at most maxEntries, dropping the least recently used first', () => {
    const cache = createVerifiedTokenCache({ clock: createFakeClock(T0), ttlMs: 5000, maxEntries: 3 });
    for (const t of ['a', 'b', 'c']) cache.put(t, claims(t, T0 + 60_000));
    expect(cache.get('a')).not.toBeNull(); // a is now the most recently used
    cache.put('d', claims('d', T0 + 60_000));
    expect(cache.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((t) => cache.get(t) !== null)).toEqual([true, false, true, true]);
  });

  it.each([
    [{ ttlMs: -1, maxEntries: 1 }],
    [{ ttlMs: 1.5, maxEntries: 1 }],
    [{ ttlMs: 1000, maxEntries: 0 }],
  ])('refuses the options %j at start-up (TypeError)', (opts) => {
    expect(() => createVerifiedTokenCache({ clock: createFakeClock(T0), ...opts })).toThrow(TypeError);
  });

  it('never answers outside [stored, min(stored + TTL, exp)) of the latest full check, nor above its bound (property)', () => {
    const op = fc.oneof(
      fc.record({ put: fc.nat(5), expIn: fc.integer({ min: -1000, max: 20_000 }) }),
      fc.record({ get: fc.nat(5) }),
      fc.record({ advance: fc.integer({ min: -3000, max: 4000 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(op, { maxLength: 60 }),
        (ttlMs, maxEntries, ops) => {
          const clock = createFakeClock(T0);
          const cache = createVerifiedTokenCache({ clock, ttlMs, maxEntries });
          const latest = new Map<string, { claims: VerifiedClaims; at: number }>();
          for (const o of ops) {
            if ('put' in o) {
              const token = `tok-${o.put}`;
              const c = claims(`jti-${o.put}-${clock.now()}`, clock.now() + o.expIn);
              cache.put(token, c);
              latest.set(token, { claims: c, at: clock.now() });
            } else if ('advance' in o) {
              clock.advance(o.advance);
            } else {
              const token = `tok-${o.get}`;
              const got = cache.get(token);
              if (got !== null) {
                const l = latest.get(token)!;
                expect(got).toEqual(l.claims);
                expect(clock.now()).toBeGreaterThanOrEqual(l.at);
                expect(clock.now()).toBeLessThan(Math.min(l.at + ttlMs, l.claims.expiresAt));
              }
            }
            expect(cache.size).toBeLessThanOrEqual(maxEntries);
          }
        },
      ),
    );
  });
});
