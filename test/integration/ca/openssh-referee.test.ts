import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuthority, type Authority } from '../../../src/ca/authority';
import {
  describeCertificate,
  extensionValue,
  parseCertificateLine,
  signCertificate,
  verifyCertificate,
  type Certificate,
} from '../../../src/ca/cert';
import { fingerprint, parseAuthorizedKey, parsePrivateKey, type PublicKey } from '../../../src/ca/keys';
import { encodeKrl, isRevoked, parseKrl } from '../../../src/ca/krl';
import { openKeystore } from '../../../src/ca/keystore';
import { createKeyObjectSigner } from '../../../src/ca/signer';
import { systemClock, systemRandom } from '../../../src/core';
import {
  dumpKrl,
  generateKey,
  keygenFingerprint,
  krlRevokes,
  listCertificate,
  signWithSshKeygen,
  sshKeygen,
  type KeygenType,
} from '../../helpers/ssh-keygen';
import { tmpDir } from '../../helpers/tmp';

const tmp = tmpDir('bg-ca-referee-');
afterAll(() => tmp.cleanup());

const USER_KEYS: Array<[string, KeygenType, number?]> = [
  ['ed25519', 'ed25519'],
  ['ecdsa256', 'ecdsa', 256],
  ['ecdsa521', 'ecdsa', 521],
  ['rsa3072', 'rsa', 3072],
];

const userKeys = new Map<string, { key: PublicKey; publicPath: string }>();
const authorities = new Map<string, Authority>();
const caKeyFiles = new Map<string, string>();
let serial = 1000;

beforeAll(() => {
  for (const [name, type, bits] of USER_KEYS) {
    const { publicPath } = generateKey(tmp.path, name, type, bits);
    userKeys.set(name, { key: parseAuthorizedKey(readFileSync(publicPath, 'utf8')).key, publicPath });
  }
  for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
    const dir = join(tmp.path, `ca-${type}`);
    // One generated key per type signs both kinds (RSA generation is slow); the file is what ssh-keygen -y reads.
    const store = openKeystore({ dir, keyType: type, random: systemRandom });
    caKeyFiles.set(type, store.paths('user').privateKey);
    authorities.set(
      type,
      createAuthority({
        signers: { user: store.signer('user'), host: store.signer('user') },
        nextSerial: async () => ++serial,
        clock: systemClock,
        random: systemRandom,
      }),
    );
  }
});

function writeCert(cert: Certificate, name: string): string {
  const p = join(tmp.path, `${name}-cert.pub`);
  writeFileSync(p, `${cert.type} ${cert.blob.toString('base64')} ${name}\n`);
  return p;
}

function utc(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
}

describe('ssh-keygen -L reads the certificates we sign', () => {
  const matrix = ['ed25519', 'ecdsa', 'rsa'].flatMap((ca) => USER_KEYS.map(([k]) => [ca, k] as const));
  it.each(matrix)('user certificate from an %s CA for a %s key', async (caType, keyName) => {
    const issued = await authorities.get(caType)!.issueUserCertificate({
      publicKey: userKeys.get(keyName)!.key,
      principals: ['alice', 'root'],
      keyId: 'user=alice@example.com req=r-1',
      ttlMs: 3_600_000,
      forceCommand: '/usr/bin/id -u',
      sourceAddress: '10.0.0.0/8,192.0.2.1',
      verifyRequired: true,
      extensions: ['permit-pty', 'permit-X11-forwarding'],
    });
    const cert = issued.certificate;
    const listing = listCertificate(writeCert(cert, `${caType}-${keyName}`));
    expect(listing.type).toBe(`${cert.type} user certificate`);
    expect(listing.publicKey).toBe(
      `${keyName.startsWith('ecdsa') ? 'ECDSA' : keyName.startsWith('rsa') ? 'RSA' : 'ED25519'}-CERT ${fingerprint(cert.key)}`,
    );
    expect(listing.signingCa).toContain(fingerprint(cert.signatureKey));
    expect(listing.signingCa).toContain(
      `(using ${caType === 'rsa' ? 'rsa-sha2-512' : caType === 'ecdsa' ? 'ecdsa-sha2-nistp256' : 'ssh-ed25519'})`,
    );
    expect(listing.keyId).toBe('"user=alice@example.com req=r-1"');
    expect(listing.serial).toBe(String(issued.serial));
    expect(listing.valid).toBe(`from ${utc(cert.validAfter)} to ${utc(cert.validBefore)}`);
    expect(listing.principals).toEqual(['alice', 'root']);
    expect(listing.criticalOptions).toEqual([
      'force-command /usr/bin/id -u',
      'source-address 10.0.0.0/8,192.0.2.1',
      'verify-required',
    ]);
    expect(listing.extensions).toEqual(['permit-X11-forwarding', 'permit-pty']);
  });

  it.each(['ed25519', 'ecdsa', 'rsa'])('host certificate from an %s CA', async (caType) => {
    const issued = await authorities.get(caType)!.issueHostCertificate({
      publicKey: userKeys.get('ecdsa256')!.key,
      principals: ['db-1.example.com', '10.0.0.5'],
      keyId: 'host db-1',
      ttlMs: 30 * 86_400_000,
    });
    const listing = listCertificate(writeCert(issued.certificate, `host-${caType}`));
    expect(listing.type).toBe('ecdsa-sha2-nistp256-cert-v01@openssh.com host certificate');
    expect(listing.principals).toEqual(['db-1.example.com', '10.0.0.5']);
    expect(listing.criticalOptions).toEqual([]);
    expect(listing.extensions).toEqual([]);
  });

  it('prints the same fields as our inspect output, line for line (times aside)', async () => {
    const issued = await authorities.get('ed25519')!.issueUserCertificate({
      publicKey: userKeys.get('ed25519')!.key,
      principals: ['root'],
      keyId: 'same',
      ttlMs: 60_000,
      forceCommand: 'true',
      extensions: ['permit-pty'],
    });
    const path = writeCert(issued.certificate, 'same');
    const ours = describeCertificate(issued.certificate, path).replace(/Valid: .*/, 'Valid:');
    const theirs = sshKeygen(['-L', '-f', path]).stdout.replace(/Valid: .*/, 'Valid:');
    expect(ours.replace(/ +$/gm, '')).toBe(theirs.replace(/ +$/gm, ''));
  });
});

