export { createApp, type AppDeps, type UiContext, type UiRouterFactory } from './app';
export { createWebServer, type WebServer, type WebServerDeps } from './server';
export { errorHandler, notFound } from './errors';
export { healthRoutes, type ReadinessCheck } from './health';
export { requestId } from './request-id';
export { csrfGuard, csrfToken, CSRF_HEADER, CSRF_FIELD } from './csrf';
export { rateLimit, rateLimitCounter } from './rate-limit';
export { BreakglassSessionStore, WEB_SESSIONS_NS } from './session-store';
export { loadTls, ensureDevCertificate, DEV_CERT_FILE, DEV_KEY_FILE, type TlsMaterial } from './tls';
export {
  defineRoute,
  expressPath,
  API_PREFIX,
  type ApiRoute,
  type ApiContext,
  type HttpMethod,
} from './api/route';
export { buildOpenApi } from './api/openapi';
export { layout, escapeHtml } from './pages';

/**
 * Configuration overrides for `serve --dev`: a development certificate (HTTPS) and the
 * development IdP with demo users. Merge them under the user's file and environment.
 */
export const DEV_CONFIG_OVERRIDES = Object.freeze({
  server: { tls: { dev_certificate: true } },
  identity: { dev_idp: { enabled: true } },
});
export { accessRoutes, type AccessRouteDeps } from './api/access';
