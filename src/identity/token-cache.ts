import { createHash } from 'node:crypto';
import type { Clock } from '../core';

/**
 * What the signature and claim checks established about a gateway token: everything
 * except whether its login is still live, which is asked of the store on every
 * request (revocation stays immediate on every replica).
 */
export interface VerifiedClaims {
  readonly sub: string;
  readonly sid: string;
  readonly jti: string;
  /** The token's `exp`, epoch milliseconds. */
  readonly expiresAt: number;
}

export interface VerifiedTokenCacheOptions {
  clock: Clock;
  /** How long a verification is reused (a few seconds); 0 turns the cache off. */
  ttlMs: number;
  /** Bound on the entries kept; the least recently used goes first. */
  maxEntries: number;
}

export interface VerifiedTokenCache {
  /**
   * The claims of exactly this token string when it passed full verification less than
   * `ttlMs` ago and is before its `exp`; otherwise null (then verify it in full).
   */
  get(token: string): VerifiedClaims | null;
  /** Remembers a token that has just passed full verification. */
  put(token: string, claims: VerifiedClaims): void;
  readonly size: number;
}

interface Entry {
  readonly claims: VerifiedClaims;
  readonly storedAt: number;
  /** Reuse ends here: storedAt + ttl, never after the token's exp. */
  readonly until: number;
}

/** SHA-256 of the whole token: a forged or altered token never matches a verified one. */
const digestOf = (token: string): string => createHash('sha256').update(token).digest('base64');

/**
 * A short-lived, bounded (LRU) in-process memo of gateway tokens whose signature and
 * claims verified. It is keyed by a digest of the whole token rather than its `jti`
 * (anyone can mint a token carrying a known jti; only the holder has the signed
 * string). It answers only within [storedAt, min(storedAt + ttl, exp)), so it never
 * accepts a token past its exp (the full check even allows 5 s of clock skew), and a
 * clock that went back is a miss. Nothing here decides revocation.
 */
export function createVerifiedTokenCache(options: VerifiedTokenCacheOptions): VerifiedTokenCache {
  if (!Number.isInteger(options.ttlMs) || options.ttlMs < 0)
    throw new TypeError('verified token cache: ttlMs must be an integer >= 0');
  if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1)
    throw new TypeError('verified token cache: maxEntries must be an integer >= 1');
  const entries = new Map<string, Entry>();
  const enabled = options.ttlMs > 0;
  return {
    get(token) {
      if (!enabled || entries.size === 0) return null;
      const key = digestOf(token);
      const hit = entries.get(key);
      if (!hit) return null;
      const now = options.clock.now();
      entries.delete(key);
      if (now < hit.storedAt || now >= hit.until) return null;
      entries.set(key, hit); // most recently used last
      return hit.claims;
    },
    put(token, claims) {
      if (!enabled) return;
      const now = options.clock.now();
      const until = Math.min(now + options.ttlMs, claims.expiresAt);
      const key = digestOf(token);
      // The latest full check decides: an uncacheable result also drops an older entry.
      entries.delete(key);
      if (!(until > now)) return;
      entries.set(key, { claims: Object.freeze({ ...claims }), storedAt: now, until });
      while (entries.size > options.maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}