describe('ssh-keygen -L shows the vendor extensions we sign with their value', () => {
  // ssh-keygen does not interpret extensions it does not know; it prints their data in hex:
  // "NAME UNKNOWN OPTION: HEX (len N)", the data being the value as one SSH string.
  it.each([
    ['a grant id', 'r-0123456789abcdef'],
    ['every accepted character', 'aZ09._@:+=/-'],
    ['one character', 'x'],
    ['256 characters', 'v'.repeat(256)],
  ])('%s', async (_n, value) => {
    const issued = await authorities.get('ed25519')!.issueUserCertificate({
      publicKey: userKeys.get('ed25519')!.key,
      principals: ['root'],
      keyId: 'vendor',
      ttlMs: 600_000,
      extensions: ['permit-pty', { name: 'grant-id@breakglass', value }, 'permit-agent-forwarding'],
    });
    const listing = listCertificate(writeCert(issued.certificate, 'vendor'));
    const wrapped = Buffer.concat([Buffer.alloc(4), Buffer.from(value)]);
    wrapped.writeUInt32BE(value.length, 0);
    expect(listing.extensions).toEqual([
      `grant-id@breakglass UNKNOWN OPTION: ${wrapped.toString('hex')} (len ${wrapped.length})`,
      'permit-agent-forwarding',
      'permit-pty',
    ]);
  });

  it('ssh-keygen -O extension:NAME=VALUE encodes exactly what we encode for the same extensions', async () => {
    const ca = generateKey(tmp.path, 'kg-ca-vendor', 'ed25519');
    const certPath = signWithSshKeygen({
      caPath: ca.privatePath,
      publicPath: userKeys.get('ecdsa256')!.publicPath,
      keyId: 'kg vendor',
      principals: ['root'],
      validity: '-5m:+1h',
      options: ['clear', 'permit-pty', 'extension:grant-id@breakglass=r-42', 'permit-X11-forwarding'],
    });
    const theirs = parseCertificateLine(readFileSync(certPath, 'utf8')).certificate;
    const ours = await authorities.get('ed25519')!.issueUserCertificate({
      publicKey: userKeys.get('ecdsa256')!.key,
      principals: ['root'],
      keyId: 'ours',
      ttlMs: 600_000,
      extensions: [{ name: 'grant-id@breakglass', value: 'r-42' }, 'permit-X11-forwarding', 'permit-pty'],
    });
    expect(ours.certificate.extensions).toEqual(theirs.extensions);
    expect(extensionValue(theirs.extensions, 'grant-id@breakglass')).toBe('r-42');
  });
});

