import { createHash, timingSafeEqual } from 'node:crypto';
import { checkKeyPolicy, fingerprint, formatAuthorizedKey, parseAuthorizedKey, type Authority } from '../ca';
import type { Config } from '../config';
import { randomId, type Clock, type Random } from '../core';
import { BreakglassError, hasCode } from '../errors';
import type { Logger } from '../logging';
import { hostFromInput, type Host, type PolicyStore } from '../policy';
import { updateRecord, type Store } from '../store';
import { NS, type AuditAppender } from './repository';

type HostsConfig = Config['access']['hosts'];

/** Pub/sub channel: the registered hosts changed (every replica reloads them). */
export const HOSTS_CHANNEL = 'hosts.changed';
/** Optional audit event for join tokens (recorded once the audit table has it). */
export const TOKEN_EVENT = 'host.token.created';

const TOKEN_RE = /^bgj\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;
const RENEW_RE = /^bgr\.([A-Za-z0-9_-]{43})$/;

interface JoinTokenRecord {
  id: string;
  hash: string;
  labels: Record<string, string>;
  name?: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  usedAt?: number;
  usedBy?: string;
}

export interface RegisteredHost {
  host: Host;
  keyFingerprint: string;
  registeredAt: number;
  renewedAt: number;
  expiresAt: number;
  renewHash: string;
  tokenId: string;
  certificateSerial: string;
}

export interface JoinToken {
  readonly token: string;
  readonly id: string;
  readonly expires_at: string;
  readonly labels: Record<string, string>;
  readonly name?: string;
}

export interface Registration {
  readonly name: string;
  readonly host_certificate: string;
  readonly certificate_serial: string;
  readonly certificate_valid_before: string;
  /** The host-access CA public key: the line for `TrustedUserCAKeys`. */
  readonly trusted_user_ca_keys: string;
  readonly krl_url: string;
  readonly renew_token: string;
  readonly registration_expires_at: string;
  readonly labels: Record<string, string>;
}

