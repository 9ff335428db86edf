import { BreakglassError } from '../errors';
import type { Clock } from '../core';
import { HttpFailure, httpRequest, jsonObject } from './http';

/** The parts of an OpenID provider's metadata Breakglass uses. */
export interface OidcMetadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly userinfo_endpoint?: string;
  readonly end_session_endpoint?: string;
  readonly device_authorization_endpoint?: string;
  readonly id_token_signing_alg_values_supported?: readonly string[];
}

const REQUIRED = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const;
const OPTIONAL = ['userinfo_endpoint', 'end_session_endpoint', 'device_authorization_endpoint'] as const;

export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/**
 * Validates a discovery document (pure): the issuer must equal the configured one
 * exactly (OIDC Discovery §4.3), endpoints must be absolute URLs, and https unless
 * the configured issuer itself is plain http (development).
 */
export function parseDiscovery(doc: unknown, expectedIssuer: string): OidcMetadata {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new BreakglassError(
      'IDENTITY_IDP_ERROR',
      `the discovery document at ${discoveryUrl(expectedIssuer)} is not a JSON object`,
    );
  }
  const d = doc as Record<string, unknown>;
  if (d.issuer !== expectedIssuer) {
    throw new BreakglassError(
      'IDENTITY_IDP_ERROR',
      `the IdP names its issuer ${JSON.stringify(d.issuer)} but identity.oidc.issuer is ${JSON.stringify(expectedIssuer)}; set the configuration to exactly the IdP's issuer`,
    );
  }
  const allowHttp = expectedIssuer.startsWith('http://');
  const endpoint = (name: string, value: unknown): string => {
    let url: URL | null = null;
    try {
      url = typeof value === 'string' ? new URL(value) : null;
    } catch {
      url = null;
    }
    if (!url || !(url.protocol === 'https:' || (allowHttp && url.protocol === 'http:'))) {
      throw new BreakglassError(
        'IDENTITY_IDP_ERROR',
        `the IdP's ${name} is not an absolute ${allowHttp ? 'http(s)' : 'https'} URL: ${JSON.stringify(value)}`,
      );
    }
    return value as string;
  };
  const out: Record<string, unknown> = { issuer: expectedIssuer };
  for (const name of REQUIRED) out[name] = endpoint(name, d[name]);
  for (const name of OPTIONAL) if (d[name] !== undefined) out[name] = endpoint(name, d[name]);
  const algs = d.id_token_signing_alg_values_supported;
  if (Array.isArray(algs) && algs.every((a) => typeof a === 'string'))
    out.id_token_signing_alg_values_supported = algs;
  return Object.freeze(out) as unknown as OidcMetadata;
}

export interface Discovery {
  /** The provider's metadata, fetched once and cached; a failed fetch is retried on the next call (at most every `retryMs`). */
  get(): Promise<OidcMetadata>;
  /** The metadata if already fetched (for synchronous callers such as the CSP). */
  peek(): OidcMetadata | null;
}

export function createDiscovery(deps: {
  issuer: string;
  timeoutMs: number;
  clock: Clock;
  retryMs?: number;
  ca?: string;
}): Discovery {
  let cached: OidcMetadata | null = null;
  let inFlight: Promise<OidcMetadata> | null = null;
  let lastFailure: { at: number; error: BreakglassError } | null = null;
  const retryMs = deps.retryMs ?? 2000;

  const fetchOnce = async (): Promise<OidcMetadata> => {
    const url = discoveryUrl(deps.issuer);
    let res;
    try {
      res = await httpRequest(url, { timeoutMs: deps.timeoutMs, ca: deps.ca });
    } catch (err) {
      const reason = err instanceof HttpFailure ? err.message : String(err);
      throw new BreakglassError(
        'IDENTITY_IDP_UNAVAILABLE',
        `cannot fetch the IdP's discovery document ${url}: ${reason}`,
        { cause: err },
      );
    }
    if (res.status !== 200)
      throw new BreakglassError(
        'IDENTITY_IDP_ERROR',
        `the IdP's discovery document ${url} answered HTTP ${res.status}`,
      );
    return parseDiscovery(jsonObject(res.body), deps.issuer);
  };

  return {
    peek: () => cached,
    async get() {
      if (cached) return cached;
      if (lastFailure && deps.clock.now() - lastFailure.at < retryMs) throw lastFailure.error;
      inFlight ??= fetchOnce().then(
        (meta) => {
          cached = meta;
          inFlight = null;
          lastFailure = null;
          return meta;
        },
        (err: unknown) => {
          inFlight = null;
          const error =
            err instanceof BreakglassError
              ? err
              : new BreakglassError('IDENTITY_IDP_UNAVAILABLE', String(err), { cause: err });
          lastFailure = { at: deps.clock.now(), error };
          throw error;
        },
      );
      return inFlight;
    },
  };
}
