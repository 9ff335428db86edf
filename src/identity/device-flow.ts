import { BreakglassError, hasCode } from '../errors';
import { randomId, type Clock, type Random } from '../core';
import type { Store } from '../store';
import type { ClientCredentials, IdpClient } from './idp';
import { loginClaims } from './login-claims';
import type { ClaimMapping, Subject } from './subject';

export const DEVICE_NS = 'identity-device';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const HANDLE_RE = /^[A-Za-z0-9_-]{32,64}$/;
const SLOW_DOWN_STEP_MS = 5000;

export interface DeviceStart {
  /** Our handle for the pending login (not the IdP's device code). */
  readonly device_code: string;
  readonly user_code: string;
  readonly verification_uri: string;
  readonly verification_uri_complete?: string;
  readonly expires_in: number;
  readonly interval: number;
}

interface DeviceRecord {
  deviceCode: string;
  intervalMs: number;
  lastPollAt: number;
  expiresAt: number;
}

export interface DeviceFlow {
  /** Starts a device authorization at the IdP. */
  start(): Promise<DeviceStart>;
  /**
   * Polls the IdP once for `handle`: resolves with the subject once the user approved
   * (the handle is then used up); throws IDENTITY_DEVICE_PENDING, _SLOW_DOWN,
   * _EXPIRED or _DENIED otherwise.
   */
  poll(handle: string): Promise<Subject>;
}

/**
 * The OAuth 2.0 device authorization grant (RFC 8628), proxied: the gateway talks to
 * the IdP with its own client credentials, and the CLI only ever holds an opaque
 * handle. State lives in the store so any replica can answer the next poll.
 */
