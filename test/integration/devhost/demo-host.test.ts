import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createAuthority,
  encodeKrl,
  formatAuthorizedKey,
  openKeystore,
  type Authority,
} from '../../../src/ca';
import { systemClock, systemRandom } from '../../../src/core';
import { startDemoHost, type DemoHost } from '../../../src/devhost';
import { createSilentLogger } from '../../../src/logging';
import { freePort } from '../../helpers/ports';
import { sshBaseOptions } from '../../helpers/ssh-client';
import { generateKey } from '../../helpers/ssh-keygen';
import { tmpDir } from '../../helpers/tmp';

/** The quick start's demo host: a real sshd that only the host-access CA's certificates open. */
const dir = tmpDir('bg-demo-host-test-');
const krlFile = join(dir.path, 'revoked_keys.krl');
let authority: Authority;
let demo: DemoHost;
let serial = 0n;

function ssh(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ssh', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function credential(name: string, ca: 'host-access' | 'user', principal: string) {
  const key = generateKey(dir.path, name);
  const issued = await authority.issueUserCertificate({
    ca,
    publicKey: readFileSync(key.publicPath, 'utf8'),
    principals: [principal],
    keyId: `test ${name}`,
    ttlMs: 600_000,
    extensions: ['permit-pty'],
  });
  const cert = `${key.privatePath}-cert.pub`;
  writeFileSync(cert, `${issued.line}\n`);
  return { key: key.privatePath, cert, serial: issued.serial };
}

/** ssh to the demo host, checking its host certificate against the host CA (no trust on first use). */
function login(cred: { key: string; cert: string }, user: string) {
  const known = join(dir.path, 'known_hosts');
  writeFileSync(known, `@cert-authority * ${formatAuthorizedKey(authority.publicKey('host')!)}\n`);
  return ssh([
    ...sshBaseOptions(known),
    '-o',
    'HostKeyAlias=demo',
    '-i',
    cred.key,
    '-o',
    `CertificateFile=${cred.cert}`,
    '-p',
    String(demo.port),
    `${user}@127.0.0.1`,
    'echo demo-$((6*7))',
  ]);
}

beforeAll(async () => {
  const keystore = openKeystore({ dir: join(dir.path, 'certs'), keyType: 'ed25519', random: systemRandom });
  authority = createAuthority({
    signers: {
      user: keystore.signer('user'),
      'host-access': keystore.signer('host-access'),
      host: keystore.signer('host'),
    },
    nextSerial: async () => ++serial,
    clock: systemClock,
    random: systemRandom,
  });
  writeFileSync(krlFile, encodeKrl({ version: 1, generatedAt: Date.now() }));
  const started = await startDemoHost({
    host: { name: 'demo', address: '127.0.0.1', port: await freePort() },
    authority,
    krlFile,
    logger: createSilentLogger(),
    random: systemRandom,
    tmpRoot: dir.path,
  });
  if (!started) throw new Error('/usr/sbin/sshd is needed');
  demo = started;
});

afterAll(async () => {
  await demo?.stop();
  dir.cleanup();
});

describe('the demo host', () => {
  it('lets in a host-access certificate for the user running it, presenting a host certificate', async () => {
    const cred = await credential('ok', 'host-access', demo.login);
    const r = await login(cred, demo.login);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('demo-42\n');
  });

  test.each([
    ['a user-CA certificate (only the gateway may log in)', 'user' as const, (): string => demo.login],
    ['a certificate for another principal', 'host-access' as const, (): string => 'nobody-else'],
  ])('refuses %s', async (_name, ca, principal) => {
    const cred = await credential(`refused-${ca}-${principal()}`, ca, principal());
    const r = await login(cred, demo.login);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('Permission denied');
  });

  it('refuses a certificate once the KRL revokes it', async () => {
    const cred = await credential('revoked', 'host-access', demo.login);
    expect((await login(cred, demo.login)).code).toBe(0);
    writeFileSync(
      krlFile,
      encodeKrl({
        version: 2,
        generatedAt: Date.now(),
        certificates: [{ ca: authority.publicKey('host-access')!, serials: [cred.serial] }],
      }),
    );
    const r = await login(cred, demo.login);
    expect(r.code).toBe(255);
  });

  it('does not start on an address other than loopback', async () => {
    await expect(
      startDemoHost({
        host: { name: 'demo', address: '192.0.2.1', port: 2200 },
        authority,
        krlFile,
        logger: createSilentLogger(),
        random: systemRandom,
        tmpRoot: dir.path,
      }),
    ).rejects.toThrow(/loopback/);
  });

  it('is skipped, saying so, when OpenSSH’s server is not installed', async () => {
    const logger = createSilentLogger();
    const info = jest.spyOn(logger, 'info');
    const none = await startDemoHost({
      host: { name: 'demo', address: '127.0.0.1', port: 2200 },
      authority,
      krlFile,
      logger,
      random: systemRandom,
      sshdPath: join(dir.path, 'no-sshd-here'),
    });
    expect(none).toBeNull();
    expect(info).toHaveBeenCalledWith(
      expect.stringContaining('OpenSSH server is not installed'),
      expect.anything(),
    );
  });

  it('stops its sshd and removes its files', async () => {
    const other = (await startDemoHost({
      host: { name: 'demo', address: '127.0.0.1', port: await freePort() },
      authority,
      krlFile,
      logger: createSilentLogger(),
      random: systemRandom,
      tmpRoot: dir.path,
    }))!;
    expect(existsSync(other.dir)).toBe(true);
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
    const cred = await credential('after-stop', 'host-access', other.login);
    const r = await ssh([
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=3',
      '-i',
      cred.key,
      '-p',
      String(other.port),
      '127.0.0.1',
      'true',
    ]);
    expect(r.stderr).toMatch(/Connection refused/);
  });
});
