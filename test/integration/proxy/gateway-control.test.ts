import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { sign } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Client, type ParsedKey } from 'ssh2';
import { parsePrivateKey } from '../../../src/ca';
import type { Constraints } from '../../../src/policy';
import {
  createCertificateAuthKey,
  createPinnedHostKeyVerifier,
  installSsh2CertAuthPatch,
} from '../../../src/proxy';
import { generateKey, sshKeygen } from '../../helpers/ssh-keygen';
import { freePort } from '../../helpers/ports';
import {
  HOST,
  LOGIN,
  startGatewayStack,
  waitFor,
  type GatewayStack,
  type UserCredential,
} from './gateway-stack';

/**
 * Refusals (grants, certificates, forwarding, channel kinds) and session control (grant
 * revoked, grant ended, terminated by a reviewer, idle) with a real OpenSSH client → gateway → sshd.
 */
let stack: GatewayStack;
let cred: UserCredential;
const TARGET = `${LOGIN}@${HOST}`;

beforeAll(async () => {
  stack = await startGatewayStack();
  stack.grant('g-main');
  cred = await stack.userCertificate('g-main');
});
afterAll(async () => {
  await stack?.close();
});

/** An ssh-agent on a socket of its own (for forwarding tests). */
async function startAgent(): Promise<{ socket: string; stop: () => void }> {
  const socket = join(stack.dir, `agent-${Date.now()}.sock`);
  const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  await waitFor(() => existsSync(socket), 5000, 'ssh-agent socket');
  return { socket, stop: () => child.kill('SIGTERM') };
}

/** An ssh client left running; `exited` resolves with its code and stderr. */
function background(args: string[]): {
  child: ChildProcess;
  exited: Promise<{ code: number; stderr: string }>;
} {
  const child = spawn('ssh', args, { env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  let stderr = '';
  child.stdout!.resume();
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code: code ?? -1, stderr })),
  );
  return { child, exited };
}

/** Resolves with the process result if it ends within `ms`, else null (then kills it). */
async function within<T>(p: Promise<T>, ms: number, child: ChildProcess): Promise<T | null> {
  const r = await Promise.race([p, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]);
  if (r === null) child.kill('SIGKILL');
  return r;
}

/** The live connection of a grant, once registered. */
function liveConnection(grant: string) {
  return waitFor(async () =>
    (await stack.gateway.sessions.list()).find((s) => s.grant === grant && s.channels.length > 0),
  );
}

async function endReason(grant: string): Promise<string> {
  const e = await waitFor(async () =>
    (await stack.auditEntries()).find((x) => x.type === 'session.ended' && x.data.grant === grant),
  );
  return String(e.data.reason);
}

