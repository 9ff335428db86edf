import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import session from 'express-session';
import { systemClock, systemRandom, type Clock, type Random } from '../core';
import type { Config } from '../config';
import { requireSubject, type Identity } from '../identity';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import type { Store } from '../store';
import { identityRoutes } from './api/identity-routes';
import { mountApiRoutes } from './api/mount';
import { buildOpenApi } from './api/openapi';
import { API_PREFIX, expressPath, type ApiRoute } from './api/route';
import { csrfGuard, csrfToken } from './csrf';
import { errorHandler, notFound } from './errors';
import { healthRoutes, type ReadinessCheck } from './health';
import { rateLimit } from './rate-limit';
import { requestId } from './request-id';
import { securityHeaders } from './security';
import { BreakglassSessionStore } from './session-store';
import { staticAssets } from './static';
import { uiRoutes } from './ui-routes';

/** What a page router of another capability gets: authentication and the CSRF token for its forms. */
export interface UiContext {
  identity: Identity;
  /** Sets req.subject or sends the browser to the login page (and back afterwards). */
  requireSubject(): RequestHandler;
  /** The session's CSRF token, for forms (`_csrf`) and the `csrf-token` meta tag. */
  csrfToken(req: Request): string;
}

export type UiRouterFactory = (ctx: UiContext) => Router;

export interface AppDeps {
  config: Readonly<Config>;
  logger: Logger;
  store: Store;
  metrics: Metrics;
  /**
   * Login, sessions and tokens. Without it the app serves only health, metrics and
   * static files (everything else is 404); `createWebServer` always provides it.
   */
  identity?: Identity;
  /** Keys that sign session cookies (first signs, all verify); required with `identity`. */
  sessionSecrets?: string[];
  /** Whether users reach the server over HTTPS (cookies get Secure, HSTS is sent). */
  https?: boolean;
  readiness?: ReadinessCheck[];
  /** More rows of the API route table (other capabilities); described in /api/v1/openapi.json. */
  apiRoutes?: ApiRoute[];
  /** More browser routers (pages), mounted after the identity pages; they get sessions and CSRF checks. */
  uiRouters?: UiRouterFactory[];
  version?: string;
  clock?: Clock;
  random?: Random;
}

/**
 * The express application: health and metrics (no session), security headers, static
 * assets, body parsers, sessions, CSRF, the browser pages, the API route table, then
 * the one error handler.
 */
export function createApp(deps: AppDeps): Express {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? systemRandom;
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.server.trust_proxy > 0 ? config.server.trust_proxy : false);
  app.set('query parser', 'simple');
  app.use(requestId(deps.logger));
  app.use(healthRoutes({ store: deps.store, metrics: deps.metrics, checks: deps.readiness }));
  const identity = deps.identity;
  if (!identity) {
    app.use(securityHeaders({ https: deps.https ?? false, formTargets: () => [] }));
    app.use('/static', staticAssets());
    app.use(notFound());
    app.use(errorHandler());
    return app;
  }
  if (!deps.sessionSecrets?.length)
    throw new TypeError('createApp: sessionSecrets are required with identity');

  const idpOrigins = (): string[] => {
    const meta = identity.oidc?.discovery.peek();
    const urls = [identity.oidc?.settings.issuer, meta?.end_session_endpoint].filter(
      (u): u is string => typeof u === 'string',
    );
    return [...new Set(urls.map((u) => new URL(u).origin))];
  };
  app.use(securityHeaders({ https: deps.https ?? false, formTargets: idpOrigins }));
  // API answers (tokens among them) and pages with a session are never cached (RFC 6749 §5.1).
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/static/')) res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use('/static', staticAssets());

  const limit = config.server.body_limit_bytes;
  app.use(express.json({ limit, strict: true }));
  const forms = express.urlencoded({ extended: false, limit, parameterLimit: 50 });
  app.use((req: Request, res: Response, next: NextFunction) =>
    req.path.startsWith('/api/') ? next() : forms(req, res, next),
  );

  const browserSessions = session({
    name: identity.cookieName,
    secret: deps.sessionSecrets,
    store: new BreakglassSessionStore({ store: deps.store, clock, idleTimeoutMs: identity.idleTimeoutMs }),
    resave: false,
    saveUninitialized: false,
    rolling: true,
    unset: 'destroy',
    proxy: config.server.trust_proxy > 0 ? true : undefined,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.https,
      maxAge: identity.idleTimeoutMs,
      path: '/',
    },
  });
  // An API request with an Authorization header is authenticated by that header alone
  // (the cookie is ignored, CSRF does not apply): it neither reads nor writes nor creates
  // a browser session, and gets no cookie. Everything else, cookie-authenticated API
  // calls among them, goes through the session and then the CSRF guard.
  app.use((req: Request, res: Response, next: NextFunction) =>
    req.headers.authorization !== undefined && req.path.startsWith('/api/')
      ? next()
      : browserSessions(req, res, next),
  );

  const limits = {
    login: rateLimit({
      store: deps.store,
      name: 'login',
      max: config.identity.rate_limits.login.max,
      windowMs: config.identity.rate_limits.login.window,
      clock,
    }),
    api: rateLimit({
      store: deps.store,
      name: 'api',
      max: config.identity.rate_limits.api.max,
      windowMs: config.identity.rate_limits.api.window,
      clock,
    }),
  };

  const routes: ApiRoute[] = [];
  let openapi: Record<string, unknown> | null = null;
  routes.push(
    ...identityRoutes({
      identity,
      openapi: () =>
        (openapi ??= buildOpenApi(routes, {
          version: deps.version ?? '0.0.0',
          cookieName: identity.cookieName,
        })),
      csrfTokenOf: (req) => csrfToken(req, random),
    }),
    ...(deps.apiRoutes ?? []),
  );
  const exempt = routes
    .filter((r) => r.csrfExempt)
    .map((r) => ({
      method: r.method.toUpperCase(),
      path: new RegExp(
        `^${(API_PREFIX + expressPath(r.path)).replace(/[.]/g, '\\.').replace(/:[A-Za-z_][A-Za-z0-9_]*/g, '[^/]+')}/?$`,
      ),
    }));
  app.use(
    csrfGuard({ exempt: (req) => exempt.some((e) => e.method === req.method && e.path.test(req.path)) }),
  );

  app.use(uiRoutes({ identity, random, loginLimit: limits.login }));
  mountApiRoutes(app, routes, { authenticator: identity.authenticator, limits });
  const ui: UiContext = {
    identity,
    requireSubject: () => requireSubject(identity.authenticator, { loginRedirect: true }),
    csrfToken: (req) => csrfToken(req, random),
  };
  for (const factory of deps.uiRouters ?? []) app.use(factory(ui));

  app.use(notFound());
  app.use(errorHandler());
  return app;
}
