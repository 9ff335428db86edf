import { systemClock, systemRandom, type Clock, type Random } from '../core';
import type { Config } from '../config';
import type { Logger } from '../logging';
import type { Store } from '../store';
import { ANONYMOUS, isoTime, userActor, type AuditSink } from './audit-sink';
import { BreakglassError, hasCode } from '../errors';
import { createAuthenticator, type Authenticator } from './authenticate';
import { createDeviceFlow, type DeviceFlow } from './device-flow';
import { createDiscovery, type Discovery } from './discovery';
import { createIdpClient, type IdpClient } from './idp';
import { createLoginSessions, type LoginSession, type LoginSessions } from './login-sessions';
import { createOidcLogin, type OidcLogin } from './oidc-login';
import type { ClaimMapping, Subject } from './subject';
import { createKeyRing, loadOrCreateSigningKey, type KeyRing } from './token-keys';
import { createApiTokens, type ApiTokens, type IssuedToken } from './tokens';

export type IdentityConfig = Config['identity'];

/** Client settings of the IdP in use (the configured one, or the development IdP). */
export interface OidcClientSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

export interface IdentityDeps {
  config: IdentityConfig;
  /** Where users reach Breakglass (no trailing slash); the API token issuer and redirect base. */
  publicUrl: string;
  certsDir: string;
  store: Store;
  audit: AuditSink;
  logger: Logger;
  clock?: Clock;
  random?: Random;
  /** The running development IdP, used when identity.oidc.issuer is unset. */
  devIdp?: OidcClientSettings | null;
  /** Extra CA certificates (PEM) trusted for the IdP. */
  idpCa?: string;
}

export interface Identity {
  readonly sessions: LoginSessions;
  readonly tokens: ApiTokens;
  readonly authenticator: Authenticator;
  readonly keyRing: KeyRing;
  /** Null when no IdP is configured (nobody can log in; tokens already issued keep working until they expire). */
  readonly oidc: {
    settings: OidcClientSettings;
    idp: IdpClient;
    discovery: Discovery;
    login: OidcLogin;
    device: DeviceFlow;
  } | null;
  readonly cookieName: string;
  readonly idleTimeoutMs: number;
  readonly absoluteLifetimeMs: number;
  readonly clock: Clock;
  readonly audit: AuditSink;
  /** Issues an API token for a login and records token.issued (no entry, no token). */
  issueToken(login: LoginSession, via: string): Promise<IssuedToken>;
  /**
   * Completes a CLI device login: polls the IdP once; when approved, creates the login,
   * records it and issues its first token. Refusals are recorded as login.failed.
   */
  completeDeviceLogin(
    handle: string,
    ip: string | null,
  ): Promise<{ login: LoginSession; issued: IssuedToken }>;
  /** Ends a login (API logout) and records it. */
  endLogin(sid: string | undefined, subject: Subject, method: string): Promise<boolean>;
}

const REFUSALS = [
  'IDENTITY_DEVICE_DENIED',
  'IDENTITY_EMAIL_UNVERIFIED',
  'IDENTITY_CLAIMS_INVALID',
  'IDENTITY_LOGIN_FAILED',
] as const;

/** Resolves which IdP to use; configuration mistakes throw TypeError at start-up. */
export function oidcSettings(
  config: IdentityConfig,
  devIdp?: OidcClientSettings | null,
): OidcClientSettings | null {
  const o = config.oidc;
  if (!o.issuer) {
    if (o.client_id || o.client_secret)
      throw new TypeError('identity.oidc.client_id/client_secret are set but identity.oidc.issuer is not');
    return devIdp ?? null;
  }
  if (!o.client_id || !o.client_secret) {
    throw new TypeError(
      'identity.oidc.issuer is set: identity.oidc.client_id and identity.oidc.client_secret are required too',
    );
  }
  return { issuer: o.issuer, clientId: o.client_id, clientSecret: o.client_secret };
}

export function claimMapping(config: IdentityConfig): ClaimMapping {
  const o = config.oidc;
  return {
    groupsClaim: o.groups_claim,
    email: o.claim_mapping.email,
    name: o.claim_mapping.name,
    amr: o.claim_mapping.amr,
    requireEmailVerified: o.require_email_verified,
  };
}

