import type { NextFunction, Request, Response } from 'express';
import { Passport } from 'passport';
import { Strategy as OidcStrategy } from 'passport-openidconnect';
import { BreakglassError, isBreakglassError } from '../errors';
import { randomId, type Random } from '../core';
import type { Logger } from '../logging';
import { ANONYMOUS, userActor, type AuditSink } from './audit-sink';
import type { OidcMetadata } from './discovery';
import type { IdpClient } from './idp';
import { loginClaims } from './login-claims';
import type { LoginSessions } from './login-sessions';
import { safeReturnPath } from './return-url';
import { destroySession, regenerateSession, saveSession } from './session-data';
import type { ClaimMapping, Subject } from './subject';

export interface OidcLoginDeps {
  idp: IdpClient;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  scopes: readonly string[];
  mapping: ClaimMapping;
  useUserinfo: boolean;
  endSession: boolean;
  sessions: LoginSessions;
  audit: AuditSink;
  random: Random;
  logger: Logger;
  cookieName: string;
}

export interface OidcLogin {
  /** GET /auth/login?return_to=/path: remembers the (checked) return path, redirects to the IdP. */
  start(req: Request, res: Response, next: NextFunction): Promise<void>;
  /** GET /auth/callback: checks state and nonce, verifies the ID token, rotates the session id, records the login. */
  callback(req: Request, res: Response, next: NextFunction): Promise<void>;
  /** Ends the login and the browser session; redirects to the IdP's end_session_endpoint when there is one. */
  logout(req: Request, res: Response): Promise<void>;
}

const STRATEGY = 'oidc';

export function createOidcLogin(deps: OidcLoginDeps): OidcLogin {
  const passport = new Passport();
  let strategyMeta: OidcMetadata | null = null;

  const ensureStrategy = async () => {
    const meta = await deps.idp.discovery.get();
    if (strategyMeta === meta) return;
    const strategy = new OidcStrategy(
      {
        issuer: meta.issuer,
        authorizationURL: meta.authorization_endpoint,
        tokenURL: meta.token_endpoint,
        clientID: deps.clientId,
        clientSecret: deps.clientSecret,
        callbackURL: deps.redirectUri,
        scope: deps.scopes.filter((s) => s !== 'openid'),
        nonce: true,
        passReqToCallback: true,
        skipUserProfile: true, // userinfo is fetched by loginClaims, with a deadline
        sessionKey: 'oidc',
      },
      // passport-openidconnect picks the arguments by this function's arity (10).
      function verify(
        _req: unknown,
        _iss: unknown,
        _uiProfile: unknown,
        _idProfile: unknown,
        _context: unknown,
        idToken: unknown,
        accessToken: unknown,
        _refreshToken: unknown,
        params: unknown,
        done: unknown,
      ) {
        const finish = done as (err: unknown, user?: unknown, info?: unknown) => void;
        loginClaims({
          idp: deps.idp,
          tokenResponse: { ...(params as Record<string, unknown>), access_token: accessToken },
          idToken: idToken as string,
          mapping: deps.mapping,
          useUserinfo: deps.useUserinfo,
        }).then(
          (subject) => finish(null, { subject, idToken }),
          (err: unknown) => finish(err),
        );
      },
    );
    passport.use(STRATEGY, strategy);
    strategyMeta = meta;
  };

  const failed = async (req: Request, error: BreakglassError) => {
    req.log?.warn('login failed', { code: error.code, reason: error.message });
    await deps.audit.append({
      type: 'login.failed',
      actor: ANONYMOUS,
      data: { method: 'oidc', reason: error.message, ip: req.ip ?? null },
    });
  };

  const succeeded = async (req: Request, res: Response, subject: Subject, idToken: string) => {
    const returnTo = safeReturnPath(req.session.returnTo) ?? '/';
    const login = await deps.sessions.create(subject, 'oidc');
    try {
      await deps.audit.append({
        type: 'login',
        actor: userActor(subject),
        data: {
          method: 'oidc',
          sub: subject.sub,
          groups: [...subject.groups],
          amr: [...subject.amr],
          ip: req.ip ?? null,
        },
      });
    } catch (err) {
      await deps.sessions.revoke(login.sid); // no audit entry, no login (fail closed)
      throw err;
    }
    // A new session id at login: a session id planted before login is worthless (fixation).
    await regenerateSession(req);
    req.session.login = { sid: login.sid, sub: subject.sub, expiresAt: login.expiresAt, idToken };
    req.session.csrf = randomId(deps.random, 32);
    await saveSession(req);
    req.log?.info('login', { sub: subject.sub, method: 'oidc' });
    res.redirect(303, returnTo);
  };

  return {
    async start(req, res, next) {
      try {
        await ensureStrategy();
        req.session.returnTo = safeReturnPath(req.query.return_to) ?? '/';
        passport.authenticate(STRATEGY, { session: false })(req, res, next);
      } catch (err) {
        next(err);
      }
    },

    async callback(req, res, next) {
      try {
        await ensureStrategy();
      } catch (err) {
        next(err);
        return;
      }
      const onResult = (
        err: unknown,
        user: { subject: Subject; idToken: string } | false,
        info?: { message?: string },
      ) => {
        (async () => {
          if (err || !user) {
            const error = loginError(err, info);
            await failed(req, error);
            throw error;
          }
          await succeeded(req, res, user.subject, user.idToken);
        })().catch(next);
      };
      passport.authenticate(STRATEGY, { session: false }, onResult)(req, res, next);
    },

    async logout(req, res) {
      const login = req.session?.login;
      let location = '/';
      if (login) {
        const ended = await deps.sessions.get(login.sid);
        await deps.sessions.revoke(login.sid);
        await deps.audit.append({
          type: 'logout',
          actor: ended ? userActor(ended.subject) : `user:${login.sub}`,
          data: { reason: 'user logged out', method: 'oidc', sub: login.sub },
        });
        if (deps.endSession) location = (await endSessionUrl(deps, login.idToken)) ?? '/';
      }
      await destroySession(req);
      res.clearCookie(deps.cookieName, { path: '/' });
      res.redirect(303, location);
    },
  };
}

