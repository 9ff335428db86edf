import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fingerprint, formatAuthorizedKey, openKeystore, parseAuthorizedKey, parseKrl } from '../../src/ca';
import { systemClock, systemRandom } from '../../src/core';
import { startNodeGateway, type Gateway } from '../../src/proxy';
import { runSsh, sshBaseOptions } from '../helpers/ssh-client';
import { generateKey, sshKeygen } from '../helpers/ssh-keygen';
import { prepareSshd, startSshd, type SshdHandle, type SshdSetup } from '../helpers/sshd';
import { startStack, type Stack, type Who } from '../helpers/stack';
import { tmpDir } from '../helpers/tmp';
import { createSilentLogger } from '../../src/logging';

/**
 * The whole path with the real access capability: a user asks for access through the
 * API, gets a certificate for the grant, and logs in with OpenSSH through the gateway
 * to a real sshd that trusts only the host-access CA. The session is recorded and
 * audited, drift is marked, and revoking the grant cuts the live session and puts the
 * per-session certificate in the published KRL.
 */
const LOGIN = userInfo().username;
const alice: Who = { sub: 'alice', email: 'alice@example.com', groups: ['testers'] };
const dir = tmpDir('bg-gw-e2e-');
const keys = tmpDir('bg-gw-e2e-keys-');
let setup: SshdSetup;
let sshd: SshdHandle;
let stack: Stack;
let gateway: Gateway;
let knownHosts: string;

type Entry = { type: string; target?: string; data: Record<string, unknown> };

async function audit(): Promise<Entry[]> {
  const rows = await stack.node.store.readLog(stack.node.audit.storeLog, 1, 10_000);
  return rows.map((r) => JSON.parse(r.data) as Entry);
}

