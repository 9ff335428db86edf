/**
 * The gateway under test for `bench/proxy.ts`, in a process of its own (so its CPU and
 * memory are measured apart from the benchmark's): forked with IPC, it creates the CA
 * keys and the gateway in DIR, certifies DIR/user_key.pub with the user CA, and answers
 * `{ cmd: 'rss' }` with its resident memory after a full garbage collection, and
 * `{ cmd: 'stats' }` with its connections and CPU time (no collection).
 *
 *   fork('dist/bench/proxy-gateway.js', [DIR]) → { ready: true, port }
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openAuditLog } from '../src/audit';
import { createAuthority, formatAuthorizedKey, openKeystore, type Certificate } from '../src/ca';
import { loadConfig } from '../src/config';
import { systemClock, systemRandom } from '../src/core';
import { createSilentLogger } from '../src/logging';
import { DENIED_CONSTRAINTS, type Host } from '../src/policy';
import {
  createInventoryHostDirectory,
  startGateway,
  type GatewayGrant,
  type GrantDirectory,
} from '../src/proxy';
import { createStore } from '../src/store';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export const BENCH_HOST = 'bench-host';
export const BENCH_GRANT = 'g-bench';

async function main(dir: string): Promise<void> {
  const login = process.env.BENCH_LOGIN ?? 'root';
  const config = loadConfig({
    overrides: {
      data_dir: join(dir, 'data'),
      certs_dir: join(dir, 'certs'),
      proxy: {
        port: 0,
        max_connections: 10_000,
        ...(process.env.BENCH_SEMI_SPACE_MB
          ? { semi_space_mb: Number(process.env.BENCH_SEMI_SPACE_MB) }
          : {}),
      },
    },
  });
  const logger = createSilentLogger();
  const store = await createStore(config, { logger, clock: systemClock });
  const audit = openAuditLog({ config, store, clock: systemClock, logger });
  const keystore = openKeystore({ dir: config.certs_dir, keyType: 'ed25519', random: systemRandom });
  writeFileSync(
    join(dir, 'host_access_ca.pub'),
    `${formatAuthorizedKey(keystore.publicKey('host-access'))}\n`,
  );
  const nextSerial = async () => BigInt(await store.increment('ca.serial'));
  const authority = createAuthority({
    signers: { user: keystore.signer('user') },
    nextSerial,
    clock: systemClock,
    random: systemRandom,
    limits: { allowedExtensions: ['permit-pty'] },
  });
  const issued = await authority.issueUserCertificate({
    publicKey: readFileSync(join(dir, 'user_key.pub'), 'utf8'),
    principals: [login],
    keyId: `bench grant=${BENCH_GRANT}`,
    ttlMs: 6 * 3_600_000,
    extensions: ['permit-pty'],
  });
  writeFileSync(join(dir, 'user_key-cert.pub'), `${issued.line}\n`);

  const grant: GatewayGrant = {
    id: BENCH_GRANT,
    status: 'active',
    user: 'bench@example.com',
    certificatePrincipal: login,
    login,
    hosts: [BENCH_HOST],
    startsAt: Date.now() - 60_000,
    endsAt: Date.now() + 6 * 3_600_000,
    constraints: {
      ...DENIED_CONSTRAINTS,
      pty: true,
      exec: true,
      sftp: true,
      recordInput: false,
      logins: [login],
      principals: [login],
    },
  };
  const grants: GrantDirectory = {
    grantsFor: async (c: Certificate) => (c.keyId === `bench grant=${BENCH_GRANT}` ? [grant] : []),
    get: async () => grant,
    onRevoked: async () => async () => undefined,
  };
  /** The target is written by the benchmark once its sshd runs: DIR/target.json. */
  const target = (): Host | undefined => {
    try {
      const t = JSON.parse(readFileSync(join(dir, 'target.json'), 'utf8')) as {
        port: number;
        fingerprint: string;
      };
      return {
        name: BENCH_HOST,
        address: '127.0.0.1',
        port: t.port,
        labels: {},
        trust: { hostCa: false, fingerprints: [t.fingerprint] },
        immutable: false,
      };
    } catch {
      return undefined;
    }
  };
  const gateway = await startGateway({
    config,
    store,
    audit,
    grants,
    hosts: createInventoryHostDirectory({
      inventory: () => ({ get: (name: string) => (name === BENCH_HOST ? target() : undefined) }),
      hostCaKeys: () => [],
      clock: systemClock,
    }),
    hostAccessSigner: keystore.signer('host-access'),
    nextSerial,
    userCaKeys: () => [keystore.publicKey('user')],
    logger,
  });
  process.on('message', (msg: { cmd?: string }) => {
    if (msg.cmd === 'rss' || msg.cmd === 'stats') {
      // CPU first: the collections below are the probe's, not the streams' it measures.
      const cpu = process.cpuUsage();
      // Forced collections only for a memory reading: they also teach V8's heap sizing
      // that collections are slow, and the process then collects more often while it streams.
      if (msg.cmd === 'rss') {
        gc();
        gc();
      }
      const mem = process.memoryUsage();
      process.send!({
        rss: mem.rss,
        heap: mem.heapUsed + mem.external,
        connections: gateway.connections().length,
        cpuMs: (cpu.user + cpu.system) / 1000,
        userMs: cpu.user / 1000,
        systemMs: cpu.system / 1000,
      });
    } else if (msg.cmd === 'stop') {
      void gateway
        .close()
        .then(() => audit.close())
        .then(() => store.close())
        .finally(() => process.exit(0));
    }
  });
  process.send!({
    ready: true,
    port: gateway.address.port,
    fingerprint: gateway.hostKey.fingerprint,
    line: gateway.hostKey.publicKeyLine,
  });
}

if (require.main === module) {
  main(process.argv[2]!).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
