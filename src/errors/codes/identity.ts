import { defineCodes } from './types';

/** Error codes of the identity capability and the web gateway (prefix IDENTITY_). */
export const IDENTITY_CODES = defineCodes({
  IDENTITY_NOT_CONFIGURED: {
    status: 503,
    expose: true,
    doc: 'No OpenID Connect provider is configured (identity.oidc.issuer, client_id, client_secret), so nobody can log in; configure one or enable the development IdP.',
  },
  IDENTITY_IDP_UNAVAILABLE: {
    status: 503,
    expose: true,
    doc: 'The IdP did not answer (discovery, keys, token or device endpoint) within identity.oidc timeouts; nothing was changed, try again.',
  },
  IDENTITY_IDP_ERROR: {
    status: 502,
    expose: true,
    doc: 'The IdP answered with an error or an unusable document; the message quotes its error code.',
  },
  IDENTITY_LOGIN_FAILED: {
    status: 401,
    expose: true,
    doc: 'The login did not complete (the IdP refused it, or its ID token failed verification); start again from the login page.',
  },
  IDENTITY_STATE_MISMATCH: {
    status: 403,
    expose: true,
    doc: "The login callback's state does not match the one this browser session started with (tampered, replayed or from another browser); start again.",
  },
  IDENTITY_CLAIMS_INVALID: {
    status: 403,
    expose: true,
    doc: "The IdP's claims cannot identify a user (no sub); check the IdP's client configuration.",
  },
  IDENTITY_EMAIL_UNVERIFIED: {
    status: 403,
    expose: true,
    doc: 'identity.oidc.require_email_verified is on and the IdP did not assert email_verified=true.',
  },
  IDENTITY_UNAUTHENTICATED: {
    status: 401,
    expose: true,
    doc: 'The request has no valid session or bearer token; log in (browser) or run `breakglass login` (CLI).',
  },
  IDENTITY_SESSION_EXPIRED: {
    status: 401,
    expose: true,
    doc: 'The login has passed its idle timeout or absolute lifetime, or was logged out; log in again.',
  },
  IDENTITY_TOKEN_MALFORMED: {
    status: 401,
    expose: true,
    doc: 'The bearer token is not a well-formed signed JWT (compact JWS with three parts).',
  },
  IDENTITY_TOKEN_ALGORITHM: {
    status: 401,
    expose: true,
    doc: "The token's alg is not accepted: `none` and HMAC are always refused; gateway tokens must be EdDSA, IdP tokens one of identity.oidc.api_algorithms.",
  },
  IDENTITY_TOKEN_SIGNATURE: {
    status: 401,
    expose: true,
    doc: "The token's signature does not verify with the issuer's keys (forged, altered, or signed by an unknown key).",
  },
  IDENTITY_TOKEN_EXPIRED: {
    status: 401,
    expose: true,
    doc: 'The token has expired (exp); get a new one (`breakglass login`).',
  },
  IDENTITY_TOKEN_NOT_YET_VALID: {
    status: 401,
    expose: true,
    doc: 'The token is not valid yet (nbf or iat in the future); check the clocks.',
  },
  IDENTITY_TOKEN_AUDIENCE: {
    status: 401,
    expose: true,
    doc: "The token's aud is not this API (breakglass-api for gateway tokens, identity.oidc.api_audience for IdP tokens).",
  },
  IDENTITY_TOKEN_ISSUER: {
    status: 401,
    expose: true,
    doc: "The token's iss is neither this gateway nor the configured IdP (or IdP tokens are not enabled: identity.oidc.api_audience).",
  },
  IDENTITY_TOKEN_CLAIMS: {
    status: 401,
    expose: true,
    doc: 'The token lacks a required claim (sub, exp, iat; sid for gateway tokens) or a claim has the wrong type.',
  },
  IDENTITY_TOKEN_REVOKED: {
    status: 401,
    expose: true,
    doc: 'The login this token belongs to has ended (logout or expiry); log in again.',
  },
  IDENTITY_CSRF_INVALID: {
    status: 403,
    expose: true,
    doc: 'A state-changing browser request lacks the CSRF token of its session (X-CSRF-Token header or _csrf form field), or it does not match; reload the page.',
  },
  IDENTITY_RATE_LIMITED: {
    status: 429,
    expose: true,
    doc: 'Too many requests from this address in the current window (identity.rate_limits); wait for the time in Retry-After.',
  },
  IDENTITY_DEVICE_PENDING: {
    status: 400,
    expose: true,
    doc: 'Device login: the user has not approved the code yet; keep polling at the given interval (authorization_pending).',
  },
  IDENTITY_DEVICE_SLOW_DOWN: {
    status: 400,
    expose: true,
    doc: 'Device login: polling too fast; add 5 seconds to the interval (slow_down).',
  },
  IDENTITY_DEVICE_EXPIRED: {
    status: 400,
    expose: true,
    doc: 'Device login: the code expired or was already used; run `breakglass login` again.',
  },
  IDENTITY_DEVICE_DENIED: {
    status: 403,
    expose: true,
    doc: 'Device login: the user refused the request at the IdP.',
  },
  IDENTITY_DEVICE_UNSUPPORTED: {
    status: 501,
    expose: true,
    doc: 'The IdP publishes no device_authorization_endpoint; enable the device authorization grant for the Breakglass client at the IdP.',
  },
  IDENTITY_CREDENTIALS_MISSING: {
    status: 401,
    expose: true,
    doc: "The CLI has no stored login (credentials.json under the user's config directory); run `breakglass login --server URL`.",
  },
  IDENTITY_SERVER_UNREACHABLE: {
    status: 503,
    expose: true,
    doc: 'The CLI could not reach the Breakglass server (connection, TLS or timeout); check --server and --ca-file.',
  },
  IDENTITY_KEY_INVALID: {
    status: 500,
    expose: true,
    doc: 'The API token signing key file (identity.tokens.key_file) is unreadable, not an Ed25519 private key, or readable by others (must be mode 0600).',
  },
  IDENTITY_TLS_INVALID: {
    status: 500,
    expose: true,
    doc: 'The HTTPS certificate or key (server.tls) is missing, unreadable or does not match; the server does not start.',
  },
});