describe('we read the certificates ssh-keygen -s signs', () => {
  it.each(['ed25519', 'ecdsa', 'rsa'] as const)(
    'parses and verifies a certificate from an ssh-keygen %s CA with every option',
    (caType) => {
      const ca = generateKey(tmp.path, `kg-ca-${caType}`, caType, caType === 'rsa' ? 3072 : undefined);
      const certPath = signWithSshKeygen({
        caPath: ca.privatePath,
        publicPath: userKeys.get('ed25519')!.publicPath,
        keyId: `kg ${caType}`,
        principals: ['alice', 'bob'],
        serial: 77,
        validity: '-5m:+1h',
        options: [
          'clear',
          'permit-pty',
          'permit-agent-forwarding',
          'force-command=ls -l',
          'source-address=127.0.0.1,10.0.0.0/8',
          'verify-required',
        ],
      });
      const { certificate } = parseCertificateLine(readFileSync(certPath, 'utf8'));
      const caKey = parseAuthorizedKey(readFileSync(ca.publicPath, 'utf8')).key;
      const verified = verifyCertificate(certificate, {
        now: Date.now(),
        certType: 'user',
        trustedCas: [caKey],
        principal: 'bob',
        sourceAddress: '127.0.0.1',
      });
      expect(verified.options).toEqual({
        forceCommand: 'ls -l',
        sourceAddress: ['127.0.0.1', '10.0.0.0/8'],
        verifyRequired: true,
      });
      expect(verified.extensions).toEqual(['permit-agent-forwarding', 'permit-pty']);
      expect(certificate.serial).toBe(77n);
      expect(certificate.keyId).toBe(`kg ${caType}`);
      expect(certificate.signatureAlgorithm).toBe(
        caType === 'rsa' ? 'rsa-sha2-512' : caType === 'ecdsa' ? 'ecdsa-sha2-nistp256' : 'ssh-ed25519',
      );
    },
  );

  it('re-signs the same fields and nonce of an ssh-keygen Ed25519 certificate byte for byte', async () => {
    const ca = generateKey(tmp.path, 'kg-ca-identical', 'ed25519');
    const certPath = signWithSshKeygen({
      caPath: ca.privatePath,
      publicPath: userKeys.get('rsa3072')!.publicPath,
      keyId: 'identical',
      principals: ['root'],
      serial: 5,
      validity: '-1m:+10m',
      host: false,
    });
    const { certificate } = parseCertificateLine(readFileSync(certPath, 'utf8'));
    const signer = createKeyObjectSigner(parsePrivateKey(readFileSync(ca.privatePath, 'utf8')).privateKey);
    const again = await signCertificate(certificate, signer);
    expect(again.blob.toString('base64')).toBe(certificate.blob.toString('base64'));
  });
});

describe('keys are interchangeable with OpenSSH', () => {
  it.each(USER_KEYS.map(([k]) => k))('our fingerprint of the %s key equals ssh-keygen -l', (name) => {
    expect(fingerprint(userKeys.get(name)!.key)).toBe(keygenFingerprint(userKeys.get(name)!.publicPath));
  });

  it.each(['ed25519', 'ecdsa', 'rsa'])('ssh-keygen -y reads the %s CA private key we wrote', (type) => {
    const r = sshKeygen(['-y', '-f', caKeyFiles.get(type)!]);
    expect(r.code).toBe(0);
    expect(parseAuthorizedKey(r.stdout).key.blob).toEqual(authorities.get(type)!.publicKey('user')!.blob);
  });
});

describe('ssh-keygen -Q agrees with the KRLs we write', () => {
  it('reports revoked and ok exactly as our own check does, for serials, ranges, key ids and keys', async () => {
    const auth = authorities.get('ed25519')!;
    const other = authorities.get('rsa')!;
    const issue = async (a: Authority, key: string, keyId: string) =>
      (
        await a.issueUserCertificate({
          publicKey: userKeys.get(key)!.key,
          principals: ['root'],
          keyId,
          ttlMs: 600_000,
        })
      ).certificate;
    const certs: Array<[string, Certificate]> = [];
    for (let i = 0; i < 6; i++) certs.push([`ed-${i}`, await issue(auth, 'ed25519', `id-${i}`)]);
    certs.push(['rsa-ca', await issue(other, 'ecdsa256', 'id-0')]);
    certs.push(['by-key', await issue(auth, 'ecdsa521', 'fresh')]);
    const s = certs.map(([, c]) => c.serial);
    const krlPath = join(tmp.path, 'revoked.krl');
    const bytes = encodeKrl({
      version: 9,
      generatedAt: Date.now(),
      comment: 'referee',
      certificates: [
        { ca: auth.publicKey('user')!, serials: [s[0]!, { from: s[2]!, to: s[3]! }], keyIds: ['id-5'] },
      ],
      keys: [userKeys.get('ecdsa521')!.key],
    });
    writeFileSync(krlPath, bytes);
    const krl = parseKrl(bytes);
    const verdicts = certs.map(([name, cert]) => [
      name,
      krlRevokes(krlPath, writeCert(cert, `krl-${name}`)),
      isRevoked(krl, cert),
    ]);
    expect(verdicts).toEqual([
      ['ed-0', true, true],
      ['ed-1', false, false],
      ['ed-2', true, true],
      ['ed-3', true, true],
      ['ed-4', false, false],
      ['ed-5', true, true],
      ['rsa-ca', false, false],
      ['by-key', true, true],
    ]);
    expect(krlRevokes(krlPath, userKeys.get('ecdsa521')!.publicPath)).toBe(true);
    expect(krlRevokes(krlPath, userKeys.get('ed25519')!.publicPath)).toBe(false);
    const dump = dumpKrl(krlPath);
    expect(dump).toContain('# KRL version 9');
    expect(dump).toContain(`serial: ${s[0]}`);
    expect(dump).toContain(`serial: ${s[2]}-${s[3]}`);
    expect(dump).toContain('id: id-5');
  });
});
