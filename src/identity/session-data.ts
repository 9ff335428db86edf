import type { Request } from 'express';
import type {} from 'express-session';

/** What a browser session holds about its login (server-side, in the store). */
export interface SessionLogin {
  /** Id of the login (LoginSession.sid): API tokens minted from this session carry it. */
  sid: string;
  sub: string;
  /** Epoch ms; the session ends then at the latest (absolute lifetime). */
  expiresAt: number;
  /** The IdP's ID token, sent back as id_token_hint at RP-initiated logout. */
  idToken?: string;
}

declare module 'express-session' {
  interface SessionData {
    login?: SessionLogin;
    /** Synchronizer CSRF token of this session. */
    csrf?: string;
    /** Where to go after login (a same-origin path, checked). */
    returnTo?: string;
  }
}

export const regenerateSession = (req: Request): Promise<void> =>
  new Promise((resolve, reject) => req.session.regenerate((err: unknown) => (err ? reject(err) : resolve())));

export const saveSession = (req: Request): Promise<void> =>
  new Promise((resolve, reject) => req.session.save((err: unknown) => (err ? reject(err) : resolve())));

export const destroySession = (req: Request): Promise<void> =>
  new Promise((resolve, reject) =>
    req.session ? req.session.destroy((err: unknown) => (err ? reject(err) : resolve())) : resolve(),
  );