describe('logins the gateway refuses, saying why', () => {
  it.each([
    [
      'no grant exists for the certificate',
      'g-none',
      TARGET,
      'access refused: this certificate is not tied to any grant',
    ],
    [
      'the grant has expired',
      'g-expired',
      TARGET,
      'access refused: no active grant: grant g-expired ended at',
    ],
    [
      'the grant was revoked',
      'g-revoked',
      TARGET,
      'access refused: no active grant: grant g-revoked is revoked',
    ],
    [
      'the host is not granted',
      'g-main',
      `${LOGIN}@web-9`,
      `access refused: no active grant for ${LOGIN}@web-9; the active grants cover ${LOGIN}@db-1`,
    ],
    ['the login is not granted', 'g-main', 'admin@db-1', 'access refused: no active grant for login admin'],
  ])('when %s', async (_name, grantId, user, message) => {
    if (grantId === 'g-expired')
      stack.grant(grantId, { endsAt: Date.now() - 1000, startsAt: Date.now() - 60_000 });
    if (grantId === 'g-revoked') stack.grant(grantId, { status: 'revoked' });
    const c = grantId === 'g-main' ? cred : await stack.userCertificate(grantId);
    const r = await stack.ssh(stack.sshArgs(c, user, 'true'));
    expect(r.code).toBe(255);
    expect(r.stderr).toContain(`breakglass: ${message}`);
    expect(r.stderr).toContain('Permission denied (publickey)');
    const failed = await waitFor(async () =>
      (await stack.auditEntries()).find(
        (e) =>
          e.type === 'login.failed' &&
          String(e.data.reason).includes(message.replace(/^access refused: /, '')),
      ),
    );
    expect(failed.data).toMatchObject({ method: 'ssh-certificate', client_address: '127.0.0.1' });
  });

  it('refuses a certificate from another CA', async () => {
    const dir = stack.dir;
    sshKeygen(['-q', '-t', 'ed25519', '-N', '', '-C', 'rogue-ca', '-f', join(dir, 'rogue_ca')]);
    const { privatePath, publicPath } = generateKey(dir, 'rogue_user', 'ed25519');
    sshKeygen([
      '-q',
      '-s',
      join(dir, 'rogue_ca'),
      '-I',
      'user=alice@example.com grant=g-main',
      '-n',
      LOGIN,
      '-V',
      '-5m:+1h',
      publicPath,
    ]);
    const r = await stack.ssh(
      stack.sshArgs({ key: privatePath, certificate: `${privatePath}-cert.pub` }, TARGET, 'true'),
    );
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(
      /breakglass: certificate refused: certificate is signed by CA SHA256:\S+, which is not trusted here/,
    );
  });

  it('refuses a certificate listed in the KRL', async () => {
    stack.grant('g-krl');
    const c = await stack.userCertificate('g-krl');
    stack.revokeSerial(c.serial);
    const r = await stack.ssh(stack.sshArgs(c, TARGET, 'true'));
    expect(r.code).toBe(255);
    expect(r.stderr).toContain(`breakglass: certificate refused: certificate serial ${c.serial} is revoked`);
  });

  it('refuses a plain key without a certificate', async () => {
    const r = await stack.ssh(stack.sshArgs({ key: cred.key, certificate: '/dev/null' }, TARGET, 'true'));
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('Permission denied (publickey)');
  });

  it('refuses a valid certificate presented with a signature made by another key (forged)', async () => {
    installSsh2CertAuthPatch();
    const genuine = createCertificateAuthKey({
      privateKey: readFileSync(cred.key, 'utf8'),
      certificate: readFileSync(cred.certificate, 'utf8'),
    });
    const other = parsePrivateKey(
      readFileSync(generateKey(stack.dir, 'forger', 'ed25519').privatePath, 'utf8'),
    ).privateKey;
    const forged = Object.create(genuine, {
      sign: { value: (data: Buffer) => sign(null, data, other) },
    }) as ParsedKey;
    const err = await new Promise<Error & { level?: string }>((resolve) => {
      const client = new Client();
      client.on('ready', () => {
        client.end();
        resolve(Object.assign(new Error('logged in'), { level: 'none' }));
      });
      client.on('error', resolve);
      client.connect({
        host: '127.0.0.1',
        port: stack.gateway.address.port,
        username: TARGET,
        hostVerifier: (key: Buffer) =>
          createPinnedHostKeyVerifier([stack.gateway.hostKey.fingerprint])(key).ok,
        authHandler: [{ type: 'publickey', username: TARGET, key: forged } as never],
      });
    });
    expect(err.level).toBe('client-authentication');
  });
});

