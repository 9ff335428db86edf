import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import fc from 'fast-check';
import { utils as ssh2Utils } from 'ssh2';
import {
  checkKeyPolicy,
  encodeOpensshPrivateKey,
  encodePkcs8Pem,
  fingerprint,
  formatAuthorizedKey,
  generateKeyPair,
  makePublicKey,
  parseAuthorizedKey,
  parsePrivateKey,
  parsePublicKeyBlob,
  publicKeyFromKeyObject,
  publicKeyToKeyObject,
  signWithKeyObject,
  verifySignature,
  type PublicKey,
} from '../../../src/ca/keys';
import { SshWriter } from '../../../src/ca/wire';
import { systemRandom } from '../../../src/core';
import {
  FIXTURE_PASSPHRASE,
  fixtureFingerprints,
  fixturePrivateKey,
  fixturePublicKey,
  fixtureText,
} from '../../fixtures/ca/load';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded: ${String(err)}`;
  }
  return undefined;
}

const PUBLIC_FIXTURES: Array<[string, string]> = [
  ['ed25519', 'ssh-ed25519'],
  ['ecdsa256', 'ecdsa-sha2-nistp256'],
  ['ecdsa384', 'ecdsa-sha2-nistp384'],
  ['ecdsa521', 'ecdsa-sha2-nistp521'],
  ['rsa3072', 'ssh-rsa'],
  ['rsa2048', 'ssh-rsa'],
];

describe('public keys', () => {
  const fingerprints = fixtureFingerprints();

  it.each(PUBLIC_FIXTURES)(
    'reads the ssh-keygen %s key and computes the fingerprint ssh-keygen prints',
    (name, type) => {
      const key = fixturePublicKey(name);
      expect(key.type).toBe(type);
      expect(fingerprint(key)).toBe(fingerprints.get(`${name}_key.pub`));
      expect(makePublicKey(key).blob).toEqual(key.blob);
    },
  );

  it.each(PUBLIC_FIXTURES)('round-trips the %s key through a Node KeyObject', (name) => {
    const key = fixturePublicKey(name);
    expect(publicKeyFromKeyObject(publicKeyToKeyObject(key)).blob).toEqual(key.blob);
  });

  it('formats a key line that parses back to the same key and comment', () => {
    const key = fixturePublicKey('ecdsa384');
    const line = formatAuthorizedKey(key, 'ops\x1b[31m key');
    expect(line).not.toContain(String.fromCharCode(27));
    const back = parseAuthorizedKey(line);
    expect(back.key.blob).toEqual(key.blob);
    expect(back.comment).toBe('ops [31m key');
  });

  const hostile: Array<[string, () => unknown, string]> = [
    ['a DSA key', () => parseAuthorizedKey(fixtureText('dsa.pub')), 'CA_KEY_REFUSED'],
    [
      'an unknown key type',
      () => parsePublicKeyBlob(new SshWriter().string('ssh-foo').string('x').toBuffer()),
      'CA_KEY_REFUSED',
    ],
    [
      'a FIDO key type',
      () => parsePublicKeyBlob(new SshWriter().string('sk-ssh-ed25519@openssh.com').toBuffer()),
      'CA_KEY_REFUSED',
    ],
    [
      'a certificate where a plain key is expected',
      () => parsePublicKeyBlob(new SshWriter().string('ssh-ed25519-cert-v01@openssh.com').toBuffer()),
      'CA_MALFORMED',
    ],
    [
      'trailing bytes after the key',
      () => parsePublicKeyBlob(Buffer.concat([fixturePublicKey('ed25519').blob, Buffer.from([0])])),
      'CA_MALFORMED',
    ],
    [
      'an ed25519 key of 31 bytes',
      () => parsePublicKeyBlob(new SshWriter().string('ssh-ed25519').string(Buffer.alloc(31)).toBuffer()),
      'CA_MALFORMED',
    ],
    [
      'a line whose type differs from the blob',
      () => parseAuthorizedKey(fixtureText('ed25519_key.pub').replace(/^ssh-ed25519/, 'ssh-rsa')),
      'CA_MALFORMED',
    ],
    ['a line with invalid base64', () => parseAuthorizedKey('ssh-ed25519 AAAA$$$$'), 'CA_MALFORMED'],
    [
      'two lines',
      () => parseAuthorizedKey(`${fixtureText('ed25519_key.pub').trim()}\n${fixtureText('ed25519_key.pub')}`),
      'CA_MALFORMED',
    ],
    [
      'an RSA modulus below 1024 bits',
      () =>
        parsePublicKeyBlob(
          new SshWriter()
            .string('ssh-rsa')
            .mpint(Buffer.from([1, 0, 1]))
            .mpint(Buffer.alloc(64, 0xff))
            .toBuffer(),
        ),
      'CA_KEY_REFUSED',
    ],
    [
      'an even RSA exponent',
      () =>
        parsePublicKeyBlob(
          new SshWriter()
            .string('ssh-rsa')
            .mpint(Buffer.from([2]))
            .mpint(Buffer.alloc(256, 0xff))
            .toBuffer(),
        ),
      'CA_MALFORMED',
    ],
    [
      'an ECDSA key naming the wrong curve',
      () =>
        parsePublicKeyBlob(
          new SshWriter()
            .string('ecdsa-sha2-nistp256')
            .string('nistp384')
            .string(Buffer.alloc(65, 4))
            .toBuffer(),
        ),
      'CA_MALFORMED',
    ],
    [
      'a compressed ECDSA point',
      () =>
        parsePublicKeyBlob(
          new SshWriter()
            .string('ecdsa-sha2-nistp256')
            .string('nistp256')
            .string(Buffer.alloc(33, 2))
            .toBuffer(),
        ),
      'CA_MALFORMED',
    ],
    [
      'an ECDSA point that is not on the curve',
      () =>
        publicKeyToKeyObject(
          parsePublicKeyBlob(
            new SshWriter()
              .string('ecdsa-sha2-nistp256')
              .string('nistp256')
              .string(Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]))
              .toBuffer(),
          ),
        ),
      'CA_MALFORMED',
    ],
  ];
  it.each(hostile)('refuses %s', (_name, fn, code) => {
    expect(codeOf(fn)).toBe(code);
  });

  it('says why a DSA key is refused and what is accepted', () => {
    expect(() => parseAuthorizedKey(fixtureText('dsa.pub'))).toThrow(
      /DSA keys \(ssh-dss\) are refused.*accepted: ssh-ed25519/,
    );
  });

  it('throws only coded errors for arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const code = codeOf(() => parsePublicKeyBlob(Buffer.from(bytes)));
        expect(code === undefined || code.startsWith('CA_')).toBe(true);
      }),
    );
  });
});

describe('key policy', () => {
  const cases: Array<[string, string, object, string | undefined]> = [
    ['refuses RSA 2048 by default', 'rsa2048', {}, 'CA_KEY_REFUSED'],
    ['accepts RSA 3072 by default', 'rsa3072', {}, undefined],
    ['accepts RSA 2048 when the minimum is lowered', 'rsa2048', { rsaMinBits: 2048 }, undefined],
    ['accepts Ed25519', 'ed25519', {}, undefined],
    [
      'refuses a type left out of the allowed list',
      'ecdsa521',
      { allowedTypes: ['ssh-ed25519'] },
      'CA_KEY_REFUSED',
    ],
  ];
  it.each(cases)('%s', (_name, fixture, overrides, code) => {
    const policy = {
      allowedTypes: [
        'ssh-ed25519',
        'ecdsa-sha2-nistp256',
        'ecdsa-sha2-nistp384',
        'ecdsa-sha2-nistp521',
        'ssh-rsa',
      ] as const,
      rsaMinBits: 3072,
      ...overrides,
    };
    expect(codeOf(() => checkKeyPolicy(fixturePublicKey(fixture), policy as never))).toBe(code);
  });
});

describe('private keys', () => {
  it.each(['ed25519', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'rsa3072', 'ca_rsa'])(
    'reads the unencrypted openssh-key-v1 %s key made by ssh-keygen',
    (name) => {
      const info = fixturePrivateKey(name);
      expect(info.publicKey.blob).toEqual(fixturePublicKey(name).blob);
      expect(info.comment).toBe(`${name}@fixture`);
      expect(info.privateKey.type).toBe('private');
    },
  );

  it.each(['encrypted_ed25519', 'encrypted_rsa'])(
    'reads the passphrase-protected %s key (bcrypt-pbkdf, aes256-ctr)',
    (name) => {
      const info = fixturePrivateKey(name, FIXTURE_PASSPHRASE);
      expect(info.publicKey.blob).toEqual(fixturePublicKey(name).blob);
    },
  );

  it('asks for a passphrase, and refuses a wrong one, with CA_PASSPHRASE', () => {
    expect(codeOf(() => fixturePrivateKey('encrypted_ed25519'))).toBe('CA_PASSPHRASE');
    expect(codeOf(() => fixturePrivateKey('encrypted_ed25519', 'wrong horse'))).toBe('CA_PASSPHRASE');
  });

  it.each([
    ['ecdsa256_pkcs8.pem', 'ecdsa256'],
    ['rsa3072_pkcs1.pem', 'rsa3072'],
  ])('reads the PEM file %s', (file, name) => {
    expect(parsePrivateKey(fixtureText(file)).publicKey.blob).toEqual(fixturePublicKey(name).blob);
  });

  it.each(['ed25519', 'ecdsa', 'rsa'] as const)(
    'writes %s keys as openssh-key-v1 and PKCS8 PEM that read back to the same key',
    (kind) => {
      const { privateKey, publicKey } =
        kind === 'rsa'
          ? { privateKey: fixturePrivateKey('rsa3072').privateKey, publicKey: fixturePublicKey('rsa3072') }
          : generateKeyPair(kind);
      const openssh = encodeOpensshPrivateKey(privateKey, { comment: 'ca@test', random: systemRandom });
      expect(openssh).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
      const back = parsePrivateKey(openssh);
      expect(back.publicKey.blob).toEqual(publicKey.blob);
      expect(back.comment).toBe('ca@test');
      const data = Buffer.from('same signature either way');
      if (kind === 'ed25519')
        expect(cryptoSign(null, data, back.privateKey)).toEqual(cryptoSign(null, data, privateKey));
      expect(parsePrivateKey(encodePkcs8Pem(privateKey)).publicKey.blob).toEqual(publicKey.blob);
    },
  );

  it('writes Ed25519 openssh-key-v1 files that ssh2 can parse (it cannot parse Node PKCS8 Ed25519)', () => {
    const { privateKey, publicKey } = generateKeyPair('ed25519');
    const parsed = ssh2Utils.parseKey(encodeOpensshPrivateKey(privateKey, { random: systemRandom }));
    expect(parsed).not.toBeInstanceOf(Error);
    expect((parsed as { getPublicSSH(): Buffer }).getPublicSSH()).toEqual(publicKey.blob);
  });

  it('refuses files in other formats and corrupted keys', () => {
    expect(codeOf(() => parsePrivateKey('hello'))).toBe('CA_FILE_UNREADABLE');
    const text = fixtureText('ed25519_key');
    const lines = text.split('\n');
    lines[3] = lines[3]!.replace(/[A-Za-z]/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(codeOf(() => parsePrivateKey(lines.join('\n')))).toMatch(/^CA_/);
  });
});

describe('signatures', () => {
  const data = Buffer.from('to be signed');
  it.each(['ed25519', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'rsa3072'])(
    'signs with a %s key and verifies, and refuses another message',
    (name) => {
      const { privateKey, publicKey } = fixturePrivateKey(name);
      const sig = signWithKeyObject(privateKey, publicKey.type, data);
      expect(verifySignature(publicKey, data, sig)).toBe(true);
      expect(verifySignature(publicKey, Buffer.from('something else'), sig)).toBe(false);
    },
  );

  it('signs RSA with rsa-sha2-512 and accepts rsa-sha2-256, never ssh-rsa (SHA-1)', () => {
    const { privateKey, publicKey } = fixturePrivateKey('rsa3072');
    const sig = signWithKeyObject(privateKey, 'ssh-rsa', data);
    expect(sig.subarray(4, 4 + 12).toString()).toBe('rsa-sha2-512');
    const sha256 = new SshWriter()
      .string('rsa-sha2-256')
      .string(cryptoSign('sha256', data, privateKey))
      .toBuffer();
    expect(verifySignature(publicKey, data, sha256)).toBe(true);
    const sha1 = new SshWriter()
      .string('ssh-rsa')
      .string(cryptoSign('sha1', data, privateKey))
      .toBuffer();
    expect(codeOf(() => verifySignature(publicKey, data, sha1))).toBe('CA_SIGNATURE_INVALID');
  });

  it('refuses a signature whose algorithm does not fit the key', () => {
    const ed = fixturePrivateKey('ed25519');
    const sig = signWithKeyObject(ed.privateKey, 'ssh-ed25519', data);
    expect(codeOf(() => verifySignature(fixturePublicKey('ecdsa256'), data, sig))).toBe(
      'CA_SIGNATURE_INVALID',
    );
  });

  it('returns false for a signature by a different key of the same type', () => {
    const other: PublicKey = publicKeyFromKeyObject(
      createPublicKey(
        createPrivateKey(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' })),
      ),
    );
    const ed = fixturePrivateKey('ed25519');
    expect(verifySignature(other, data, signWithKeyObject(ed.privateKey, 'ssh-ed25519', data))).toBe(false);
  });
});