async function waitFor<T>(check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function sshArgs(key: string, command: string): string[] {
  return [
    ...sshBaseOptions(knownHosts),
    '-i',
    key,
    '-p',
    String(gateway.address.port),
    `${LOGIN}@db-1@127.0.0.1`,
    command,
  ];
}

/** Files a request (active at once: the role needs no approval) and gets a certificate for `name`'s key. */
async function grantAndCertificate(name: string): Promise<{ grant: string; key: string }> {
  const token = await stack.tokenFor(alice);
  const req = await stack.api<{ id: string; status: string; grant: { id: string } | null }>(
    token,
    'POST',
    '/requests',
    {
      host: 'db-1',
      login: LOGIN,
      ttl: '30m',
      reason: 'e2e gateway test',
    },
  );
  expect(req.status).toBe(201);
  expect(req.body.status).toBe('active');
  const key = generateKey(keys.path, name, 'ed25519');
  const cert = await stack.api<{ certificate: string }>(token, 'POST', `/grants/${req.body.id}/certificate`, {
    public_key: readFileSync(key.publicPath, 'utf8'),
  });
  expect(cert.status).toBe(201);
  writeFileSync(`${key.privatePath}-cert.pub`, `${cert.body.certificate}\n`);
  return { grant: req.body.id, key: key.privatePath };
}

beforeAll(async () => {
  // The node's directory is prepared first: its CA keys (sshd must trust the host-access
  // CA before it starts) and its policies (the inventory must name sshd's port).
  mkdirSync(join(dir.path, 'certs'), { mode: 0o700 });
  const keystore = openKeystore({ dir: join(dir.path, 'certs'), keyType: 'ed25519', random: systemRandom });
  setup = prepareSshd();
  const caPub = join(setup.dir, 'host_access_ca.pub');
  writeFileSync(caPub, `${formatAuthorizedKey(keystore.publicKey('host-access'))}\n`);
  sshd = await startSshd(setup, [`TrustedUserCAKeys ${caPub}`]);
  const hostFp = fingerprint(
    parseAuthorizedKey(readFileSync(setup.hostKey.publicPath, 'utf8'), 'host key').key,
  );
  writePolicies(join(dir.path, 'policies'), sshd.port, hostFp);
  stack = await startStack({ dir: dir.path, overrides: { access: { krl_file: 'hosts.krl' } } });
  gateway = await startNodeGateway({
    config: { ...stack.config, proxy: { ...stack.config.proxy, port: 0 } },
    store: stack.node.store,
    audit: stack.node.audit,
    access: stack.node.access,
    policy: stack.node.policy,
    authority: stack.node.authority,
    hostAccessSigner: keystore.signer('host-access'),
    logger: createSilentLogger(),
    clock: systemClock,
    random: systemRandom,
  });
  knownHosts = join(keys.path, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${gateway.address.port} ${gateway.hostKey.publicKeyLine}\n`);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await stack?.close();
  await sshd?.stop();
  setup?.cleanup();
  dir.cleanup();
  keys.cleanup();
});

describe('OpenSSH → gateway → sshd with the access capability', () => {
  it('logs in with the grant certificate, records and audits the session, and marks the immutable host tainted', async () => {
    const { grant, key } = await grantAndCertificate('user1');
    const r = await runSsh(sshArgs(key, 'echo via-gateway; id -un'));
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: `via-gateway\n${LOGIN}\n` });
    const entries = await waitFor(async () => {
      const all = await audit();
      return all.some((e) => e.type === 'host.tainted') ? all : undefined;
    });
    const started = entries.find((e) => e.type === 'session.started')!;
    expect(started.data).toMatchObject({ grant, host: 'db-1', login: LOGIN, kind: 'exec' });
    const ended = entries.find(
      (e) => e.type === 'session.ended' && e.data.session_id === started.data.session_id,
    )!;
    expect(ended.data).toMatchObject({ exit_status: '0', reason: 'exit' });
    const recording = readFileSync(
      join(stack.config.data_dir, 'recordings', `${String(started.data.session_id)}.cast`),
    );
    expect(recording.length).toBe(ended.data.recording_size);
    expect(entries.find((e) => e.type === 'host.tainted')!.data).toMatchObject({ host_id: 'db-1', grant });
    // The per-session certificate is known to the grant (so its revocation covers it).
    const issued = entries.filter((e) => e.type === 'certificate.issued' && e.data.grant === grant);
    expect(issued).toHaveLength(1); // the user's; the gateway's is recorded with access.certificates.record
  });

  it('cuts the live session within a second of the grant being revoked through the API, and the KRL lists its certificates', async () => {
    const { grant, key } = await grantAndCertificate('user2');
    const child = spawn('ssh', sshArgs(key, 'sleep 30'), {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));
    const live = await waitFor(async () =>
      (await gateway.sessions.list()).find((s) => s.grant === grant && s.channels.length > 0),
    );
    const revoked = await stack.api(await stack.tokenFor(alice), 'POST', `/grants/${grant}/revoke`, {
      reason: 'done',
    });
    expect(revoked.status).toBe(200);
    const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 1000))]);
    if (code === null) child.kill('SIGKILL');
    expect(code).not.toBeNull();
    expect(stderr).toContain(`session ended: grant ${grant} was revoked`);
    // A new login with the same certificate is refused.
    const again = await runSsh(sshArgs(key, 'true'));
    expect(again.code).toBe(255);
    expect(again.stderr).toMatch(
      /breakglass: (certificate refused: certificate serial \d+ is revoked|access refused)/,
    );
    // The published KRL revokes the user certificate (checked by ssh-keygen).
    const krl = join(keys.path, 'krl');
    writeFileSync(krl, (await stack.api(null, 'GET', '/krl')).raw);
    expect(sshKeygen(['-Q', '-f', krl, `${key}-cert.pub`]).stdout).toContain('REVOKED');
    // …and the gateway's per-session certificate for the host, under the host-access CA.
    const serial = BigInt(live.upstreamSerial!);
    const parsed = parseKrl(readFileSync(krl));
    const hostAccess = stack.node.authority.publicKey('host-access')!;
    const section = parsed.certificates.find((c) => c.ca?.blob.equals(hostAccess.blob));
    expect(section?.serials.some((r) => r.from <= serial && serial <= r.to)).toBe(true);
  });
});

/** The policy for this file: testers may reach db-1 (the real sshd, its key pinned) as the current user, no approval. */
function writePolicies(path: string, port: number, hostFingerprint: string): void {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'deny.yaml'), 'deny: []\n');
  writeFileSync(
    join(path, 'hosts.yaml'),
    [
      'label_keys: [env]',
      'hosts:',
      '  - name: db-1',
      '    address: 127.0.0.1',
      `    port: ${port}`,
      '    labels: { env: test }',
      `    trust: { fingerprints: ['${hostFingerprint}'] }`,
      '    immutable: true',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(path, 'roles.yaml'),
    [
      'roles:',
      '  - name: testers',
      '    subjects:',
      '      - groups: [testers]',
      '    hosts:',
      '      - labels: { env: test }',
      `    logins: [${LOGIN}]`,
      '    max_ttl: 1h',
      '    ssh: { pty: true, exec: true, sftp: true, record_input: true }',
      '',
    ].join('\n'),
  );
}
