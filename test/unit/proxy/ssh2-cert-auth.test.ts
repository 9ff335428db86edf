import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { utils } from 'ssh2';
import { hasCode } from '../../../src/errors';
import {
  assertSsh2Version,
  createCertificateAuthKey,
  installSsh2CertAuthPatch,
  SSH2_PINNED_VERSION,
} from '../../../src/proxy';
import { createKeyObjectSigner, FOREVER, publicKeyFromKeyObject, signCertificate } from '../../../src/ca';
import { readPresentedCertificate } from '../../../src/proxy/upstream/certificate';
import { createSshSigningKey } from '../../../src/proxy/upstream/signing-key';
import { sshMpint, WireCursor } from '../../../src/proxy/upstream/ssh-wire';

type KeyKind = 'ed25519' | 'p256' | 'p384' | 'p521' | 'rsa';

function makeKey(kind: KeyKind): KeyObject {
  switch (kind) {
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey;
    case 'rsa':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    default:
      return generateKeyPairSync('ec', { namedCurve: { p256: 'P-256', p384: 'P-384', p521: 'P-521' }[kind] })
        .privateKey;
  }
}

const caKey = generateKeyPairSync('ed25519').privateKey;

/** A real OpenSSH certificate for `key`, signed in-process by the CA module. */
async function certify(key: KeyObject, certType: 'user' | 'host' = 'user'): Promise<Buffer> {
  const cert = await signCertificate(
    {
      certType,
      key: publicKeyFromKeyObject(key),
      nonce: Buffer.alloc(32, 7),
      serial: 1n,
      keyId: 'test',
      principals: ['root'],
      validAfter: 0n,
      validBefore: FOREVER,
      criticalOptions: [],
      extensions: [],
    },
    createKeyObjectSigner(caKey),
  );
  return cert.blob;
}

describe('the ssh2 version pin', () => {
  it('accepts exactly the version the patch was written for', () => {
    expect(() => assertSsh2Version(SSH2_PINNED_VERSION)).not.toThrow();
    expect(() => assertSsh2Version()).not.toThrow();
  });

  it.each(['1.17.1', '1.16.0', '2.0.0', '1.17.0-beta'])(
    'refuses ssh2 %s with a TypeError naming the patch',
    (version) => {
      expect(() => assertSsh2Version(version)).toThrow(TypeError);
      expect(() => assertSsh2Version(version)).toThrow(/ssh2-cert-auth\.ts.*1\.17\.0/);
    },
  );

  it('installs once: a second install leaves the wrapped authPK as it is', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Protocol = require('ssh2/lib/protocol/Protocol.js') as { prototype: { authPK: unknown } };
    installSsh2CertAuthPatch();
    const first = Protocol.prototype.authPK;
    installSsh2CertAuthPatch();
    expect(Protocol.prototype.authPK).toBe(first);
  });
});