async function endSessionUrl(deps: OidcLoginDeps, idToken: string | undefined): Promise<string | null> {
  let meta: OidcMetadata;
  try {
    meta = await deps.idp.discovery.get();
  } catch (err) {
    deps.logger.warn('cannot reach the IdP to end its session; the Breakglass session is ended', { err });
    return null;
  }
  if (!meta.end_session_endpoint) return null;
  const url = new URL(meta.end_session_endpoint);
  if (idToken) url.searchParams.set('id_token_hint', idToken);
  url.searchParams.set('client_id', deps.clientId);
  url.searchParams.set('post_logout_redirect_uri', deps.postLogoutRedirectUri);
  return url.toString();
}

/** Turns passport-openidconnect's failures into coded errors. */
function loginError(err: unknown, info?: { message?: string }): BreakglassError {
  if (isBreakglassError(err)) return err;
  if (err) {
    const e = err as { name?: string; code?: string; message?: string };
    if (e.name === 'InternalOAuthError')
      return new BreakglassError(
        'IDENTITY_IDP_UNAVAILABLE',
        "the IdP's token endpoint could not be reached",
        { cause: err },
      );
    if (e.name === 'TokenError')
      return new BreakglassError(
        'IDENTITY_IDP_ERROR',
        `the IdP refused the authorization code (${String(e.code ?? 'error')})`,
        { cause: err },
      );
    if (e.name === 'AuthorizationError')
      return new BreakglassError(
        'IDENTITY_LOGIN_FAILED',
        `the IdP reported ${String(e.code ?? 'an error')}`,
        { cause: err },
      );
    return new BreakglassError('IDENTITY_LOGIN_FAILED', 'the login could not be completed', { cause: err });
  }
  const message = typeof info?.message === 'string' ? info.message : '';
  if (/state/i.test(message)) {
    return new BreakglassError(
      'IDENTITY_STATE_MISMATCH',
      'the login callback does not belong to a login started in this browser session (state mismatch); start again',
    );
  }
  return new BreakglassError(
    'IDENTITY_LOGIN_FAILED',
    message ? `the login was refused: ${message.slice(0, 200)}` : 'the login was refused',
  );
}
