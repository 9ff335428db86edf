import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { openAuditLog, type AuditLog } from '../../../src/audit';
import {
  createAuthority,
  encodeKrl,
  fingerprint,
  formatAuthorizedKey,
  isRevoked,
  openKeystore,
  parseAuthorizedKey,
  parseKrl,
  type Authority,
  type Certificate,
  type Keystore,
} from '../../../src/ca';
import { loadConfig, type Config } from '../../../src/config';
import { systemClock, systemRandom } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';
import { DENIED_CONSTRAINTS, type Constraints, type Host } from '../../../src/policy';
import {
  createInventoryHostDirectory,
  startGateway,
  type EndedSession,
  type Gateway,
  type GatewayGrant,
  type GrantDirectory,
  type Unsubscribe,
  type UpstreamCertificateIssued,
} from '../../../src/proxy';
import { createStore, type Store } from '../../../src/store';
import { generateKey } from '../../helpers/ssh-keygen';
import { prepareSshd, startSshd, type SshdHandle, type SshdSetup } from '../../helpers/sshd';
import { tmpDir } from '../../helpers/tmp';
import { sshBaseOptions } from '../../helpers/ssh-client';

/**
 * One real sshd (trusting our host-access CA) and one gateway in front of it, on
 * 127.0.0.1, with an in-test grant directory; the OpenSSH client is run against the
 * gateway with certificates from our user CA. One per test file (beforeAll).
 */
export const LOGIN = userInfo().username;
export const HOST = 'db-1';
export const REVOKE_CHANNEL = 'grant.revoked';

export const ALL_ALLOWED: Constraints = {
  ...DENIED_CONSTRAINTS,
  maxTtlMs: 3_600_000,
  ttlMs: 3_600_000,
  logins: [LOGIN],
  principals: [LOGIN],
  pty: true,
  exec: true,
  sftp: true,
  portForwarding: false,
  agentForwarding: false,
  x11Forwarding: false,
  recordInput: true,
  immutable: true,
};

export interface UserCredential {
  readonly key: string;
  readonly certificate: string;
  readonly serial: bigint;
}

export interface SshResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface GatewayStack {
  readonly dir: string;
  readonly config: Readonly<Config>;
  readonly store: Store;
  readonly audit: AuditLog;
  readonly keystore: Keystore;
  readonly authority: Authority;
  readonly sshd: SshdHandle;
  readonly gateway: Gateway;
  readonly knownHosts: string;
  readonly grants: Map<string, GatewayGrant>;
  /** The inventory (db-1 is the real sshd, pinned by its host key fingerprint). */
  readonly hosts: Map<string, Host>;
  readonly ended: EndedSession[];
  readonly upstreamCertificates: UpstreamCertificateIssued[];
  /** Adds (or replaces) a grant. */
  grant(
    id: string,
    overrides?: Omit<Partial<GatewayGrant>, 'constraints'> & { constraints?: Partial<Constraints> },
  ): GatewayGrant;
  /** Revokes a grant the way access does: status, then the pub/sub message. */
  revoke(id: string): Promise<void>;
  /** A key pair and a user certificate naming `grantId` (principal: the login). */
  userCertificate(
    grantId: string,
    opts?: { principals?: string[]; ttlMs?: number; name?: string },
  ): Promise<UserCredential>;
  /** Adds a serial to the gateway's KRL. */
  revokeSerial(serial: bigint): void;
  /** OpenSSH options (`-F`, `-o …`, `-i`) for the gateway, without port and destination (for ssh, sftp, scp). */
  clientOptions(cred: Pick<UserCredential, 'key' | 'certificate'>): string[];
  /** `ssh` arguments to run `command` through the gateway as `user`. */
  sshArgs(
    cred: Pick<UserCredential, 'key' | 'certificate'>,
    user: string,
    command?: string,
    extra?: string[],
  ): string[];
  /** Runs the OpenSSH client (stdin from `input`). */
  ssh(
    args: string[],
    opts?: { input?: Buffer | string; timeoutMs?: number; env?: Record<string, string> },
  ): Promise<SshResult>;
  /** Audit entries of the store's audit log, parsed. */
  auditEntries(): Promise<Array<{ type: string; data: Record<string, unknown>; actor: string }>>;
  close(): Promise<void>;
}

