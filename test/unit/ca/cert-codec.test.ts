import fc from 'fast-check';
import {
  assembleCertificate,
  decodeCriticalOptions,
  encodeToBeSigned,
  flagOption,
  formatCertificateLine,
  parseCertificate,
  parseCertificateLine,
  signCertificate,
  stringOption,
  type Certificate,
  type CertificateFields,
} from '../../../src/ca/cert';
import { fingerprint, signWithKeyObject } from '../../../src/ca/keys';
import { SshWriter } from '../../../src/ca/wire';
import { fixturePrivateKey, fixturePublicKey, fixtureText } from '../../fixtures/ca/load';
import { codeOf, fixtureSigner, userFields } from './support';

const CA_NAMES = ['ca_ed25519', 'ca_ecdsa', 'ca_rsa'];
const KEY_NAMES = ['ed25519', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'rsa3072'];

function expectFields(cert: Certificate, fields: CertificateFields): void {
  expect(cert.certType).toBe(fields.certType);
  expect(cert.key.blob).toEqual(fields.key.blob);
  expect(cert.nonce).toEqual(fields.nonce);
  expect(cert.serial).toBe(fields.serial);
  expect(cert.keyId).toBe(fields.keyId);
  expect(cert.principals).toEqual(fields.principals);
  expect(cert.validAfter).toBe(fields.validAfter);
  expect(cert.validBefore).toBe(fields.validBefore);
  expect(cert.criticalOptions).toEqual(fields.criticalOptions);
  expect(cert.extensions).toEqual(fields.extensions);
}

describe('certificate encoding and parsing', () => {
  it.each(CA_NAMES.flatMap((ca) => KEY_NAMES.map((k) => [ca, k])))(
    'signs with %s for a %s key and parses back every field',
    async (ca, keyName) => {
      const fields = userFields({}, fixturePublicKey(keyName));
      const cert = await signCertificate(fields, fixtureSigner(ca));
      expectFields(cert, fields);
      expect(cert.signatureKey.blob).toEqual(fixturePublicKey(ca).blob);
      expect(cert.signatureAlgorithm).toBe(
        ca === 'ca_rsa' ? 'rsa-sha2-512' : ca === 'ca_ecdsa' ? 'ecdsa-sha2-nistp384' : 'ssh-ed25519',
      );
      const line = formatCertificateLine(cert, 'comment');
      expect(parseCertificateLine(line).certificate.blob).toEqual(cert.blob);
    },
  );

  it('wraps option values twice and sorts names by byte order', () => {
    const fields = userFields({
      criticalOptions: [],
      extensions: [flagOption('permit-X11-forwarding'), flagOption('permit-agent-forwarding')],
    });
    const tbs = encodeToBeSigned(
      { ...fields, criticalOptions: [stringOption('force-command', 'ls')] },
      fixturePublicKey('ca_ed25519'),
    );
    // name "force-command", then data = string(string("ls")): 00000006 00000002 6c73
    expect(tbs.toString('hex')).toContain(
      Buffer.from('force-command').toString('hex') + '00000006' + '00000002' + '6c73',
    );
    // 'X' (0x58) sorts before 'a' (0x61) in byte order although localeCompare says otherwise
    expect('permit-X11-forwarding'.localeCompare('permit-agent-forwarding')).toBeGreaterThan(0);
    expect(
      Buffer.compare(Buffer.from('permit-X11-forwarding'), Buffer.from('permit-agent-forwarding')),
    ).toBeLessThan(0);
  });

  it.each([
    ['user_ed25519_by_ed25519-cert.pub', 'user', 'alice@example.com', 42n, ['alice', 'bob']],
    ['user_ecdsa521_by_ecdsa-cert.pub', 'user', 'ecdsa user', 7n, ['carol']],
    ['user_rsa_by_rsa-cert.pub', 'user', 'rsa user', 9n, ['dave']],
    ['host_ecdsa256_by_ed25519-cert.pub', 'host', 'db-1 host', 1000n, ['db-1.example.com', '10.0.0.5']],
  ])('reads the certificate ssh-keygen -s made: %s', (file, certType, keyId, serial, principals) => {
    const { certificate: cert, comment } = parseCertificateLine(fixtureText(file));
    expect(cert.certType).toBe(certType);
    expect(cert.keyId).toBe(keyId);
    expect(cert.serial).toBe(serial);
    expect(cert.principals).toEqual(principals);
    expect(cert.validAfter).toBe(BigInt(Date.UTC(2025, 0, 1) / 1000));
    expect(cert.validBefore).toBe(BigInt(Date.UTC(2035, 0, 1) / 1000));
    expect(comment).toMatch(/@fixture$/);
  });

  it('reads options and extensions from the ssh-keygen certificate', () => {
    const { certificate: cert } = parseCertificateLine(fixtureText('user_ed25519_by_ed25519-cert.pub'));
    expect(decodeCriticalOptions(cert.criticalOptions)).toEqual({
      forceCommand: '/usr/bin/id -u',
      sourceAddress: ['10.0.0.0/8', '192.168.1.1'],
      verifyRequired: true,
      unknown: [],
    });
    expect(cert.extensions.map((e) => e.name)).toEqual(['permit-port-forwarding', 'permit-pty']);
    expect(fingerprint(cert.signatureKey)).toBe(fingerprint(fixturePublicKey('ca_ed25519')));
  });

  it.each([
    ['user_ed25519_by_ed25519-cert.pub', 'ca_ed25519'],
    ['user_rsa_by_rsa-cert.pub', 'ca_rsa'],
  ])(
    're-signing the fields and nonce of %s gives the byte-identical certificate (deterministic signatures)',
    async (file, ca) => {
      const { certificate: original } = parseCertificateLine(fixtureText(file));
      const again = await signCertificate(original, fixtureSigner(ca));
      expect(again.blob.equals(original.blob)).toBe(true);
    },
  );
});

