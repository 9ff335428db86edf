import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { BreakglassError } from '../errors';
import type { Clock } from '../core';
import type { Discovery, OidcMetadata } from './discovery';
import { HttpFailure, httpRequest, jsonObject } from './http';
import { joseToCoded } from './token-errors';
import { ASYMMETRIC_ALGS } from '../config';

/** The JWS algorithms accepted from an IdP (one list, kept with the configuration schema). */
export const ASYMMETRIC_ALGORITHMS = ASYMMETRIC_ALGS;

export interface IdpClient {
  readonly discovery: Discovery;
  /** Verifies an ID token's signature (IdP JWKS), issuer, audience (our client id, or `client`'s) and times; returns its claims. */
  verifyIdToken(idToken: string, client?: ClientCredentials): Promise<JWTPayload>;
  /** Verifies an IdP-issued JWT access token for `audience`; returns its claims. */
  verifyAccessToken(token: string, audience: string, algorithms: readonly string[]): Promise<JWTPayload>;
  /** Claims from the userinfo endpoint, or null when the IdP has none. */
  userinfo(accessToken: string): Promise<Record<string, unknown> | null>;
  /**
   * POSTs a form to one of the IdP's endpoints with client credentials (ours, or
   * `client`'s; a client without a secret is public); resolves with status and JSON body.
   */
  postForm(
    endpoint: string,
    fields: Record<string, string | undefined>,
    client?: ClientCredentials,
  ): Promise<{ status: number; body: Record<string, unknown> | null }>;
}

/** A client registered at the IdP; `secret` absent for a public client. */
export interface ClientCredentials {
  id: string;
  secret?: string;
}

export function createIdpClient(deps: {
  discovery: Discovery;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  clock: Clock;
}): IdpClient {
  let jwks: { uri: string; get: ReturnType<typeof createRemoteJWKSet> } | null = null;
  const keySet = (meta: OidcMetadata) => {
    if (!jwks || jwks.uri !== meta.jwks_uri) {
      jwks = {
        uri: meta.jwks_uri,
        get: createRemoteJWKSet(new URL(meta.jwks_uri), {
          timeoutDuration: deps.timeoutMs,
          cooldownDuration: 30_000,
          cacheMaxAge: 600_000,
        }),
      };
    }
    return jwks.get;
  };
  const idTokenAlgorithms = (meta: OidcMetadata) => {
    const advertised = (meta.id_token_signing_alg_values_supported ?? ['RS256']).filter((a) =>
      (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a),
    );
    return advertised.length > 0 ? advertised : ['RS256'];
  };
  return {
    discovery: deps.discovery,
    async verifyIdToken(idToken, client) {
      const meta = await deps.discovery.get();
      const clientId = client?.id ?? deps.clientId;
      try {
        const { payload } = await jwtVerify(idToken, keySet(meta), {
          issuer: meta.issuer,
          audience: clientId,
          algorithms: idTokenAlgorithms(meta),
          currentDate: new Date(deps.clock.now()),
          clockTolerance: 60,
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== clientId) {
          throw new BreakglassError(
            'IDENTITY_LOGIN_FAILED',
            'the ID token names several audiences but its azp is not this client',
          );
        }
        return payload;
      } catch (err) {
        if (err instanceof BreakglassError) throw err;
        const coded = joseToCoded(err);
        throw new BreakglassError(
          coded.code === 'IDENTITY_IDP_UNAVAILABLE' ? coded.code : 'IDENTITY_LOGIN_FAILED',
          `the IdP's ID token failed verification: ${coded.message}`,
          { cause: err },
        );
      }
    },
    async verifyAccessToken(token, audience, algorithms) {
      const meta = await deps.discovery.get();
      try {
        const { payload } = await jwtVerify(token, keySet(meta), {
          issuer: meta.issuer,
          audience,
          algorithms: [...algorithms],
          currentDate: new Date(deps.clock.now()),
          clockTolerance: 5,
          requiredClaims: ['sub', 'exp'],
        });
        return payload;
      } catch (err) {
        throw joseToCoded(err);
      }
    },
    async userinfo(accessToken) {
      const meta = await deps.discovery.get();
      if (!meta.userinfo_endpoint) return null;
      const res = await call(() =>
        httpRequest(meta.userinfo_endpoint!, {
          headers: { authorization: `Bearer ${accessToken}` },
          timeoutMs: deps.timeoutMs,
        }),
      );
      const body = jsonObject(res.body);
      // Some IdPs answer userinfo with a signed JWT (application/jwt); the ID token's claims are used then.
      if (res.status !== 200)
        throw new BreakglassError(
          'IDENTITY_IDP_ERROR',
          `the IdP's userinfo endpoint answered HTTP ${res.status}`,
        );
      return body;
    },
    async postForm(endpoint, fields, client) {
      const body = new URLSearchParams();
      const credentials = client ?? { id: deps.clientId, secret: deps.clientSecret };
      for (const [k, v] of Object.entries({
        ...fields,
        client_id: credentials.id,
        client_secret: credentials.secret,
      }))
        if (v !== undefined) body.set(k, v);
      const res = await call(() =>
        httpRequest(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: body.toString(),
          timeoutMs: deps.timeoutMs,
        }),
      );
      return { status: res.status, body: jsonObject(res.body) };
    },
  };
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpFailure)
      throw new BreakglassError('IDENTITY_IDP_UNAVAILABLE', err.message, { cause: err });
    throw err;
  }
}
