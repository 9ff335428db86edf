import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuthority, type Authority } from '../../../src/ca/authority';
import {
  FOREVER,
  encodeCriticalOptions,
  flagOption,
  formatCertificateLine,
  signCertificate,
  type CertificateFields,
} from '../../../src/ca/cert';
import {
  encodeOpensshPrivateKey,
  formatAuthorizedKey,
  generateKeyPair,
  parseAuthorizedKey,
  type CaKeyKind,
  type PublicKey,
} from '../../../src/ca/keys';
import { encodeKrl } from '../../../src/ca/krl';
import { createKeyObjectSigner, type Signer } from '../../../src/ca/signer';
import { systemClock, systemRandom } from '../../../src/core';
import { prepareSshd, runSsh, startSshd, type SshdHandle, type SshdSetup } from '../../helpers/sshd';

/**
 * A real sshd (TrustedUserCAKeys = our three CA kinds, RevokedKeys = our KRL,
 * HostCertificate = signed by our host CA) is the referee for what we issue.
 */
const KINDS: CaKeyKind[] = ['ed25519', 'ecdsa', 'rsa'];
const REVOKED_SERIAL = 666n;

let setup: SshdSetup;
let sshd: SshdHandle;
let hostCa: Signer;
const cas = new Map<CaKeyKind, Signer>();
const authorities = new Map<CaKeyKind, Authority>();
const userKeys = new Map<CaKeyKind, { key: PublicKey; path: string }>();
let serial = 1000n;
let n = 0;

beforeAll(async () => {
  setup = prepareSshd();
  for (const kind of KINDS) {
    cas.set(kind, createKeyObjectSigner(generateKeyPair(kind).privateKey));
    // the client's key pair, written by our openssh-key-v1 writer: the ssh client must read it
    const user = generateKeyPair(kind);
    const path = join(setup.dir, `id_${kind}`);
    writeFileSync(
      path,
      encodeOpensshPrivateKey(user.privateKey, { comment: `${kind}@test`, random: systemRandom }),
      { mode: 0o600 },
    );
    userKeys.set(kind, { key: user.publicKey, path });
    authorities.set(
      kind,
      createAuthority({
        signers: { user: cas.get(kind)! },
        nextSerial: async () => ++serial,
        clock: systemClock,
        random: systemRandom,
      }),
    );
  }
  hostCa = createKeyObjectSigner(generateKeyPair('ed25519').privateKey);
  const hostAuthority = createAuthority({
    signers: { host: hostCa },
    nextSerial: async () => ++serial,
    clock: systemClock,
    random: systemRandom,
  });
  const hostKey = parseAuthorizedKey(readFileSync(setup.hostKey.publicPath, 'utf8')).key;
  const hostCert = await hostAuthority.issueHostCertificate({
    publicKey: hostKey,
    principals: ['db-1.test'],
    keyId: 'host db-1.test',
    ttlMs: 86_400_000,
  });
  writeFileSync(`${setup.hostKey.privatePath}-cert.pub`, `${hostCert.line}\n`);

  writeFileSync(
    join(setup.dir, 'user_cas.pub'),
    KINDS.map((k) => formatAuthorizedKey(cas.get(k)!.publicKey, `${k} CA`)).join('\n') + '\n',
  );
  writeFileSync(
    join(setup.dir, 'revoked.krl'),
    encodeKrl({
      version: 1,
      generatedAt: Date.now(),
      certificates: [{ ca: cas.get('ed25519')!.publicKey, serials: [REVOKED_SERIAL] }],
    }),
  );
  sshd = await startSshd(setup, [
    `TrustedUserCAKeys ${join(setup.dir, 'user_cas.pub')}`,
    `RevokedKeys ${join(setup.dir, 'revoked.krl')}`,
    `HostCertificate ${setup.hostKey.privatePath}-cert.pub`,
  ]);
});

afterAll(async () => {
  await sshd?.stop();
  setup?.cleanup();
});

function writeCert(line: string): string {
  const path = join(setup.dir, `cert-${++n}-cert.pub`);
  writeFileSync(path, `${line}\n`);
  return path;
}