/** A signed certificate built from raw parts, to craft hostile encodings. */
function craft(mutate: (w: SshWriter, step: string) => boolean | void): Buffer {
  const key = fixturePublicKey('ed25519');
  const ca = fixturePrivateKey('ca_ed25519');
  const w = new SshWriter();
  const steps: Array<[string, () => void]> = [
    ['type', () => w.string('ssh-ed25519-cert-v01@openssh.com')],
    ['nonce', () => w.string(Buffer.alloc(32, 1))],
    ['key', () => w.string(key.type === 'ssh-ed25519' ? key.pk : Buffer.alloc(32))],
    ['serial', () => w.uint64(1n)],
    ['certType', () => w.uint32(1)],
    ['keyId', () => w.string('id')],
    ['principals', () => w.nested((p) => p.string('alice'))],
    ['validAfter', () => w.uint64(0n)],
    ['validBefore', () => w.uint64(10n ** 12n)],
    ['critical', () => w.nested(() => undefined)],
    ['extensions', () => w.nested(() => undefined)],
    ['reserved', () => w.string('')],
    ['caKey', () => w.string(ca.publicKey.blob)],
  ];
  for (const [name, write] of steps) if (!mutate(w, name)) write();
  const tbs = w.toBuffer();
  return assembleCertificate(tbs, signWithKeyObject(ca.privateKey, 'ssh-ed25519', tbs));
}

