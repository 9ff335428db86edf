import { z } from 'zod';
import { duration, port, secret } from '../types';

/** A claim name or a dot path into nested claims (`realm_access.roles`). */
const claimPath = () =>
  z.string().regex(/^[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*$/, {
    message: 'not a claim path (accepted: a claim name or a dot path like realm_access.roles)',
  });

/** JWS algorithms accepted for IdP-signed tokens (never `none` or a shared-secret HMAC). */
export const ASYMMETRIC_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

const rateLimit = (max: number, window: string, what: string) =>
  z
    .strictObject({
      max: z
        .number()
        .int()
        .min(1)
        .max(1_000_000)
        .default(max)
        .describe(`Requests allowed per client address and window (${what}).`),
      window: duration({ min: 1000, max: 86_400_000 })
        .prefault(window)
        .describe('Length of the fixed window; the count starts again after it.'),
    })
    .prefault({})
    .describe(`Rate limit of ${what}, shared by every replica through the store.`);

export const identitySection = z
  .strictObject({
    oidc: z
      .strictObject({
        issuer: z
          .url({ protocol: /^https?$/ })
          .optional()
          .describe(
            'Issuer URL of the OpenID Connect provider (its discovery document is at ISSUER/.well-known/openid-configuration). Unset: nobody can log in, unless the development IdP is enabled.',
          ),
        client_id: z.string().min(1).optional().describe('Client id registered for Breakglass at the IdP.'),
        client_secret: secret()
          .min(1)
          .optional()
          .describe(
            'Client secret registered for Breakglass (sent as client_secret_post). Prefer BREAKGLASS_IDENTITY__OIDC__CLIENT_SECRET.',
          ),
        scopes: z
          .array(
            z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, {
              message: 'not a scope token (accepted: printable ASCII without spaces, quotes or backslashes)',
            }),
          )
          .min(1)
          .default(['openid', 'profile', 'email'])
          .describe(
            'Scopes requested at login (`openid` is always added). Add `groups` for IdPs that release groups through a scope (Okta, the development IdP).',
          ),
        redirect_uri: z
          .url({ protocol: /^https?$/ })
          .optional()
          .describe('Redirect URI registered at the IdP; default PUBLIC_URL/auth/callback.'),
        groups_claim: claimPath()
          .default('groups')
          .describe(
            "Claim holding the user's groups (a list or a single string); a dot path reaches nested claims, e.g. realm_access.roles (Keycloak roles) or roles (Entra ID app roles).",
          ),
        claim_mapping: z
          .strictObject({
            email: claimPath()
              .default('email')
              .describe(
                'Claim holding the e-mail address (Entra ID: preferred_username or upn when email is absent).',
              ),
            name: claimPath().default('name').describe('Claim holding the display name.'),
            amr: claimPath()
              .default('amr')
              .describe(
                'Claim holding the authentication methods (RFC 8176 values such as pwd, mfa, otp, hwk).',
              ),
          })
          .prefault({})
          .describe("Where the Subject's fields come from in the ID token and userinfo claims."),
        require_email_verified: z
          .boolean()
          .default(false)
          .describe('Refuse logins whose email_verified claim is not true.'),
        use_userinfo: z
          .boolean()
          .default(true)
          .describe(
            "Fetch the userinfo endpoint at login and merge its claims over the ID token's (same sub only).",
          ),
        end_session: z
          .boolean()
          .default(true)
          .describe(
            'At logout, also end the IdP session (RP-initiated logout) when the IdP publishes end_session_endpoint.',
          ),
        device_client_id: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Client used for CLI login (device flow) when the IdP needs a separate one: Okta (native app), Entra ID (public client flows), Google ("TVs and Limited Input devices"). Unset: client_id.',
          ),
        device_client_secret: secret()
          .min(1)
          .optional()
          .describe(
            'Secret of device_client_id (Google needs one); unset with device_client_id set: a public client, no secret is sent.',
          ),
        api_audience: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Accept JWT access tokens issued by the IdP for this audience on /api/v1 (for automation). Unset: only gateway-issued tokens are accepted.',
          ),
        api_algorithms: z
          .array(z.enum(ASYMMETRIC_ALGS))
          .min(1)
          .default(['RS256', 'PS256', 'ES256', 'EdDSA'])
          .describe(
            'Signature algorithms accepted for IdP-issued tokens (asymmetric only; `none` and HMAC are always refused).',
          ),
        discovery_timeout: duration({ min: 100, max: 60_000 })
          .prefault('5s')
          .describe(
            'Time allowed for fetching the discovery document; it is retried on the next login when it fails.',
          ),
        http_timeout: duration({ min: 100, max: 60_000 })
          .prefault('10s')
          .describe(
            'Time allowed for each other request to the IdP (token, userinfo, keys, device authorization).',
          ),
      })
      .prefault({})
      .describe('The OpenID Connect provider people log in with.'),
    session: z
      .strictObject({
        cookie_name: z
          .string()
          .regex(/^[A-Za-z0-9_.-]{1,64}$/)
          .default('breakglass.sid')
          .describe('Name of the session cookie (HttpOnly, SameSite=Lax, Secure under HTTPS).'),
        idle_timeout: duration({ min: 60_000, max: 7 * 86_400_000 })
          .prefault('1h')
          .describe('A browser session unused this long ends.'),
        absolute_lifetime: duration({ min: 60_000, max: 30 * 86_400_000 })
          .prefault('12h')
          .describe(
            'A login ends this long after it happened, used or not (browser sessions, CLI logins and their tokens).',
          ),
        secret: secret()
          .min(32)
          .optional()
          .describe(
            'Key that signs session cookies (at least 32 characters). Unset: a random key is created once and shared by every replica through the store.',
          ),
      })
      .prefault({})
      .describe('Browser sessions (server-side, in the store).'),
    tokens: z
      .strictObject({
        lifetime: duration({ min: 60_000, max: 86_400_000 })
          .prefault('15m')
          .describe('Lifetime of gateway-issued API tokens (audience breakglass-api).'),
        key_file: z
          .string()
          .min(1)
          .default('api-token-ed25519.pem')
          .describe(
            'Ed25519 private key that signs API tokens, relative to certs_dir; created with mode 0600 when missing.',
          ),
      })
      .prefault({})
      .describe('API tokens issued by the gateway (JWT, EdDSA).'),
    device_flow: z
      .strictObject({
        poll_interval: duration({ min: 1000, max: 60_000 })
          .prefault('5s')
          .describe(
            'Interval the CLI is told to poll at during `breakglass login`; faster polls get slow_down.',
          ),
      })
      .prefault({})
      .describe('CLI login through the OAuth device authorization grant, proxied by the gateway.'),
    rate_limits: z
      .strictObject({
        login: rateLimit(30, '1m', 'login, callback and device-login routes'),
        api: rateLimit(600, '1m', '/api/v1 routes'),
      })
      .prefault({})
      .describe('Rate limits that hold across replicas.'),
    dev_idp: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            'Start the development IdP (demo users, development only) as a child process and log in with it when oidc.issuer is unset. `serve --dev` turns it on.',
          ),
        port: port().default(8081).describe('Port of the development IdP on 127.0.0.1.'),
        client_id: z
          .string()
          .min(1)
          .default('breakglass-dev')
          .describe('Client id the development IdP registers for Breakglass.'),
        client_secret: secret()
          .min(8)
          .default('breakglass-dev-secret')
          .describe('Client secret of that client (development only).'),
      })
      .prefault({})
      .describe('The development IdP (`breakglass dev-idp`); never for production.'),
  })
  .describe('Login through OpenID Connect, browser sessions and API tokens.');

export type IdentityConfig = z.output<typeof identitySection>;
