import type { NextFunction, Request, Response } from 'express';
import { BreakglassError } from '../errors';
import type { Clock } from '../core';
import type { LoginSessions } from './login-sessions';
import type { Subject } from './subject';
import type { ApiTokens } from './tokens';

/** How a request proved who it is. */
export interface Auth {
  readonly kind: 'session' | 'gateway-token' | 'idp-token';
  readonly subject: Subject;
  /** The login (LoginSession.sid) for sessions and gateway tokens. */
  readonly sid?: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by requireSubject(): who is calling. */
    subject?: Subject;
    /** Set by requireSubject(): how the caller authenticated. */
    auth?: Auth;
  }
}

const BEARER_RE = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i;

export interface Authenticator {
  /**
   * The caller of a request: a bearer token when an Authorization header is present
   * (the session cookie is then ignored), else the browser session's login. Null when
   * neither is present; throws a coded 401 when what is present is not valid.
   */
  authenticate(req: Request): Promise<Auth | null>;
}

export function createAuthenticator(deps: {
  tokens: ApiTokens;
  sessions: LoginSessions;
  clock: Clock;
}): Authenticator {
  return {
    async authenticate(req) {
      const header = req.headers.authorization;
      if (header !== undefined) {
        const m = BEARER_RE.exec(header);
        if (!m)
          throw new BreakglassError(
            'IDENTITY_UNAUTHENTICATED',
            'the Authorization header must be "Bearer <token>"',
          );
        const verified = await deps.tokens.verify(m[1]!);
        return {
          kind: verified.kind,
          subject: verified.subject,
          ...(verified.sid ? { sid: verified.sid } : {}),
        };
      }
      const login = req.session?.login;
      if (!login) return null;
      const live = deps.clock.now() < login.expiresAt ? await deps.sessions.get(login.sid) : null;
      if (!live || live.subject.sub !== login.sub) {
        delete req.session.login;
        throw new BreakglassError(
          'IDENTITY_SESSION_EXPIRED',
          'your login has ended (logged out, or past its lifetime); log in again',
        );
      }
      return { kind: 'session', subject: live.subject, sid: live.sid };
    },
  };
}

/**
 * Middleware: sets `req.subject` and `req.auth` from a bearer token or the browser
 * session, or fails with IDENTITY_UNAUTHENTICATED (401). With `loginRedirect`, a
 * browser asking for a page is sent to the login page instead (and back afterwards).
 */
export function requireSubject(authenticator: Authenticator, options: { loginRedirect?: boolean } = {}) {
  return (req: Request, res: Response, next: NextFunction): void => {
    authenticator.authenticate(req).then(
      (auth) => {
        if (auth) {
          req.auth = auth;
          req.subject = auth.subject;
          next();
          return;
        }
        if (options.loginRedirect && req.method === 'GET' && req.accepts('html')) {
          res.redirect(303, `/auth/login?return_to=${encodeURIComponent(req.originalUrl)}`);
          return;
        }
        res.setHeader('WWW-Authenticate', 'Bearer realm="breakglass"');
        next(
          new BreakglassError(
            'IDENTITY_UNAUTHENTICATED',
            'log in first: this needs a browser session or an Authorization: Bearer token',
          ),
        );
      },
      (err: unknown) => {
        const code = String((err as { code?: string }).code ?? '');
        if (code.startsWith('IDENTITY_TOKEN_') || code === 'IDENTITY_UNAUTHENTICATED') {
          res.setHeader('WWW-Authenticate', 'Bearer realm="breakglass", error="invalid_token"');
        }
        if (
          options.loginRedirect &&
          req.method === 'GET' &&
          req.accepts('html') &&
          code === 'IDENTITY_SESSION_EXPIRED'
        ) {
          res.redirect(303, `/auth/login?return_to=${encodeURIComponent(req.originalUrl)}`);
          return;
        }
        next(err);
      },
    );
  };
}