describe('hostile certificates are refused', () => {
  it('accepts the crafted baseline (so the cases below fail for their own reason)', () => {
    expect(parseCertificate(craft(() => false)).principals).toEqual(['alice']);
  });

  const cases: Array<[string, (w: SshWriter, step: string) => boolean | void, string]> = [
    [
      'a DSA certificate type',
      (w, s) => s === 'type' && !!w.string('ssh-dss-cert-v01@openssh.com'),
      'CA_KEY_REFUSED',
    ],
    [
      'an rsa-sha2-512-cert type inside the blob',
      (w, s) => s === 'type' && !!w.string('rsa-sha2-512-cert-v01@openssh.com'),
      'CA_MALFORMED',
    ],
    ['certificate type code 3', (w, s) => s === 'certType' && !!w.uint32(3), 'CA_MALFORMED'],
    [
      '257 principals',
      (w, s) =>
        s === 'principals' && !!w.nested((p) => Array.from({ length: 257 }, (_, i) => p.string(`u${i}`))),
      'CA_INVALID_PRINCIPAL',
    ],
    [
      'a principal containing NUL',
      (w, s) => s === 'principals' && !!w.nested((p) => p.string('root\0evil')),
      'CA_MALFORMED',
    ],
    ['a key id containing NUL', (w, s) => s === 'keyId' && !!w.string('a\0b'), 'CA_MALFORMED'],
    [
      'unsorted critical options',
      (w, s) =>
        s === 'critical' &&
        !!w.nested((o) =>
          o
            .string('source-address')
            .string(new SshWriter().string('10.0.0.0/8').toBuffer())
            .string('force-command')
            .string(new SshWriter().string('ls').toBuffer()),
        ),
      'CA_INVALID_OPTION',
    ],
    [
      'a duplicated extension',
      (w, s) =>
        s === 'extensions' &&
        !!w.nested((o) => o.string('permit-pty').string('').string('permit-pty').string('')),
      'CA_INVALID_OPTION',
    ],
    [
      'extensions sorted with localeCompare instead of byte order',
      (w, s) =>
        s === 'extensions' &&
        !!w.nested((o) =>
          o.string('permit-agent-forwarding').string('').string('permit-X11-forwarding').string(''),
        ),
      'CA_INVALID_OPTION',
    ],
    [
      'an option list with a truncated tuple',
      (w, s) => s === 'extensions' && !!w.nested((o) => o.string('permit-pty')),
      'CA_MALFORMED',
    ],
    [
      'a principal list length near 2^32',
      (w, s) => s === 'principals' && !!w.uint32(0xffff_fff0),
      'CA_MALFORMED',
    ],
    [
      'a CA key that is itself a certificate',
      (w, s) =>
        s === 'caKey' &&
        !!w.string(new SshWriter().string('ssh-ed25519-cert-v01@openssh.com').string('x').toBuffer()),
      'CA_UNTRUSTED_CA',
    ],
    [
      'a DSA CA key',
      (w, s) => s === 'caKey' && !!w.string(new SshWriter().string('ssh-dss').toBuffer()),
      'CA_KEY_REFUSED',
    ],
  ];
  it.each(cases)('refuses %s', (_name, mutate, code) => {
    expect(codeOf(() => parseCertificate(craft(mutate)))).toBe(code);
  });

  it('refuses trailing bytes after the signature', () => {
    expect(codeOf(() => parseCertificate(Buffer.concat([craft(() => false), Buffer.from([0])])))).toBe(
      'CA_MALFORMED',
    );
  });

  it('refuses every truncation of a valid certificate', () => {
    const blob = craft(() => false);
    for (let len = 0; len < blob.length; len++)
      expect(codeOf(() => parseCertificate(blob.subarray(0, len)))).toBe('CA_MALFORMED');
  });

  it('refuses a certificate line whose type differs from the blob', () => {
    const line = fixtureText('user_rsa_by_rsa-cert.pub').replace(
      /^ssh-rsa-cert-v01@openssh.com/,
      'ssh-ed25519-cert-v01@openssh.com',
    );
    expect(codeOf(() => parseCertificateLine(line))).toBe('CA_MALFORMED');
  });

  it('throws only coded errors, never crashes, for arbitrary mutations of a certificate', () => {
    const blob = craft(() => false);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: blob.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (edits) => {
          const copy = Buffer.from(blob);
          for (const [pos, value] of edits) copy[pos] = value;
          const code = codeOf(() => parseCertificate(copy));
          expect(code === undefined || code.startsWith('CA_')).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

const principalArb = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._@:+-]{0,30}$/);

describe('certificate codec properties', () => {
  it('parses back exactly the fields it signed', async () => {
    const signer = fixtureSigner('ca_ed25519');
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          certType: fc.constantFrom('user' as const, 'host' as const),
          nonce: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a)),
          serial: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
          keyId: fc.string({ maxLength: 40 }).filter((s) => !s.includes('\0')),
          principals: fc.uniqueArray(principalArb, { minLength: 1, maxLength: 8 }),
          validAfter: fc.bigInt({ min: 0n, max: 1n << 40n }),
          validBefore: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          extensions: fc
            .uniqueArray(
              fc.constantFrom('permit-pty', 'permit-X11-forwarding', 'permit-user-rc', 'no-touch-required'),
            )
            .map((names) =>
              [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).map(flagOption),
            ),
        }),
        async (f) => {
          const fields = userFields({ ...f, criticalOptions: [] });
          const cert = await signCertificate(fields, signer);
          expectFields(cert, fields);
          expect(parseCertificate(cert.blob).blob).toEqual(cert.blob);
        },
      ),
      { numRuns: 100 },
    );
  });
});
