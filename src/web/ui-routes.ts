import { Router, type Request } from 'express';
import { BreakglassError } from '../errors';
import type { Random } from '../core';
import type { Identity, Subject } from '../identity';
import { csrfToken } from './csrf';
import { homePage, logoutPage } from './pages';

function loginOf(identity: Identity) {
  if (!identity.oidc) {
    throw new BreakglassError(
      'IDENTITY_NOT_CONFIGURED',
      'no OpenID Connect provider is configured (identity.oidc.issuer), so nobody can log in; see docs/identity.md',
    );
  }
  return identity.oidc.login;
}

/** The browser routes of identity: home, login, callback, logout. CSRF is checked app-wide before them. */
export function uiRoutes(deps: {
  identity: Identity;
  random: Random;
  loginLimit: import('express').RequestHandler;
}): Router {
  const { identity } = deps;
  const router = Router();

  const currentSubject = async (req: Request): Promise<Subject | null> => {
    if (!req.session?.login) return null;
    try {
      return (await identity.authenticator.authenticate(req))?.subject ?? null;
    } catch {
      return null; // an ended login shows the logged-out page
    }
  };

  router.get('/', async (req, res, next) => {
    try {
      const subject = await currentSubject(req);
      res.type('html').send(
        homePage({
          subject,
          csrf: subject ? csrfToken(req, deps.random) : undefined,
          loginAvailable: identity.oidc !== null,
        }),
      );
    } catch (err) {
      next(err);
    }
  });

  router.get('/auth/login', deps.loginLimit, (req, res, next) => {
    try {
      void loginOf(identity).start(req, res, next);
    } catch (err) {
      next(err);
    }
  });

  router.get('/auth/callback', deps.loginLimit, (req, res, next) => {
    try {
      void loginOf(identity).callback(req, res, next);
    } catch (err) {
      next(err);
    }
  });

  router.get('/auth/logout', (req, res) => {
    res.type('html').send(logoutPage(csrfToken(req, deps.random)));
  });

  router.post('/auth/logout', async (req, res, next) => {
    try {
      if (identity.oidc) await identity.oidc.login.logout(req, res);
      else res.redirect(303, '/');
    } catch (err) {
      next(err);
    }
  });

  return router;
}