async function login(kind: CaKeyKind, certLine: string, command = 'echo ok-$((40+2))') {
  const offset = sshd.logOffset();
  const result = await runSsh(
    sshd.clientArgs({ identity: userKeys.get(kind)!.path, certificate: writeCert(certLine), command }),
  );
  return { ...result, offset };
}

/** Signs exactly these fields (no authority checks), to make certificates the authority would refuse. */
async function raw(overrides: Partial<CertificateFields>): Promise<string> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const fields: CertificateFields = {
    certType: 'user',
    key: userKeys.get('ed25519')!.key,
    nonce: systemRandom.bytes(32),
    serial: ++serial,
    keyId: 'raw',
    principals: [sshd.user],
    validAfter: now - 60n,
    validBefore: now + 600n,
    criticalOptions: [],
    extensions: [],
    ...overrides,
  };
  return formatCertificateLine(await signCertificate(fields, cas.get('ed25519')!));
}

describe('sshd accepts the user certificates we issue', () => {
  it.each(KINDS)('from an %s CA', async (kind) => {
    const issued = await authorities.get(kind)!.issueUserCertificate({
      publicKey: userKeys.get(kind)!.key,
      principals: [sshd.user],
      keyId: `accept ${kind}`,
      ttlMs: 600_000,
    });
    const r = await login(kind, issued.line);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: 'ok-42\n' });
    await sshd.waitForLog(
      new RegExp(`Accepted certificate ID "accept ${kind}" \\(serial ${issued.serial}\\)`),
      r.offset,
    );
  });

  it('with a source-address that contains the client (127.0.0.0/8)', async () => {
    const issued = await authorities.get('ed25519')!.issueUserCertificate({
      publicKey: userKeys.get('ed25519')!.key,
      principals: [sshd.user],
      keyId: 'from loopback',
      ttlMs: 600_000,
      sourceAddress: '127.0.0.0/8',
    });
    expect(await login('ed25519', issued.line)).toMatchObject({ code: 0, stdout: 'ok-42\n' });
  });

  it('with a vendor extension carrying a value (sshd ignores extensions it does not know)', async () => {
    const issued = await authorities.get('ed25519')!.issueUserCertificate({
      publicKey: userKeys.get('ed25519')!.key,
      principals: [sshd.user],
      keyId: 'with grant id',
      ttlMs: 600_000,
      extensions: [{ name: 'grant-id@breakglass', value: 'r-0123456789abcdef' }, 'permit-pty'],
    });
    const r = await login('ed25519', issued.line);
    expect(r).toMatchObject({ code: 0, stdout: 'ok-42\n' });
    await sshd.waitForLog(/Accepted certificate ID "with grant id"/, r.offset);
  });

  it('runs the force-command instead of the requested command', async () => {
    const issued = await authorities.get('ed25519')!.issueUserCertificate({
      publicKey: userKeys.get('ed25519')!.key,
      principals: [sshd.user],
      keyId: 'forced',
      ttlMs: 600_000,
      forceCommand: 'echo forced-$((6*7))',
    });
    const r = await login('ed25519', issued.line, 'echo not-forced');
    expect(r).toMatchObject({ code: 0, stdout: 'forced-42\n' });
    await sshd.waitForLog(/forced-command \(key-option\) 'echo forced-\$\(\(6\*7\)\)'/, r.offset);
  });
});

