import session, { type SessionData } from 'express-session';
import type { Clock } from '../core';
import type { Store } from '../store';

export const WEB_SESSIONS_NS = 'web-sessions';
const MAX_TRACKED = 10_000;

type Callback = (err?: unknown) => void;

/**
 * express-session's store over the Breakglass store: one record per session, its TTL
 * the cookie's remaining life (capped by the login's absolute end), so sessions expire
 * in the store by themselves on every driver. `touch` (every request, since the
 * cookie rolls) rewrites the record at most once per `touchEveryMs`.
 */
export class BreakglassSessionStore extends session.Store {
  private readonly lastWrite = new Map<string, number>();

  constructor(
    private readonly deps: { store: Store; clock: Clock; idleTimeoutMs: number; touchEveryMs?: number },
  ) {
    super();
  }

  private ttlFor(sess: SessionData): number {
    const now = this.deps.clock.now();
    const expires = sess.cookie?.expires
      ? new Date(sess.cookie.expires).getTime()
      : now + this.deps.idleTimeoutMs;
    let end = Number.isFinite(expires) ? expires : now + this.deps.idleTimeoutMs;
    if (sess.login?.expiresAt !== undefined) end = Math.min(end, sess.login.expiresAt);
    return end - now;
  }

  private remember(sid: string): void {
    if (this.lastWrite.size >= MAX_TRACKED) this.lastWrite.clear();
    this.lastWrite.set(sid, this.deps.clock.now());
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    this.deps.store.get(WEB_SESSIONS_NS, sid).then(
      (rec) => {
        if (!rec) return callback(null, null);
        let data: SessionData | null = null;
        try {
          data = JSON.parse(rec.value) as SessionData;
        } catch {
          data = null;
        }
        callback(null, data);
      },
      (err: unknown) => callback(err),
    );
  }

  override set(sid: string, sess: SessionData, callback?: Callback): void {
    const ttlMs = this.ttlFor(sess);
    const done = callback ?? (() => undefined);
    if (ttlMs <= 0) {
      this.destroy(sid, done);
      return;
    }
    this.deps.store.put(WEB_SESSIONS_NS, sid, JSON.stringify(sess), { ttlMs }).then(
      () => {
        this.remember(sid);
        done();
      },
      (err: unknown) => done(err),
    );
  }

  override touch(sid: string, sess: SessionData, callback?: () => void): void {
    const last = this.lastWrite.get(sid);
    const every = this.deps.touchEveryMs ?? Math.min(60_000, Math.floor(this.deps.idleTimeoutMs / 10));
    if (last !== undefined && this.deps.clock.now() - last < every) {
      callback?.();
      return;
    }
    // Only rewrite a session that still exists (a logout elsewhere must not be undone).
    const ttlMs = this.ttlFor(sess);
    this.deps.store
      .get(WEB_SESSIONS_NS, sid)
      .then(async (rec) => {
        if (!rec || ttlMs <= 0) return;
        await this.deps.store.put(WEB_SESSIONS_NS, sid, JSON.stringify(sess), {
          ttlMs,
          ifVersion: rec.version,
        });
        this.remember(sid);
      })
      .catch(() => undefined) // a lost touch only shortens the idle window; the next request tries again
      .finally(() => callback?.());
  }

  override destroy(sid: string, callback?: Callback): void {
    this.lastWrite.delete(sid);
    this.deps.store.delete(WEB_SESSIONS_NS, sid).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }
}