describe('channels the grant does not allow', () => {
  const cases: Array<[string, Partial<Constraints>, string | undefined, string[], string]> = [
    [
      'exec',
      { exec: false },
      'true',
      [],
      'remote commands (exec) are not allowed by the policy of this grant',
    ],
    [
      'a pty',
      { pty: false },
      undefined,
      ['-tt'],
      'interactive terminals (pty) are not allowed by the policy of this grant',
    ],
    ['sftp', { sftp: false }, 'sftp', ['-s'], 'sftp and scp are not allowed by the policy of this grant'],
  ];
  it.each(cases)(
    'refuses %s with a clear message and exit status 1',
    async (name, constraints, command, extra, message) => {
      const id = `g-no-${name.replace(/\W/g, '')}`;
      stack.grant(id, { constraints });
      const c = await stack.userCertificate(id);
      const r = await stack.ssh(stack.sshArgs(c, TARGET, command, extra), { input: 'exit\n' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`breakglass: ${message}`);
    },
  );
});

describe('forwarding', () => {
  it('refuses local port forwarding the grant does not allow, naming the grant', async () => {
    const local = await freePort();
    const { child, exited } = background(
      stack.sshArgs(cred, TARGET, 'sleep 20', ['-L', `${local}:127.0.0.1:${stack.sshd.port}`]),
    );
    try {
      await liveConnection('g-main');
      await new Promise<void>((resolve) => {
        const sock = connect({ host: '127.0.0.1', port: local });
        sock.on('error', () => resolve());
        sock.on('close', () => resolve());
        sock.resume();
      });
    } finally {
      child.kill('SIGTERM');
    }
    const { stderr } = await exited;
    expect(stderr).toContain(
      'open failed: administratively prohibited: port forwarding is not allowed by the policy of grant g-main',
    );
  });

  it('refuses remote port forwarding and agent forwarding the grant does not allow', async () => {
    const r = await stack.ssh(
      stack.sshArgs(cred, TARGET, 'true', ['-R', '0:127.0.0.1:9', '-o', 'ExitOnForwardFailure=yes']),
    );
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('remote port forwarding failed');
    const agent = await startAgent();
    try {
      // ssh forwards the agent of SSH_AUTH_SOCK with -A (IdentityAgent=none would turn it off).
      const args = stack
        .sshArgs(cred, TARGET, 'echo ran', ['-A'])
        .filter((a, i, all) => a !== 'IdentityAgent=none' && all[i + 1] !== 'IdentityAgent=none');
      const a = await stack.ssh(args, { env: { SSH_AUTH_SOCK: agent.socket } });
      expect(a.code).toBe(0);
      expect(a.stdout.toString()).toBe('ran\n');
      expect(a.stderr).toContain(
        'breakglass: agent forwarding is not allowed by the policy of grant g-main; it was refused',
      );
    } finally {
      agent.stop();
    }
  });

  it('forwards the agent when the grant allows it: the host lists the keys of the user agent', async () => {
    stack.grant('g-agent', { constraints: { agentForwarding: true } });
    const c = await stack.userCertificate('g-agent');
    const agent = await startAgent();
    try {
      const key = generateKey(stack.dir, 'agent_key', 'ed25519');
      const add = spawnSync('ssh-add', [key.privatePath], {
        env: { SSH_AUTH_SOCK: agent.socket },
        encoding: 'utf8',
      });
      expect(add.status).toBe(0);
      const args = stack
        .sshArgs(c, TARGET, 'ssh-add -l', ['-A'])
        .filter((a, i, all) => a !== 'IdentityAgent=none' && all[i + 1] !== 'IdentityAgent=none');
      const r = await stack.ssh(args, { env: { SSH_AUTH_SOCK: agent.socket } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const fp = execFileSync('ssh-keygen', ['-l', '-f', key.publicPath], { encoding: 'utf8' }).split(
        ' ',
      )[1]!;
      expect(r.stdout.toString()).toContain(fp);
    } finally {
      agent.stop();
    }
  });

  it('forwards a local port when the grant allows it', async () => {
    stack.grant('g-fwd', { constraints: { portForwarding: true } });
    const c = await stack.userCertificate('g-fwd');
    const local = await freePort();
    const { child, exited } = background(
      stack.sshArgs(c, TARGET, 'sleep 20', ['-L', `${local}:127.0.0.1:${stack.sshd.port}`]),
    );
    try {
      await liveConnection('g-fwd');
      const banner = await new Promise<string>((resolve, reject) => {
        const sock = connect({ host: '127.0.0.1', port: local });
        sock.once('data', (d: Buffer) => {
          resolve(d.toString());
          sock.destroy();
        });
        sock.on('error', reject);
      });
      expect(banner).toMatch(/^SSH-2\.0-OpenSSH/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('session control', () => {
  it('cuts a session within a second of its grant being revoked (pub/sub from any replica)', async () => {
    stack.grant('g-rev');
    const c = await stack.userCertificate('g-rev');
    const { child, exited } = background(stack.sshArgs(c, TARGET, 'sleep 30'));
    await liveConnection('g-rev');
    await stack.revoke('g-rev');
    const r = await within(exited, 1000, child);
    expect(r).not.toBeNull();
    expect(r!.stderr).toContain('breakglass: session ended: grant g-rev was revoked');
    expect(await endReason('g-rev')).toBe('grant g-rev was revoked');
  });

  it('ends a session when its grant reaches its end', async () => {
    stack.grant('g-short', { endsAt: Date.now() + 2500 });
    const c = await stack.userCertificate('g-short');
    const { child, exited } = background(stack.sshArgs(c, TARGET, 'sleep 30'));
    await liveConnection('g-short');
    const r = await within(exited, 2500 + 1000, child);
    expect(r).not.toBeNull();
    expect(r!.stderr).toMatch(/breakglass: session ended: grant g-short ended at/);
  });

  it('ends a session a security reviewer terminates, by session id, on whichever replica runs it', async () => {
    stack.grant('g-kill');
    const c = await stack.userCertificate('g-kill');
    const { child, exited } = background(stack.sshArgs(c, TARGET, 'sleep 30'));
    const live = await liveConnection('g-kill');
    await stack.gateway.sessions.kill(live.channels[0]!.id, 'user:security@example.com', 'suspicious');
    const r = await within(exited, 1000, child);
    expect(r).not.toBeNull();
    expect(r!.stderr).toContain('session ended: terminated by user:security@example.com: suspicious');
    expect(await endReason('g-kill')).toBe('terminated by user:security@example.com: suspicious');
    await waitFor(async () => !(await stack.gateway.sessions.find(live.id)), 5000, 'record removed');
  });

  it('ends a session idle for longer than the policy allows', async () => {
    stack.grant('g-idle', { constraints: { idleTimeoutMs: 1500 } });
    const c = await stack.userCertificate('g-idle');
    const { child, exited } = background(stack.sshArgs(c, TARGET, 'sleep 30'));
    const r = await within(exited, 1500 + 2000, child);
    expect(r).not.toBeNull();
    expect(r!.stderr).toContain('session ended: idle for 2 s');
  });

  it('reports every ended connection with its sessions and the per-session certificate', async () => {
    const ended = stack.ended.find((e) => e.grantId === 'g-kill');
    expect(ended).toMatchObject({ host: HOST, login: LOGIN, user: 'alice@example.com', immutable: true });
    expect(ended!.sessionIds).toHaveLength(1);
    expect(stack.upstreamCertificates.find((c) => c.grantId === 'g-kill')).toMatchObject({
      keyId: expect.stringMatching(
        /^breakglass:user=alice@example\.com:grant=g-kill:session=c[0-9a-f]{16}:serial=\d+$/,
      ),
    });
  });
});

describe('target choice', () => {
  it('offers a menu in the pty when only the login is given and several granted hosts fit', async () => {
    stack.grant('g-menu', { hosts: [HOST, 'db-2'] });
    const c = await stack.userCertificate('g-menu');
    const r = await stack.ssh(stack.sshArgs(c, LOGIN, undefined, ['-tt']), {
      input: '1\necho chose-$((1+1))\nexit\n',
    });
    const out = r.stdout.toString();
    expect(out).toContain(`1) ${LOGIN}@${HOST}`);
    expect(out).toContain(`2) ${LOGIN}@db-2`);
    expect(out).toContain('chose-2');
  });

  it('asks for LOGIN@HOST when a command is run and several hosts fit', async () => {
    const c = await stack.userCertificate('g-menu');
    const r = await stack.ssh(stack.sshArgs(c, LOGIN, 'true'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`breakglass: more than one target fits (${LOGIN}@${HOST}, ${LOGIN}@db-2)`);
  });

  it('refuses a host whose key is not the pinned one (no trust on first use)', async () => {
    stack.hosts.set('db-3', {
      ...stack.hosts.get(HOST)!,
      name: 'db-3',
      trust: { hostCa: false, fingerprints: [`SHA256:${'A'.repeat(43)}`] },
    });
    stack.grant('g-db3', { hosts: ['db-3'] });
    const c = await stack.userCertificate('g-db3');
    const r = await stack.ssh(stack.sshArgs(c, `${LOGIN}@db-3`, 'true'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /breakglass: could not log in to db-3: \S+: host key ssh-ed25519 SHA256:\S+ is not pinned for this host; refusing to connect/,
    );
  });
});