describe('sshd refuses', () => {
  const now = () => BigInt(Math.floor(Date.now() / 1000));
  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    [
      'a certificate for another principal',
      async () =>
        (
          await authorities.get('ed25519')!.issueUserCertificate({
            publicKey: userKeys.get('ed25519')!.key,
            principals: ['someone-else'],
            keyId: 'wrong principal',
            ttlMs: 600_000,
          })
        ).line,
      /Certificate invalid: name is not a listed principal/,
    ],
    [
      'an expired certificate',
      () => raw({ validAfter: now() - 7200n, validBefore: now() - 3600n }),
      /Certificate invalid: expired/,
    ],
    [
      'a certificate that is not yet valid',
      () => raw({ validAfter: now() + 3600n, validBefore: now() + 7200n }),
      /Certificate invalid: not yet valid/,
    ],
    [
      'a certificate revoked by our KRL',
      () => raw({ serial: REVOKED_SERIAL }),
      /revoked by file .*revoked\.krl/,
    ],
    [
      'a certificate whose source-address does not match the client',
      async () =>
        (
          await authorities.get('ed25519')!.issueUserCertificate({
            publicKey: userKeys.get('ed25519')!.key,
            principals: [sshd.user],
            keyId: 'elsewhere',
            ttlMs: 600_000,
            sourceAddress: ['10.1.2.0/24'],
          })
        ).line,
      /not from a permitted source address \(127\.0\.0\.1\)/,
    ],
    [
      'a certificate with an unknown critical option',
      () =>
        raw({ criticalOptions: [...encodeCriticalOptions({}), flagOption('unknown-option@example.com')] }),
      /Certificate critical option "unknown-option@example\.com" is not supported/,
    ],
    [
      'a certificate that lists no principals',
      () => raw({ principals: [], validBefore: FOREVER }),
      /Certificate lacks principal list/,
    ],
  ];
  it.each(cases)('%s', async (_name, make, logLine) => {
    const r = await login('ed25519', await make());
    expect(r.code).toBe(255);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Permission denied/);
    await sshd.waitForLog(logLine, r.offset);
  });

  it('a host certificate in place of a user certificate (the client does not even offer it)', async () => {
    const r = await login('ed25519', await raw({ certType: 'host' }));
    expect(r.code).toBe(255);
    const log = await sshd.waitForLog(/Connection closed/, r.offset);
    expect(log).not.toMatch(/ED25519-CERT|Accepted/);
  });

  it('a certificate signed by a CA it does not trust', async () => {
    const stranger = createAuthority({
      signers: { user: createKeyObjectSigner(generateKeyPair('ed25519').privateKey) },
      nextSerial: async () => ++serial,
      clock: systemClock,
      random: systemRandom,
    });
    const issued = await stranger.issueUserCertificate({
      publicKey: userKeys.get('ed25519')!.key,
      principals: [sshd.user],
      keyId: 'stranger',
      ttlMs: 600_000,
    });
    const r = await login('ed25519', issued.line);
    expect(r.code).toBe(255);
    expect(r.stdout).toBe('');
    expect(await sshd.waitForLog(/Connection closed/, r.offset)).not.toMatch(/Accepted/);
  });
});

describe('the OpenSSH client trusts our host certificate through @cert-authority alone', () => {
  function knownHosts(ca: PublicKey, name: string): string {
    const path = join(setup.dir, name);
    writeFileSync(path, `@cert-authority db-1.test ${formatAuthorizedKey(ca)}\n`);
    return path;
  }

  it('connects with strict host key checking and a known_hosts holding only our host CA', async () => {
    const issued = await authorities.get('ed25519')!.issueUserCertificate({
      publicKey: userKeys.get('ed25519')!.key,
      principals: [sshd.user],
      keyId: 'host check',
      ttlMs: 600_000,
    });
    const kh = knownHosts(hostCa.publicKey, 'known_hosts_ok');
    const before = readFileSync(kh, 'utf8');
    const r = await runSsh(
      sshd.clientArgs({
        identity: userKeys.get('ed25519')!.path,
        certificate: writeCert(issued.line),
        knownHosts: kh,
        hostKeyAlias: 'db-1.test',
        command: 'echo trusted',
      }),
    );
    expect(r).toMatchObject({ code: 0, stdout: 'trusted\n' });
    expect(readFileSync(kh, 'utf8')).toBe(before);
  });

  it('refuses the server when known_hosts trusts a different CA', async () => {
    const other = generateKeyPair('ed25519').publicKey;
    const r = await runSsh(
      sshd.clientArgs({
        identity: userKeys.get('ed25519')!.path,
        knownHosts: knownHosts(other, 'known_hosts_other'),
        hostKeyAlias: 'db-1.test',
        command: 'echo nope',
      }),
    );
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/Host key verification failed/);
  });

  it('refuses the server when the host certificate names another host', async () => {
    const r = await runSsh(
      sshd.clientArgs({
        identity: userKeys.get('ed25519')!.path,
        knownHosts: knownHosts(hostCa.publicKey, 'known_hosts_alias'),
        hostKeyAlias: 'db-2.test',
        command: 'echo nope',
      }),
    );
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/Host key verification failed/);
  });
});