export async function createIdentity(deps: IdentityDeps): Promise<Identity> {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? systemRandom;
  const config = deps.config;
  const publicUrl = deps.publicUrl.replace(/\/+$/, '');
  const settings = oidcSettings(config, deps.devIdp);
  if (config.oidc.device_client_secret && !config.oidc.device_client_id) {
    throw new TypeError(
      'identity.oidc.device_client_secret is set but identity.oidc.device_client_id is not',
    );
  }
  if (
    settings &&
    config.oidc.api_audience !== undefined &&
    [settings.clientId, config.oidc.device_client_id].includes(config.oidc.api_audience)
  ) {
    throw new TypeError(
      'identity.oidc.api_audience must not be the client id: ID tokens would then be accepted as API tokens',
    );
  }
  const mapping = claimMapping(config);
  const absoluteLifetimeMs = config.session.absolute_lifetime;
  const sessions = createLoginSessions({ store: deps.store, clock, random, absoluteLifetimeMs });
  const keyRing = createKeyRing({
    store: deps.store,
    signing: await loadOrCreateSigningKey(deps.certsDir, config.tokens.key_file),
  });
  await keyRing.publish();

  let oidc: Identity['oidc'] = null;
  if (settings) {
    if (
      settings.issuer.startsWith('http://') &&
      !/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(settings.issuer)
    ) {
      deps.logger.warn(
        'the IdP issuer uses plain http on a non-loopback address; use https outside development',
        { issuer: settings.issuer },
      );
    }
    const discovery = createDiscovery({
      issuer: settings.issuer,
      timeoutMs: config.oidc.discovery_timeout,
      clock,
      ca: deps.idpCa,
    });
    const idp = createIdpClient({
      discovery,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      timeoutMs: config.oidc.http_timeout,
      clock,
    });
    const login = createOidcLogin({
      idp,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      redirectUri: config.oidc.redirect_uri ?? `${publicUrl}/auth/callback`,
      postLogoutRedirectUri: `${publicUrl}/`,
      scopes: config.oidc.scopes,
      mapping,
      useUserinfo: config.oidc.use_userinfo,
      endSession: config.oidc.end_session,
      sessions,
      audit: deps.audit,
      random,
      logger: deps.logger,
      cookieName: config.session.cookie_name,
    });
    const device = createDeviceFlow({
      idp,
      store: deps.store,
      clock,
      random,
      scopes: config.oidc.scopes,
      pollIntervalMs: config.device_flow.poll_interval,
      mapping,
      useUserinfo: config.oidc.use_userinfo,
      ...(config.oidc.device_client_id
        ? { client: { id: config.oidc.device_client_id, secret: config.oidc.device_client_secret } }
        : {}),
    });
    oidc = { settings, idp, discovery, login, device };
  }

  const tokens = createApiTokens({
    keyRing,
    issuer: publicUrl,
    lifetimeMs: config.tokens.lifetime,
    clock,
    random,
    sessions,
    idp:
      oidc && config.oidc.api_audience
        ? {
            client: oidc.idp,
            issuer: oidc.settings.issuer,
            audience: config.oidc.api_audience,
            algorithms: config.oidc.api_algorithms,
            mapping,
          }
        : null,
  });

  const issueToken = async (login: LoginSession, via: string) => {
    const issued = await tokens.issue(login);
    await deps.audit.append({
      type: 'token.issued',
      actor: userActor(login.subject),
      data: { token_id: issued.jti, expires_at: isoTime(issued.expiresAt), sub: login.subject.sub, via },
    });
    return issued;
  };

  return {
    clock,
    audit: deps.audit,
    sessions,
    tokens,
    keyRing,
    authenticator: createAuthenticator({ tokens, sessions, clock }),
    oidc,
    cookieName: config.session.cookie_name,
    idleTimeoutMs: config.session.idle_timeout,
    absoluteLifetimeMs,
    issueToken,
    async completeDeviceLogin(handle, ip) {
      if (!oidc)
        throw new BreakglassError(
          'IDENTITY_NOT_CONFIGURED',
          'no OpenID Connect provider is configured (identity.oidc.issuer), so nobody can log in',
        );
      let subject: Subject;
      try {
        subject = await oidc.device.poll(handle);
      } catch (err) {
        if (REFUSALS.some((code) => hasCode(err, code))) {
          await deps.audit.append({
            type: 'login.failed',
            actor: ANONYMOUS,
            data: { method: 'device', reason: (err as Error).message, ip },
          });
        }
        throw err;
      }
      const login = await sessions.create(subject, 'device');
      try {
        await deps.audit.append({
          type: 'login',
          actor: userActor(subject),
          data: {
            method: 'device',
            sub: subject.sub,
            groups: [...subject.groups],
            amr: [...subject.amr],
            ip,
          },
        });
        return { login, issued: await issueToken(login, 'device') };
      } catch (err) {
        await sessions.revoke(login.sid); // no audit entry, no login (fail closed)
        throw err;
      }
    },
    async endLogin(sid, subject, method) {
      const revoked = sid ? await sessions.revoke(sid) : false;
      await deps.audit.append({
        type: 'logout',
        actor: userActor(subject),
        data: { reason: 'user logged out', method, sub: subject.sub },
      });
      return revoked;
    },
  };
}