export async function startGatewayStack(
  opts: { proxy?: Record<string, unknown>; recording?: Record<string, unknown>; redisUrl?: string } = {},
): Promise<GatewayStack> {
  const tmp = tmpDir('bg-gw-');
  const dir = tmp.path;
  const config = loadConfig({
    overrides: {
      data_dir: join(dir, 'data'),
      certs_dir: join(dir, 'certs'),
      store: opts.redisUrl
        ? { driver: 'redis', redis: { url: opts.redisUrl } }
        : { embedded: { fsync: false } },
      proxy: { port: 0, enforce_interval: '100ms', recheck_interval: '1s', ...opts.proxy },
      recording: { ...opts.recording },
    },
  });
  const logger = createSilentLogger();
  const store = await createStore(config, { logger, clock: systemClock });
  const audit = openAuditLog({ config, store, clock: systemClock, logger });
  const keystore = openKeystore({ dir: config.certs_dir, keyType: 'ed25519', random: systemRandom });
  let serial = 0n;
  const nextSerial = async () => BigInt(await store.increment('ca.serial'));
  const authority = () =>
    createAuthority({
      signers: { user: keystore.signer('user'), 'host-access': keystore.signer('host-access') },
      nextSerial,
      clock: systemClock,
      random: systemRandom,
      limits: {
        allowedExtensions: [
          'permit-pty',
          'permit-port-forwarding',
          'permit-agent-forwarding',
          'permit-X11-forwarding',
        ],
      },
    });

  const setup: SshdSetup = prepareSshd();
  const hostAccessPub = join(setup.dir, 'host_access_ca.pub');
  writeFileSync(hostAccessPub, `${formatAuthorizedKey(keystore.publicKey('host-access'))}\n`);
  const sshd = await startSshd(setup, [
    `TrustedUserCAKeys ${hostAccessPub}`,
    'AllowTcpForwarding yes',
    'X11Forwarding no',
  ]);
  const hostKeyFp = fingerprint(
    parseAuthorizedKey(readFileSync(setup.hostKey.publicPath, 'utf8'), 'host key').key,
  );
  const hosts = new Map<string, Host>();
  const inventory: Host = {
    name: HOST,
    address: '127.0.0.1',
    port: sshd.port,
    labels: { env: 'test' },
    trust: { hostCa: false, fingerprints: [hostKeyFp] },
    immutable: true,
  };
  hosts.set(HOST, inventory);

  const grants = new Map<string, GatewayGrant>();
  const directory: GrantDirectory = {
    // The test CA names the grant in the key id (the access capability uses an extension).
    async grantsFor(cert: Certificate) {
      const m = / grant=(\S+)$/.exec(cert.keyId);
      const g = m ? grants.get(m[1]!) : undefined;
      return g ? [g] : [];
    },
    async get(id) {
      return grants.get(id) ?? null;
    },
    async onRevoked(handler): Promise<Unsubscribe> {
      return store.subscribe(REVOKE_CHANNEL, (text) =>
        handler((JSON.parse(text) as { grant: string }).grant),
      );
    },
  };
  let krl = parseKrl(encodeKrl({ version: 1n, generatedAt: Date.now(), certificates: [] }));
  const revoked: bigint[] = [];
  const ended: EndedSession[] = [];
  const upstreamCertificates: UpstreamCertificateIssued[] = [];

  const gateway = await startGateway({
    config,
    store,
    audit,
    grants: directory,
    hosts: createInventoryHostDirectory({
      inventory: () => ({ get: (name: string) => hosts.get(name) }),
      hostCaKeys: () => [],
      clock: systemClock,
    }),
    hostAccessSigner: keystore.signer('host-access'),
    nextSerial,
    userCaKeys: () => [keystore.publicKey('user')],
    isRevoked: (c) => isRevoked(krl, c),
    hooks: {
      onSessionEnded: (e) => void ended.push(e),
      onUpstreamCertificate: (c) => void upstreamCertificates.push(c),
    },
    logger,
  });
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${gateway.address.port} ${gateway.hostKey.publicKeyLine}\n`);

  let keyNo = 0;
  const stack: GatewayStack = {
    dir,
    config,
    store,
    audit,
    keystore,
    authority: authority(),
    sshd,
    gateway,
    knownHosts,
    grants,
    hosts,
    ended,
    upstreamCertificates,
    grant(id, overrides = {}) {
      const now = Date.now();
      const g: GatewayGrant = {
        id,
        status: 'active',
        user: 'alice@example.com',
        certificatePrincipal: LOGIN,
        login: LOGIN,
        hosts: [HOST],
        startsAt: now - 60_000,
        endsAt: now + 3_600_000,
        ...overrides,
        constraints: { ...ALL_ALLOWED, ...overrides.constraints },
      };
      grants.set(id, g);
      return g;
    },
    async revoke(id) {
      const g = grants.get(id);
      if (g) grants.set(id, { ...g, status: 'revoked' });
      await store.publish(REVOKE_CHANNEL, JSON.stringify({ grant: id }));
    },
    async userCertificate(grantId, o = {}) {
      const name = o.name ?? `user${++keyNo}`;
      const { privatePath, publicPath } = generateKey(dir, name, 'ed25519');
      const issued = await authority().issueUserCertificate({
        publicKey: readFileSync(publicPath, 'utf8'),
        principals: o.principals ?? [LOGIN],
        keyId: `user=alice@example.com grant=${grantId}`,
        ttlMs: o.ttlMs ?? 3_600_000,
        extensions: ['permit-pty'],
      });
      const certificate = `${privatePath}-cert.pub`;
      writeFileSync(certificate, `${issued.line}\n`);
      serial = issued.serial;
      return { key: privatePath, certificate, serial };
    },
    revokeSerial(s) {
      revoked.push(s);
      krl = parseKrl(
        encodeKrl({
          version: BigInt(revoked.length + 1),
          generatedAt: Date.now(),
          certificates: [{ ca: keystore.publicKey('user'), serials: [...revoked] }],
        }),
      );
    },
    clientOptions(cred) {
      return [
        ...sshBaseOptions(knownHosts),
        '-o',
        'UpdateHostKeys=no',
        '-o',
        'ConnectTimeout=10',
        '-i',
        cred.key,
        '-o',
        `CertificateFile=${cred.certificate}`,
      ];
    },
    sshArgs(cred, user, command, extra = []) {
      return [
        ...stack.clientOptions(cred),
        '-p',
        String(gateway.address.port),
        ...extra,
        `${user}@127.0.0.1`,
        ...(command !== undefined ? [command] : []),
      ];
    },
    ssh(args, o = {}) {
      return runClient('ssh', args, o);
    },
    async auditEntries() {
      const out: Array<{ type: string; data: Record<string, unknown>; actor: string }> = [];
      const log = `audit/${config.audit.log_id}`;
      for (let from = 1; ;) {
        const page = await store.readLog(log, from, 1000);
        for (const e of page)
          out.push(JSON.parse(e.data) as { type: string; data: Record<string, unknown>; actor: string });
        if (page.length < 1000) break;
        from = page[page.length - 1]!.seq + 1;
      }
      return out;
    },
    async close() {
      await gateway.close();
      await sshd.stop();
      await audit.close();
      await store.close();
      setup.cleanup();
      tmp.cleanup();
    },
  };
  void serial;
  return stack;
}

/** Polls `check` until it returns a value (not undefined/false), for at most `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs an OpenSSH program (ssh, sftp, scp) with stdin from `input`, collecting output. */
export function runClient(
  program: string,
  args: string[],
  o: { input?: Buffer | string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm', ...o.env },
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => undefined);
    if (o.input !== undefined) child.stdin.end(o.input);
    else child.stdin.end();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${program} timed out: ${stderr}`));
    }, o.timeoutMs ?? 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr });
    });
  });
}
