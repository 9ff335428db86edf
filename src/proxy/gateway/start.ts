import { hostname } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { isAbsolute, join } from 'node:path';
import type { AuditLog } from '../../audit';
import type { Certificate, CertificateLimits, PublicKey, Signer } from '../../ca';
import type { Config } from '../../config';
import { systemClock, systemRandom, type Clock, type Random } from '../../core';
import type { Logger } from '../../logging';
import { createRecordingFiles } from '../../recording';
import type { Store } from '../../store';
import type { GrantDirectory, SessionHooks } from '../grants';
import type { HostDirectory } from '../hosts';
import { createLiveHub, type WatchOptions } from '../sessions/live';
import { createSessionRegistry, type LiveSessionRecord } from '../sessions/registry';
import { installSsh2CertAuthPatch } from '../upstream';
import type { GatewayConnection } from './connection';
import { loadOrCreateGatewayHostKey, type GatewayHostKey } from './host-key-file';
import { startGatewayServer } from './server';
import { createUpstreamIssuer } from './upstream-cert';

export interface GatewayDeps {
  readonly config: Pick<Config, 'certs_dir' | 'data_dir' | 'proxy' | 'recording'>;
  readonly store: Store;
  readonly audit: Pick<AuditLog, 'append'>;
  /** Grants (the access capability). */
  readonly grants: GrantDirectory;
  /** Target hosts: address, port, host-key trust (see `createInventoryHostDirectory`). */
  readonly hosts: HostDirectory;
  /** The host-access CA signer (`keystore.signer('host-access')`). */
  readonly hostAccessSigner: Signer;
  /** Serial allocation shared with the CA (`() => store.increment('ca.serial')`). */
  readonly nextSerial: () => Promise<bigint | number>;
  /** The CA's certificate limits (`limitsFromConfig(config.ca)`). */
  readonly caLimits?: Partial<CertificateLimits>;
  /** User CA keys the gateway accepts (read at every login). */
  readonly userCaKeys: () => readonly PublicKey[];
  /** The KRL (true: revoked). */
  readonly isRevoked?: (certificate: Certificate) => boolean;
  readonly hooks?: SessionHooks;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly random?: Random;
  /** Name of this replica in live-session records (default: host name and pid). */
  readonly replica?: string;
}

/** Live sessions for the web UI and the CLI: every replica's, with kill and live viewing. */
export interface GatewaySessions {
  list(): Promise<LiveSessionRecord[]>;
  /** A connection by its id or the id of one of its sessions. */
  find(id: string): Promise<LiveSessionRecord | null>;
  /** Ends a connection (or the connection of a session) on whichever replica runs it, within a second. */
  kill(id: string, by: string, reason?: string): Promise<void>;
  /** The live recording lines of a session (asciicast v2, header first), from any replica. */
  watch(sessionId: string, opts?: WatchOptions): AsyncIterableIterator<string>;
}

export interface Gateway {
  readonly address: { readonly host: string; readonly port: number };
  readonly hostKey: GatewayHostKey;
  readonly sessions: GatewaySessions;
  /** Connections of this replica (tests, metrics). */
  connections(): readonly GatewayConnection[];
  close(): Promise<void>;
}

/** Where recordings live: `recording.dir`, relative to `data_dir` unless absolute. */
export function recordingsDir(config: Pick<Config, 'data_dir' | 'recording'>): string {
  return isAbsolute(config.recording.dir)
    ? config.recording.dir
    : join(config.data_dir, config.recording.dir);
}

/**
 * Starts the SSH gateway: loads (or creates) its host key, listens, and serves
 * certificate logins to granted hosts with recorded sessions.
 */
export async function startGateway(deps: GatewayDeps): Promise<Gateway> {
  installSsh2CertAuthPatch();
  const { config, store, logger } = deps;
  const p = config.proxy;
  const r = config.recording;
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? systemRandom;
  if (p.semi_space_mb > 0) {
    // Process-wide: the data path makes short-lived buffers at line rate (see proxy.semi_space_mb).
    setFlagsFromString(`--max-semi-space-size=${p.semi_space_mb}`);
  }
  const hostKey = loadOrCreateGatewayHostKey({ dir: config.certs_dir, file: p.host_key_file, random });
  if (hostKey.created)
    logger.info('gateway host key created', { path: hostKey.path, fingerprint: hostKey.fingerprint });
  const registry = createSessionRegistry({ store, clock, logger, ttlMs: p.registry_ttl });
  const live = await createLiveHub({
    store,
    clock,
    random,
    logger,
    maxViewers: p.live.max_viewers,
    bufferLines: p.live.buffer_lines,
    leaseMs: p.live.lease,
  });
  const issuer = createUpstreamIssuer({
    signer: deps.hostAccessSigner,
    nextSerial: deps.nextSerial,
    clock,
    random,
    ...(deps.caLimits ? { limits: deps.caLimits } : {}),
    ttlMs: p.upstream.certificate_ttl,
    ...(p.upstream.source_address ? { sourceAddress: p.upstream.source_address } : {}),
  });
  const recordingFiles = createRecordingFiles({ dir: recordingsDir(config) });
  let server;
  try {
    server = await startGatewayServer({
      rt: {
        clock,
        random,
        logger: logger.child({ component: 'proxy' }),
        audit: deps.audit,
        grants: deps.grants,
        hosts: deps.hosts,
        issuer,
        registry,
        live,
        hooks: deps.hooks ?? {},
        recorder: {
          audit: deps.audit,
          files: recordingFiles,
          clock,
          logger,
          checkpointIntervalMs: r.checkpoint_interval,
          flushIntervalMs: r.flush_interval,
          batchBytes: r.batch_bytes,
          maxPendingBytes: r.max_pending_bytes,
        },
        replica: deps.replica ?? `${hostname()}:${process.pid}`,
        upstream: {
          readyMs: p.upstream.ready_timeout,
          keepaliveMs: p.upstream.keepalive_interval,
          keepaliveCountMax: p.upstream.keepalive_count_max,
          ciphers: p.upstream.ciphers,
        },
        idleTimeoutMs: p.idle_timeout,
        menuTimeoutMs: p.menu_timeout,
      },
      store,
      hostKey,
      trustedUserCas: deps.userCaKeys,
      ...(deps.isRevoked ? { isRevoked: deps.isRevoked } : {}),
      listen: p.listen,
      port: p.port,
      authTimeoutMs: p.auth_timeout,
      maxConnections: p.max_connections,
      enforceIntervalMs: p.enforce_interval,
      recheckIntervalMs: p.recheck_interval,
      ciphers: p.ciphers,
    });
  } catch (err) {
    registry.close();
    await live.close();
    await recordingFiles.close();
    throw err;
  }
  logger.info('SSH gateway listening', {
    address: `${server.address.host}:${server.address.port}`,
    fingerprint: hostKey.fingerprint,
  });
  const gatewayServer = server;
  return {
    address: server.address,
    hostKey,
    sessions: {
      list: () => registry.list(),
      find: (id) => registry.find(id),
      kill: (id, by, reason) => registry.kill(id, by, reason),
      watch: (id, opts) => live.watch(id, opts),
    },
    connections: () => gatewayServer.connections(),
    async close() {
      await gatewayServer.close();
      registry.close();
      await live.close();
      await recordingFiles.close(); // after the sessions: their recordings are sealed by now
    },
  };
}