export interface HostRegistry {
  createToken(
    input: { labels: Record<string, string>; ttlMs?: number; name?: string },
    actor: string,
  ): Promise<JoinToken>;
  register(input: {
    token: string;
    name: string;
    host_key: string;
    address?: string;
    port?: number;
  }): Promise<Registration>;
  renew(name: string, input: { renew_token: string; host_key?: string }): Promise<Registration>;
  list(): Promise<RegisteredHost[]>;
  /** Loads the registered hosts into the policy inventory (start, pub/sub, sweeper). */
  sync(): Promise<number>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createHostRegistry(deps: {
  store: Store;
  audit: AuditAppender;
  authority: Authority;
  policy: PolicyStore;
  config: HostsConfig;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** The KRL URL hosts fetch (`<public url>/api/v1/krl`). */
  krlUrl: () => string;
  hasEvent: (type: string) => boolean;
}): HostRegistry {
  const { store, audit, authority, policy, config, clock, random, logger } = deps;

  function hostAccessKey(): string {
    const key = authority.publicKey('host-access');
    if (!key) throw new BreakglassError('CA_KEY_MISSING', 'no host-access CA is configured');
    return formatAuthorizedKey(key, 'breakglass host-access CA');
  }

  async function sync(): Promise<number> {
    const rows = await store.list(NS.hosts);
    const fileHosts = policy.current().inventory;
    const hosts: Host[] = [];
    for (const row of rows) {
      const h = (JSON.parse(row.value) as RegisteredHost).host;
      if (fileHosts.get(h.name)) {
        logger.warn('a registered host has the name of a host in hosts.yaml; the file wins', {
          host: h.name,
        });
        continue;
      }
      hosts.push(h);
    }
    policy.setRuntimeHosts(hosts);
    return hosts.length;
  }

  async function issue(name: string, address: string, hostKey: string, tokenId: string) {
    return authority.issueHostCertificate({
      publicKey: hostKey,
      principals: address !== name ? [name, address] : [name],
      keyId: `host=${name} token=${tokenId}`,
      ttlMs: config.certificate_ttl,
    });
  }

  function answer(
    rec: RegisteredHost,
    issued: Awaited<ReturnType<typeof issue>>,
    renewToken: string,
  ): Registration {
    return {
      name: rec.host.name,
      host_certificate: issued.line,
      certificate_serial: String(issued.serial),
      certificate_valid_before: new Date(Number(issued.certificate.validBefore) * 1000).toISOString(),
      trusted_user_ca_keys: hostAccessKey(),
      krl_url: deps.krlUrl(),
      renew_token: renewToken,
      registration_expires_at: new Date(rec.expiresAt).toISOString(),
      labels: { ...rec.host.labels },
    };
  }

  return {
    async createToken(input, actor) {
      const ttl = input.ttlMs ?? config.join_token_ttl;
      if (ttl > config.max_join_token_ttl || ttl < 60_000)
        throw new BreakglassError(
          'BAD_REQUEST',
          `ttl must be between 1m and ${config.max_join_token_ttl / 60_000}m`,
        );
      // Labels are checked now, with the host rules, so a token never promises what registration refuses.
      hostFromInput({
        name: input.name ?? 'probe',
        address: '127.0.0.1',
        labels: input.labels,
        trust: { host_ca: true },
      });
      const id = randomId(random, 12);
      const secret = randomId(random, 32);
      const now = clock.now();
      const rec: JoinTokenRecord = {
        id,
        hash: sha256(secret),
        labels: { ...input.labels },
        ...(input.name !== undefined ? { name: input.name } : {}),
        createdBy: actor,
        createdAt: now,
        expiresAt: now + ttl,
      };
      if (deps.hasEvent(TOKEN_EVENT)) {
        await audit.append({
          type: TOKEN_EVENT,
          actor,
          target: id,
          data: {
            token_id: id,
            labels: rec.labels,
            expires_at: new Date(rec.expiresAt).toISOString(),
            ...(rec.name ? { name: rec.name } : {}),
          },
        });
      } else {
        logger.info('host join token created', {
          token_id: id,
          actor,
          labels: rec.labels,
          expires_at: rec.expiresAt,
        });
      }
      // Kept a day past its end so "expired" and "used" can be told from "unknown".
      await store.put(NS.joinTokens, id, JSON.stringify(rec), { ifVersion: 0, ttlMs: ttl + 86_400_000 });
      return {
        token: `bgj.${id}.${secret}`,
        id,
        expires_at: new Date(rec.expiresAt).toISOString(),
        labels: rec.labels,
        ...(rec.name !== undefined ? { name: rec.name } : {}),
      };
    },

    async register(input) {
      const m = TOKEN_RE.exec(input.token);
      if (!m)
        throw new BreakglassError(
          'ACCESS_JOIN_TOKEN_INVALID',
          'the join token is malformed (accepted: bgj.ID.SECRET as `breakglass hosts token` prints it)',
        );
      const [, id, secret] = m as unknown as [string, string, string];
      const found = await store.get(NS.joinTokens, id);
      const tok = found ? (JSON.parse(found.value) as JoinTokenRecord) : null;
      if (!tok || !sameHash(tok.hash, sha256(secret)))
        throw new BreakglassError(
          'ACCESS_JOIN_TOKEN_INVALID',
          'the join token is not one this server issued',
        );
      const now = clock.now();
      if (tok.usedAt !== undefined)
        throw new BreakglassError('ACCESS_JOIN_TOKEN_USED', `join token ${id} was already used`);
      if (now >= tok.expiresAt)
        throw new BreakglassError(
          'ACCESS_JOIN_TOKEN_EXPIRED',
          `join token ${id} expired at ${new Date(tok.expiresAt).toISOString()}`,
        );
      // Everything is checked before the token is spent.
      const key = parseAuthorizedKey(input.host_key, 'host_key').key;
      checkKeyPolicy(key, authority.limits.keyPolicy);
      const address = input.address ?? input.name;
      const host = hostFromInput({
        name: input.name,
        address,
        ...(input.port !== undefined ? { port: input.port } : {}),
        labels: tok.labels,
        trust: { host_ca: true },
        immutable: true,
        description: `registered with join token ${id}`,
      });
      if (tok.name !== undefined && tok.name !== host.name)
        throw new BreakglassError(
          'ACCESS_HOST_NAME_TAKEN',
          `join token ${id} is for host ${tok.name}, not ${host.name}`,
        );
      if (policy.current().inventory.get(host.name))
        throw new BreakglassError('ACCESS_HOST_NAME_TAKEN', `host ${host.name} is defined in hosts.yaml`);
      const existing = await store.get(NS.hosts, host.name);
      if (existing && tok.name !== host.name)
        throw new BreakglassError(
          'ACCESS_HOST_NAME_TAKEN',
          `host ${host.name} is already registered; only a token created for this name (--name) may replace it`,
        );
      const spent = await updateRecord(
        store,
        NS.joinTokens,
        id,
        (cur) => {
          if (!cur)
            throw new BreakglassError(
              'ACCESS_JOIN_TOKEN_INVALID',
              'the join token is not one this server issued',
            );
          const t = JSON.parse(cur.value) as JoinTokenRecord;
          if (t.usedAt !== undefined)
            throw new BreakglassError('ACCESS_JOIN_TOKEN_USED', `join token ${id} was already used`);
          return JSON.stringify({ ...t, usedAt: now, usedBy: host.name });
        },
        { clock },
      );
      const restore = () =>
        updateRecord(
          store,
          NS.joinTokens,
          id,
          (cur) => {
            if (!cur) return null;
            const t = JSON.parse(cur.value) as JoinTokenRecord;
            delete t.usedAt;
            delete t.usedBy;
            return JSON.stringify(t);
          },
          { clock },
        ).catch(() => undefined);
      try {
        const issued = await issue(host.name, host.address, input.host_key, id);
        const renewSecret = randomId(random, 32);
        const rec: RegisteredHost = {
          host,
          keyFingerprint: fingerprint(key),
          registeredAt: now,
          renewedAt: now,
          expiresAt: now + config.registration_ttl,
          renewHash: sha256(renewSecret),
          tokenId: id,
          certificateSerial: String(issued.serial),
        };
        await audit.append({
          type: 'host.registered',
          actor: `host:${host.name}`,
          target: host.name,
          data: {
            host_id: host.name,
            key_fingerprint: rec.keyFingerprint,
            labels: { ...host.labels },
            address: host.address,
            token_id: id,
            serial: rec.certificateSerial,
            renewal: false,
          },
        });
        await store.put(NS.hosts, host.name, JSON.stringify(rec), { ttlMs: config.registration_ttl });
        void spent;
        await sync();
        await store.publish(HOSTS_CHANNEL, host.name).catch(() => undefined);
        return answer(rec, issued, `bgr.${renewSecret}`);
      } catch (err) {
        if (!hasCode(err, 'STORE_UNAVAILABLE')) await restore();
        throw err;
      }
    },

    async renew(name, input) {
      const m = RENEW_RE.exec(input.renew_token);
      const found = await store.get(NS.hosts, name);
      if (!found) throw new BreakglassError('ACCESS_HOST_NOT_FOUND', `no registered host ${name}`);
      const rec = JSON.parse(found.value) as RegisteredHost;
      if (!m || !sameHash(rec.renewHash, sha256(m[1]!)))
        throw new BreakglassError(
          'ACCESS_RENEW_TOKEN_INVALID',
          `the renewal token of host ${name} does not match`,
        );
      const now = clock.now();
      const hostKey = input.host_key;
      let fp = rec.keyFingerprint;
      if (hostKey !== undefined) {
        const key = parseAuthorizedKey(hostKey, 'host_key').key;
        checkKeyPolicy(key, authority.limits.keyPolicy);
        fp = fingerprint(key);
      } else {
        throw new BreakglassError(
          'BAD_REQUEST',
          'body.host_key: send the host public key to renew its certificate',
        );
      }
      const issued = await issue(rec.host.name, rec.host.address, hostKey, rec.tokenId);
      const renewSecret = randomId(random, 32);
      const next: RegisteredHost = {
        ...rec,
        keyFingerprint: fp,
        renewedAt: now,
        expiresAt: now + config.registration_ttl,
        renewHash: sha256(renewSecret),
        certificateSerial: String(issued.serial),
      };
      await audit.append({
        type: 'host.registered',
        actor: `host:${name}`,
        target: name,
        data: {
          host_id: name,
          key_fingerprint: fp,
          labels: { ...rec.host.labels },
          serial: next.certificateSerial,
          renewal: true,
        },
      });
      await store.put(NS.hosts, name, JSON.stringify(next), {
        ifVersion: found.version,
        ttlMs: config.registration_ttl,
      });
      return answer(next, issued, `bgr.${renewSecret}`);
    },

    async list() {
      return (await store.list(NS.hosts)).map((r) => JSON.parse(r.value) as RegisteredHost);
    },
    sync,
  };
}
