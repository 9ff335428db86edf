import { SignJWT, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { BreakglassError } from '../errors';
import { randomId, type Clock, type Random } from '../core';
import type { IdpClient } from './idp';
import type { KeyRing } from './token-keys';
import type { LoginSession, LoginSessions } from './login-sessions';
import { claimsToSubject, type ClaimMapping, type Subject } from './subject';
import { createVerifiedTokenCache, type VerifiedClaims } from './token-cache';
import { joseToCoded } from './token-errors';

/** Audience of every gateway-issued API token. */
export const API_AUDIENCE = 'breakglass-api';
const TOKEN_TYPE = 'at+jwt';
const MAX_TOKEN_LENGTH = 16_384;
/** Default reuse of a gateway token's signature and claim checks (the login is checked every time). */
export const DEFAULT_VERIFY_CACHE = Object.freeze({ ttlMs: 5_000, maxEntries: 10_000 });

export interface IssuedToken {
  readonly token: string;
  readonly jti: string;
  readonly expiresAt: number;
}

/** What a verified bearer token says about its caller. */
export interface TokenAuth {
  readonly kind: 'gateway-token' | 'idp-token';
  readonly subject: Subject;
  /** The login the token belongs to (gateway tokens). */
  readonly sid?: string;
  readonly jti?: string;
  readonly expiresAt: number;
}

export interface ApiTokens {
  /** Signs a token for a login; it expires after the configured lifetime or with the login, whichever is first. */
  issue(login: LoginSession): Promise<IssuedToken>;
  /** Verifies a bearer token (gateway- or IdP-issued); throws IDENTITY_TOKEN_* otherwise. */
  verify(token: string): Promise<TokenAuth>;
}

export interface ApiTokensDeps {
  keyRing: KeyRing;
  /** Our issuer: the public URL. */
  issuer: string;
  lifetimeMs: number;
  clock: Clock;
  random: Random;
  sessions: LoginSessions;
  /** IdP-issued access tokens are accepted only with an IdP and an audience. */
  idp?: {
    client: IdpClient;
    issuer: string;
    audience: string;
    algorithms: readonly string[];
    mapping: ClaimMapping;
  } | null;
  /**
   * Reuse of the signature and claim checks of gateway tokens for a few seconds
   * (in-process, bounded); default DEFAULT_VERIFY_CACHE, null turns it off. Whether
   * the token's login is still live is read from the store on every request.
   */
  verifyCache?: { ttlMs: number; maxEntries: number } | null;
}

export function createApiTokens(deps: ApiTokensDeps): ApiTokens {
  const cache =
    deps.verifyCache === null
      ? null
      : createVerifiedTokenCache({ clock: deps.clock, ...(deps.verifyCache ?? DEFAULT_VERIFY_CACHE) });

  /** Signature, header and claims of a gateway token (no store access beyond key lookup). */
  const verifyGatewayClaims = async (token: string): Promise<VerifiedClaims> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header) => {
          const key = typeof header.kid === 'string' ? await deps.keyRing.lookup(header.kid) : null;
          if (!key)
            throw new BreakglassError(
              'IDENTITY_TOKEN_SIGNATURE',
              'the token is signed by a key this gateway does not know (kid)',
            );
          return key;
        },
        {
          issuer: deps.issuer,
          audience: API_AUDIENCE,
          algorithms: ['EdDSA'],
          typ: TOKEN_TYPE,
          currentDate: new Date(deps.clock.now()),
          clockTolerance: 5,
          requiredClaims: ['sub', 'exp', 'iat', 'jti', 'sid'],
        },
      ));
    } catch (err) {
      throw joseToCoded(err);
    }
    for (const claim of ['sid', 'sub', 'jti'] as const) {
      if (typeof payload[claim] !== 'string')
        throw new BreakglassError('IDENTITY_TOKEN_CLAIMS', `the token's ${claim} claim is not a string`);
    }
    return {
      sub: payload.sub as string,
      sid: payload.sid as string,
      jti: payload.jti as string,
      expiresAt: payload.exp! * 1000,
    };
  };

  /** The login behind verified claims, read from the store every time (revocation is immediate). */
  const liveLogin = async (claims: VerifiedClaims): Promise<TokenAuth> => {
    const login = await deps.sessions.get(claims.sid);
    if (!login || login.subject.sub !== claims.sub) {
      throw new BreakglassError(
        'IDENTITY_TOKEN_REVOKED',
        'the login this token belongs to has ended (logged out or expired); log in again',
      );
    }
    return {
      kind: 'gateway-token',
      subject: login.subject,
      sid: login.sid,
      jti: claims.jti,
      expiresAt: claims.expiresAt,
    };
  };

  const verifyGateway = async (token: string): Promise<TokenAuth> => {
    const claims = await verifyGatewayClaims(token);
    cache?.put(token, claims);
    return liveLogin(claims);
  };

  const verifyIdp = async (token: string): Promise<TokenAuth> => {
    const idp = deps.idp!;
    const payload = await idp.client.verifyAccessToken(token, idp.audience, idp.algorithms);
    const subject = claimsToSubject(payload as Record<string, unknown>, {
      ...idp.mapping,
      requireEmailVerified: false,
    });
    // An e-mail address the IdP does not vouch for is not used when verification is required.
    const trusted =
      idp.mapping.requireEmailVerified && payload.email_verified !== true
        ? { ...subject, email: null }
        : subject;
    return { kind: 'idp-token', subject: trusted, expiresAt: payload.exp! * 1000 };
  };

  return {
    async issue(login) {
      const now = deps.clock.now();
      const expiresAt = Math.min(now + deps.lifetimeMs, login.expiresAt);
      const jti = randomId(deps.random, 16);
      const s = login.subject;
      const token = await new SignJWT({
        sid: login.sid,
        email: s.email,
        name: s.name,
        groups: [...s.groups],
        amr: [...s.amr],
      })
        .setProtectedHeader({ alg: 'EdDSA', typ: TOKEN_TYPE, kid: deps.keyRing.signing.kid })
        .setIssuer(deps.issuer)
        .setAudience(API_AUDIENCE)
        .setSubject(s.sub)
        .setIssuedAt(Math.floor(now / 1000))
        .setNotBefore(Math.floor(now / 1000))
        .setExpirationTime(Math.floor(expiresAt / 1000))
        .setJti(jti)
        .sign(deps.keyRing.signing.privateKey);
      return { token, jti, expiresAt: Math.floor(expiresAt / 1000) * 1000 };
    },

    async verify(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        throw new BreakglassError(
          'IDENTITY_TOKEN_MALFORMED',
          `the bearer token is empty or longer than ${MAX_TOKEN_LENGTH} characters`,
        );
      }
      const verified = cache?.get(token);
      if (verified) return liveLogin(verified);
      const parts = token.split('.');
      if (parts.length !== 3) {
        throw new BreakglassError(
          'IDENTITY_TOKEN_MALFORMED',
          `the bearer token has ${parts.length} parts (accepted: a signed JWT, header.payload.signature)`,
        );
      }
      let header: ReturnType<typeof decodeProtectedHeader>;
      let claims: JWTPayload;
      try {
        header = decodeProtectedHeader(token);
        claims = decodeJwt(token);
      } catch {
        throw new BreakglassError('IDENTITY_TOKEN_MALFORMED', 'the bearer token is not a decodable JWT');
      }
      const alg = typeof header.alg === 'string' ? header.alg : '';
      if (alg === '' || alg.toLowerCase() === 'none' || /^HS/i.test(alg)) {
        throw new BreakglassError(
          'IDENTITY_TOKEN_ALGORITHM',
          `tokens signed with ${JSON.stringify(header.alg ?? null)} are never accepted (accepted: EdDSA for gateway tokens, asymmetric algorithms for IdP tokens)`,
        );
      }
      if (parts[2] === '')
        throw new BreakglassError('IDENTITY_TOKEN_SIGNATURE', 'the token has no signature');
      if (claims.iss === deps.issuer) return verifyGateway(token);
      if (deps.idp && claims.iss === deps.idp.issuer) return verifyIdp(token);
      throw new BreakglassError(
        'IDENTITY_TOKEN_ISSUER',
        deps.idp
          ? `the token's issuer ${JSON.stringify(claims.iss ?? null)} is neither this gateway nor the configured IdP`
          : `the token's issuer ${JSON.stringify(claims.iss ?? null)} is not this gateway (IdP-issued tokens are not enabled: identity.oidc.api_audience)`,
      );
    },
  };
}