export function createDeviceFlow(deps: {
  idp: IdpClient;
  store: Store;
  clock: Clock;
  random: Random;
  scopes: readonly string[];
  pollIntervalMs: number;
  mapping: ClaimMapping;
  useUserinfo: boolean;
  /** The client that runs the device flow, when not the main one (e.g. Google's "TVs and Limited Input devices" client). */
  client?: ClientCredentials;
}): DeviceFlow {
  const load = async (handle: string) => {
    if (typeof handle !== 'string' || !HANDLE_RE.test(handle)) {
      throw new BreakglassError(
        'IDENTITY_DEVICE_EXPIRED',
        'unknown or expired device code; run `breakglass login` again',
      );
    }
    const rec = await deps.store.get(DEVICE_NS, handle);
    if (!rec)
      throw new BreakglassError(
        'IDENTITY_DEVICE_EXPIRED',
        'unknown or expired device code; run `breakglass login` again',
      );
    return { data: JSON.parse(rec.value) as DeviceRecord, version: rec.version };
  };
  const save = async (handle: string, data: DeviceRecord, version: number) => {
    const ttlMs = data.expiresAt - deps.clock.now();
    if (ttlMs <= 0)
      throw new BreakglassError(
        'IDENTITY_DEVICE_EXPIRED',
        'the device code has expired; run `breakglass login` again',
      );
    try {
      await deps.store.put(DEVICE_NS, handle, JSON.stringify(data), { ifVersion: version, ttlMs });
    } catch (err) {
      // Another poll of the same code is in flight (on this or another replica).
      if (hasCode(err, 'STORE_CONFLICT'))
        throw new BreakglassError(
          'IDENTITY_DEVICE_SLOW_DOWN',
          'polling too fast: another poll of this code is in progress',
        );
      throw err;
    }
  };

  return {
    async start() {
      const meta = await deps.idp.discovery.get();
      if (!meta.device_authorization_endpoint) {
        throw new BreakglassError(
          'IDENTITY_DEVICE_UNSUPPORTED',
          'the IdP publishes no device_authorization_endpoint; enable the device authorization grant for the Breakglass client',
        );
      }
      const scope = [...new Set(['openid', ...deps.scopes])].join(' ');
      const { status, body } = await deps.idp.postForm(
        meta.device_authorization_endpoint,
        { scope },
        deps.client,
      );
      if (status !== 200 || !body) throw idpError('device authorization', status, body);
      const deviceCode = body.device_code;
      const userCode = body.user_code;
      const verificationUri = body.verification_uri ?? body.verification_url; // Google says verification_url
      const expiresIn = Number(body.expires_in);
      if (
        typeof deviceCode !== 'string' ||
        typeof userCode !== 'string' ||
        typeof verificationUri !== 'string' ||
        !(expiresIn > 0)
      ) {
        throw new BreakglassError(
          'IDENTITY_IDP_ERROR',
          "the IdP's device authorization answer lacks device_code, user_code, verification_uri or expires_in",
        );
      }
      const idpInterval = Number(body.interval);
      const intervalMs = Math.max(
        deps.pollIntervalMs,
        Number.isFinite(idpInterval) && idpInterval > 0 ? idpInterval * 1000 : 0,
      );
      const now = deps.clock.now();
      const handle = randomId(deps.random, 32);
      const expiresAt = now + Math.min(expiresIn, 3600) * 1000;
      const rec: DeviceRecord = { deviceCode, intervalMs, lastPollAt: 0, expiresAt };
      await deps.store.put(DEVICE_NS, handle, JSON.stringify(rec), { ifVersion: 0, ttlMs: expiresAt - now });
      return {
        device_code: handle,
        user_code: userCode,
        verification_uri: verificationUri,
        ...(typeof body.verification_uri_complete === 'string'
          ? { verification_uri_complete: body.verification_uri_complete }
          : {}),
        expires_in: Math.round((expiresAt - now) / 1000),
        interval: Math.ceil(intervalMs / 1000),
      };
    },

    async poll(handle) {
      const { data, version } = await load(handle);
      const now = deps.clock.now();
      if (data.lastPollAt !== 0 && now - data.lastPollAt < data.intervalMs) {
        await save(
          handle,
          { ...data, intervalMs: data.intervalMs + SLOW_DOWN_STEP_MS, lastPollAt: now },
          version,
        );
        throw new BreakglassError(
          'IDENTITY_DEVICE_SLOW_DOWN',
          `polling too fast; wait ${Math.ceil((data.intervalMs + SLOW_DOWN_STEP_MS) / 1000)} s between polls`,
          {
            details: { interval: Math.ceil((data.intervalMs + SLOW_DOWN_STEP_MS) / 1000) },
          },
        );
      }
      await save(handle, { ...data, lastPollAt: now }, version);
      const meta = await deps.idp.discovery.get();
      const { status, body } = await deps.idp.postForm(
        meta.token_endpoint,
        { grant_type: DEVICE_GRANT, device_code: data.deviceCode },
        deps.client,
      );
      if (status === 200 && body) {
        // One use only: whoever deletes the record owns the result.
        if (!(await deps.store.delete(DEVICE_NS, handle)))
          throw new BreakglassError('IDENTITY_DEVICE_EXPIRED', 'this device code was already used');
        return loginClaims({
          idp: deps.idp,
          tokenResponse: body,
          mapping: deps.mapping,
          useUserinfo: deps.useUserinfo,
          client: deps.client,
        });
      }
      const error = typeof body?.error === 'string' ? body.error : '';
      switch (error) {
        case 'authorization_pending':
          throw new BreakglassError(
            'IDENTITY_DEVICE_PENDING',
            'waiting for the user to approve the code at the IdP',
            { details: { interval: Math.ceil(data.intervalMs / 1000) } },
          );
        case 'slow_down': {
          const intervalMs = data.intervalMs + SLOW_DOWN_STEP_MS;
          const fresh = await load(handle);
          await save(handle, { ...fresh.data, intervalMs }, fresh.version);
          throw new BreakglassError(
            'IDENTITY_DEVICE_SLOW_DOWN',
            `the IdP asks to poll more slowly; wait ${intervalMs / 1000} s`,
            { details: { interval: intervalMs / 1000 } },
          );
        }
        case 'expired_token':
          await deps.store.delete(DEVICE_NS, handle);
          throw new BreakglassError(
            'IDENTITY_DEVICE_EXPIRED',
            'the code expired before it was approved; run `breakglass login` again',
          );
        case 'access_denied':
          await deps.store.delete(DEVICE_NS, handle);
          throw new BreakglassError('IDENTITY_DEVICE_DENIED', 'the login was refused at the IdP');
        default:
          throw idpError('token', status, body);
      }
    },
  };
}

export function idpError(
  what: string,
  status: number,
  body: Record<string, unknown> | null,
): BreakglassError {
  const error = typeof body?.error === 'string' ? body.error.slice(0, 100) : null;
  const description =
    typeof body?.error_description === 'string' ? `: ${body.error_description.slice(0, 300)}` : '';
  return new BreakglassError(
    'IDENTITY_IDP_ERROR',
    `the IdP's ${what} endpoint answered HTTP ${status}${error ? ` ${error}${description}` : ''}`,
  );
}