describe('createSshSigningKey', () => {
  it.each([
    ['ed25519', 'ssh-ed25519', 'ssh-ed25519'],
    ['p256', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256'],
    ['p384', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp384'],
    ['p521', 'ecdsa-sha2-nistp521', 'ecdsa-sha2-nistp521'],
    ['rsa', 'ssh-rsa', 'rsa-sha2-512'],
  ] as const)(
    'gives a %s key the type %s, signature algorithm %s and an ssh2-readable public blob',
    (kind, type, sigAlg) => {
      const key = makeKey(kind);
      const signer = createSshSigningKey(key);
      expect(signer.type).toBe(type);
      expect(signer.signatureAlgorithm).toBe(sigAlg);
      const parsed = utils.parseKey(`${type} ${signer.publicBlob.toString('base64')}`);
      expect(parsed).not.toBeInstanceOf(Error);
      expect((parsed as { getPublicSSH(): Buffer }).getPublicSSH().equals(signer.publicBlob)).toBe(true);
    },
  );

  it.each(['ed25519', 'p256', 'p384', 'p521', 'rsa'] as const)(
    'produces %s signatures in SSH form that verify',
    (kind) => {
      const key = makeKey(kind);
      const signer = createSshSigningKey(key);
      const data = Buffer.from('session id and request');
      const sig = signer.sign(data);
      if (kind === 'ed25519') {
        expect(verify(null, data, key, sig)).toBe(true);
      } else if (kind === 'rsa') {
        expect(verify('sha512', data, key, sig)).toBe(true);
      } else {
        // mpint r ‖ mpint s → fixed-size r ‖ s
        const size = { p256: 32, p384: 48, p521: 66 }[kind];
        const hash = { p256: 'sha256', p384: 'sha384', p521: 'sha512' }[kind];
        const cursor = new WireCursor(sig);
        const fixed = [cursor.next()!, cursor.next()!].map((m) => {
          const trimmed = m[0] === 0 ? m.subarray(1) : m;
          return Buffer.concat([Buffer.alloc(size - trimmed.length), trimmed]);
        });
        expect(cursor.offset).toBe(sig.length);
        expect(verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, Buffer.concat(fixed))).toBe(true);
      }
    },
  );
});

describe('sshMpint', () => {
  it.each([
    [[], '00000000'],
    [[0, 0], '00000000'],
    [[0x7f], '000000017f'],
    [[0x80], '000000020080'],
    [[0, 0, 0x12, 0x34], '000000021234'],
  ])('encodes magnitude %j as %s', (bytes, hex) => {
    expect(sshMpint(Buffer.from(bytes)).toString('hex')).toBe(hex);
  });
});

describe('readPresentedCertificate', () => {
  const key = makeKey('ed25519');
  const signer = createSshSigningKey(key);
  let blob: Buffer;
  beforeAll(async () => {
    blob = await certify(key);
  });

  it('reads the type and the certified key from a certificate line and from a raw blob', () => {
    for (const input of [`ssh-ed25519-cert-v01@openssh.com ${blob.toString('base64')} user@host`, blob]) {
      const cert = readPresentedCertificate(input);
      expect(cert.certType).toBe('ssh-ed25519-cert-v01@openssh.com');
      expect(cert.keyType).toBe('ssh-ed25519');
      expect(cert.certifiedKeyBlob.equals(signer.publicBlob)).toBe(true);
      expect(cert.blob.equals(blob)).toBe(true);
    }
  });

  it.each([
    ['a line without base64', () => 'ssh-ed25519-cert-v01@openssh.com', /unreadable/],
    [
      'a line whose type differs from the blob',
      () => `ecdsa-sha2-nistp256-cert-v01@openssh.com ${blob.toString('base64')}`,
      /unreadable/,
    ],
    ['a plain public key', () => `ssh-ed25519 ${signer.publicBlob.toString('base64')}`, /unreadable/],
    ['a blob cut short', () => blob.subarray(0, 80), /unreadable/],
    ['a blob with trailing bytes', () => Buffer.concat([blob, Buffer.from([0])]), /unreadable/],
    ['an empty blob', () => Buffer.alloc(0), /unreadable/],
  ])('refuses %s', (_label, input, message) => {
    let err: unknown;
    try {
      readPresentedCertificate(input());
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'PROXY_UPSTREAM_CREDENTIAL')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });

  it('refuses a host certificate', async () => {
    const host = await certify(key, 'host');
    expect(() => readPresentedCertificate(host)).toThrow(
      /host certificate; logging in needs a user certificate/,
    );
  });
});

describe('createCertificateAuthKey', () => {
  it.each([
    ['ed25519', 'ssh-ed25519-cert-v01@openssh.com'],
    ['p256', 'ecdsa-sha2-nistp256-cert-v01@openssh.com'],
    ['rsa', 'rsa-sha2-512-cert-v01@openssh.com'],
  ] as const)(
    'makes a %s key object ssh2 takes as parsed, offering %s with the certificate blob',
    async (kind, offered) => {
      const privateKey = makeKey(kind);
      const certificate = await certify(privateKey);
      const key = createCertificateAuthKey({ privateKey, certificate });
      expect(utils.parseKey(key)).toBe(key);
      expect(key.type).toBe(offered);
      expect(key.isPrivateKey()).toBe(true);
      expect(key.getPublicSSH().equals(certificate)).toBe(true);
    },
  );

  it('refuses a certificate for another key before anything is sent', async () => {
    const certificate = await certify(makeKey('ed25519'));
    let err: unknown;
    try {
      createCertificateAuthKey({ privateKey: makeKey('ed25519'), certificate });
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'PROXY_UPSTREAM_CREDENTIAL')).toBe(true);
    expect((err as Error).message).toMatch(/does not certify/);
  });

  it('refuses a public KeyObject and text that is not a private key', async () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const certificate = await certify(makeKey('ed25519'));
    for (const privateKey of [publicKey, 'not a key']) {
      expect(() => createCertificateAuthKey({ privateKey, certificate })).toThrow(/private key/);
    }
  });
});
