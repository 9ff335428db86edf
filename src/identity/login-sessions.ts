import { randomId, type Clock, type Random } from '../core';
import type { Store } from '../store';
import type { Subject } from './subject';

/** One login (browser or CLI). API tokens carry its id (`sid`); ending it revokes them. */
export interface LoginSession {
  readonly sid: string;
  readonly subject: Subject;
  readonly method: 'oidc' | 'device';
  readonly createdAt: number;
  readonly expiresAt: number;
}

export const LOGIN_SESSIONS_NS = 'identity-logins';
const SID_RE = /^[A-Za-z0-9_-]{16,64}$/;

export interface LoginSessions {
  create(subject: Subject, method: LoginSession['method']): Promise<LoginSession>;
  /** The live login, or null when unknown, ended or past its absolute lifetime. */
  get(sid: string): Promise<LoginSession | null>;
  /** Ends a login; resolves true if it was live. Every replica sees it at once (the store is shared). */
  revoke(sid: string): Promise<boolean>;
}

export function createLoginSessions(deps: {
  store: Store;
  clock: Clock;
  random: Random;
  absoluteLifetimeMs: number;
}): LoginSessions {
  return {
    async create(subject, method) {
      const now = deps.clock.now();
      const session: LoginSession = {
        sid: randomId(deps.random, 24),
        subject,
        method,
        createdAt: now,
        expiresAt: now + deps.absoluteLifetimeMs,
      };
      await deps.store.put(LOGIN_SESSIONS_NS, session.sid, JSON.stringify(session), {
        ifVersion: 0,
        ttlMs: deps.absoluteLifetimeMs,
      });
      return session;
    },
    async get(sid) {
      if (typeof sid !== 'string' || !SID_RE.test(sid)) return null;
      const rec = await deps.store.get(LOGIN_SESSIONS_NS, sid);
      if (!rec) return null;
      const session = JSON.parse(rec.value) as LoginSession;
      if (session.sid !== sid || deps.clock.now() >= session.expiresAt) return null;
      return session;
    },
    async revoke(sid) {
      if (typeof sid !== 'string' || !SID_RE.test(sid)) return false;
      return deps.store.delete(LOGIN_SESSIONS_NS, sid);
    },
  };
}
