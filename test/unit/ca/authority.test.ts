import { createAuthority, type AuthorityDeps } from '../../../src/ca/authority';
import { extensionValue, parseCertificateLine, verifyCertificate } from '../../../src/ca/cert';
import { formatAuthorizedKey } from '../../../src/ca/keys';
import type { Signer } from '../../../src/ca/signer';
import { createFakeClock, type Random } from '../../../src/core';
import { fixturePublicKey } from '../../fixtures/ca/load';
import { asyncCodeOf, fixtureSigner, NOW } from './support';

function counterRandom(): Random {
  let n = 0;
  return { bytes: (len) => Buffer.alloc(len, ++n) };
}

function setup(overrides: Partial<AuthorityDeps> = {}) {
  let serial = 100;
  const allocated: number[] = [];
  const clock = createFakeClock(NOW + 500);
  const authority = createAuthority({
    signers: {
      user: fixtureSigner('ca_ed25519'),
      'host-access': fixtureSigner('ca_ecdsa'),
      host: fixtureSigner('ca_rsa'),
    },
    nextSerial: async () => {
      allocated.push(++serial);
      return serial;
    },
    clock,
    random: counterRandom(),
    ...overrides,
  });
  return { authority, allocated, clock };
}

const request = {
  publicKey: fixturePublicKey('ed25519'),
  principals: ['root'],
  keyId: 'user=alice req=r1',
  ttlMs: 3_600_000,
};

describe('authority: user certificates', () => {
  it('issues a certificate with the next serial, a 32-byte random nonce and valid_after backdated by the skew', async () => {
    const { authority, allocated } = setup();
    const issued = await authority.issueUserCertificate({
      ...request,
      extensions: ['permit-pty'],
      forceCommand: 'id',
      sourceAddress: '10.0.0.0/8,192.0.2.1/32',
    });
    const cert = issued.certificate;
    expect(issued.serial).toBe(101n);
    expect(allocated).toEqual([101]);
    expect(cert.nonce).toEqual(Buffer.alloc(32, 1));
    expect(cert.validAfter).toBe(BigInt((NOW - 60_000) / 1000));
    expect(cert.validBefore).toBe(BigInt((NOW + 3_600_000) / 1000));
    expect(cert.principals).toEqual(['root']);
    expect(issued.role).toBe('user');
    expect(parseCertificateLine(issued.line).certificate.blob).toEqual(cert.blob);
    const verified = verifyCertificate(cert, {
      now: NOW,
      certType: 'user',
      trustedCas: [fixturePublicKey('ca_ed25519')],
      principal: 'root',
      sourceAddress: '192.0.2.1',
    });
    expect(verified.options).toEqual({
      forceCommand: 'id',
      sourceAddress: ['10.0.0.0/8', '192.0.2.1'],
      verifyRequired: false,
    });
  });

  it('backdates by the configured skew', async () => {
    const { authority } = setup({ limits: { clockSkewMs: 300_000 } });
    const issued = await authority.issueUserCertificate(request);
    expect(issued.certificate.validAfter).toBe(BigInt((NOW - 300_000) / 1000));
  });

  it('signs per-session certificates with the host-access CA and accepts a key line', async () => {
    const { authority } = setup();
    const issued = await authority.issueUserCertificate({
      ...request,
      ca: 'host-access',
      publicKey: formatAuthorizedKey(fixturePublicKey('ecdsa256'), 'k'),
      ttlMs: undefined,
      notAfter: NOW + 600_000,
    });
    expect(issued.certificate.signatureKey.blob).toEqual(fixturePublicKey('ca_ecdsa').blob);
    expect(issued.certificate.validBefore).toBe(BigInt((NOW + 600_000) / 1000));
  });

  it('sorts extensions by byte order whatever order they are asked in', async () => {
    const { authority } = setup();
    const issued = await authority.issueUserCertificate({
      ...request,
      extensions: ['permit-pty', 'permit-agent-forwarding', 'permit-X11-forwarding'],
    });
    expect(issued.certificate.extensions.map((e) => e.name)).toEqual([
      'permit-X11-forwarding',
      'permit-agent-forwarding',
      'permit-pty',
    ]);
  });

  const refused: Array<[string, object, string]> = [
    ['a TTL above the maximum', { ttlMs: 12 * 3_600_000 + 1000 }, 'CA_INVALID_VALIDITY'],
    ['a zero TTL', { ttlMs: 0 }, 'CA_INVALID_VALIDITY'],
    ['both a TTL and an end', { notAfter: NOW + 1000 }, 'CA_INVALID_VALIDITY'],
    ['an end in the past', { ttlMs: undefined, notAfter: NOW - 1000 }, 'CA_INVALID_VALIDITY'],
    ['a principal with a comma', { principals: ['a,root'] }, 'CA_INVALID_PRINCIPAL'],
    ['a wildcard principal', { principals: ['*'] }, 'CA_INVALID_PRINCIPAL'],
    ['no principals', { principals: [] }, 'CA_INVALID_PRINCIPAL'],
    ['a key id with a newline', { keyId: 'a\nb' }, 'CA_INVALID_KEY_ID'],
    ['an RSA 2048 key', { publicKey: fixturePublicKey('rsa2048') }, 'CA_KEY_REFUSED'],
    ['a duplicated extension', { extensions: ['permit-pty', 'permit-pty'] }, 'CA_INVALID_OPTION'],
    ['an unknown extension', { extensions: ['permit-everything'] }, 'CA_EXTENSION_NOT_ALLOWED'],
    ['a bad source address', { sourceAddress: ['10.0.0.1/8'] }, 'CA_INVALID_SOURCE_ADDRESS'],
    ['a force-command with a newline', { forceCommand: 'a\nb' }, 'CA_INVALID_OPTION'],
    ['a malformed public key line', { publicKey: 'ssh-ed25519 AAAA' }, 'CA_MALFORMED'],
    ['the old grant form as a flag', { extensions: ['grant=r-1@breakglass'] }, 'CA_EXTENSION_NOT_ALLOWED'],
    [
      'a vendor extension off the allow-list',
      { extensions: [{ name: 'x-id@example.com', value: 'v' }] },
      'CA_EXTENSION_NOT_ALLOWED',
    ],
    [
      'an allowed vendor extension without a value',
      { extensions: ['grant-id@breakglass'] },
      'CA_INVALID_OPTION',
    ],
    ['a flag given a value', { extensions: [{ name: 'permit-pty', value: 'yes' }] }, 'CA_INVALID_OPTION'],
    [
      'a vendor value with a space',
      { extensions: [{ name: 'grant-id@breakglass', value: 'r 1' }] },
      'CA_INVALID_OPTION',
    ],
    [
      'a vendor extension twice',
      {
        extensions: [
          { name: 'grant-id@breakglass', value: 'a' },
          { name: 'grant-id@breakglass', value: 'b' },
        ],
      },
      'CA_INVALID_OPTION',
    ],
    ['a start of validity in the future', { notBefore: NOW + 60_000 }, 'CA_INVALID_VALIDITY'],
    ['a start of validity that is not a whole number', { notBefore: NOW - 0.5 }, 'CA_INVALID_VALIDITY'],
  ];
  it.each(refused)('refuses %s and spends no serial', async (_name, overrides, code) => {
    const { authority, allocated } = setup();
    expect(await asyncCodeOf(() => authority.issueUserCertificate({ ...request, ...overrides }))).toBe(code);
    expect(allocated).toEqual([]);
  });

  it('issues a vendor extension with its value next to flags, sorted by byte order', async () => {
    const { authority } = setup();
    const issued = await authority.issueUserCertificate({
      ...request,
      extensions: ['permit-pty', { name: 'grant-id@breakglass', value: 'r-0123456789abcdef' }],
    });
    const cert = parseCertificateLine(issued.line).certificate;
    expect(cert.extensions.map((e) => e.name)).toEqual(['grant-id@breakglass', 'permit-pty']);
    expect(extensionValue(cert.extensions, 'grant-id@breakglass')).toBe('r-0123456789abcdef');
  });

  it('issues only the vendor extensions configured', async () => {
    const { authority } = setup({ limits: { allowedVendorExtensions: ['session@example.com'] } });
    const ok = await authority.issueUserCertificate({
      ...request,
      extensions: [{ name: 'session@example.com', value: 's-1' }],
    });
    expect(extensionValue(ok.certificate.extensions, 'session@example.com')).toBe('s-1');
    expect(
      await asyncCodeOf(() =>
        authority.issueUserCertificate({
          ...request,
          extensions: [{ name: 'grant-id@breakglass', value: 'r-1' }],
        }),
      ),
    ).toBe('CA_EXTENSION_NOT_ALLOWED');
  });

  it.each([
    ['a flag OpenSSH does not define', { allowedExtensions: ['grant=r-1@breakglass'] }],
    ['a vendor name that is not name@domain', { allowedVendorExtensions: ['grant-id'] }],
  ])('refuses to start with %s on an allow-list (TypeError)', (_n, limits) => {
    expect(() => setup({ limits })).toThrow(TypeError);
  });

  it('never backdates valid_after before notBefore, and still by the skew when notBefore is older', async () => {
    const { authority } = setup();
    const recent = await authority.issueUserCertificate({ ...request, notBefore: NOW - 10_000 });
    expect(recent.certificate.validAfter).toBe(BigInt((NOW - 10_000) / 1000));
    const old = await authority.issueUserCertificate({ ...request, notBefore: NOW - 3_600_000 });
    expect(old.certificate.validAfter).toBe(BigInt((NOW - 60_000) / 1000));
  });

  it('refuses a zero serial from the allocator', async () => {
    const { authority } = setup({ nextSerial: async () => 0 });
    expect(await asyncCodeOf(() => authority.issueUserCertificate(request))).toBe('CA_INVALID_SERIAL');
  });

  it('refuses to issue without a signer for the role', async () => {
    const { authority } = setup({ signers: {} });
    expect(await asyncCodeOf(() => authority.issueUserCertificate(request))).toBe('CA_KEY_MISSING');
  });

  it('refuses what a faulty signer produced: a signature by another key', async () => {
    const honest = fixtureSigner('ca_ed25519');
    const faulty: Signer = { publicKey: honest.publicKey, sign: fixtureSigner('ed25519').sign };
    const { authority } = setup({ signers: { user: faulty }, verifyAfterSign: true });
    expect(await asyncCodeOf(() => authority.issueUserCertificate(request))).toBe('CA_SIGNER_FAILED');
  });

  it('refuses what a faulty signer produced: an RSA SHA-1 signature algorithm', async () => {
    const rsa = fixtureSigner('ca_rsa');
    const faulty: Signer = {
      publicKey: rsa.publicKey,
      sign: async (data) => {
        const blob = await rsa.sign(data);
        return Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), blob.subarray(4 + 12)]);
      },
    };
    const { authority } = setup({ signers: { user: faulty } });
    expect(await asyncCodeOf(() => authority.issueUserCertificate(request))).toBe('CA_SIGNER_FAILED');
  });

  it('wraps a signer that throws', async () => {
    const broken: Signer = {
      publicKey: fixturePublicKey('ca_ed25519'),
      sign: async () => Promise.reject(new Error('HSM unavailable')),
    };
    const { authority } = setup({ signers: { user: broken } });
    expect(await asyncCodeOf(() => authority.issueUserCertificate(request))).toBe('CA_SIGNER_FAILED');
  });
});

describe('authority: key ids made from the serial', () => {
  it('calls the key id function once with the serial it allocated and puts the result in the certificate', async () => {
    const { authority, allocated } = setup();
    const seen: bigint[] = [];
    const issued = await authority.issueUserCertificate({
      ...request,
      keyId: (serial) => {
        seen.push(serial);
        return `user=alice grant=r-1 serial=${serial}`;
      },
    });
    expect(seen).toEqual([101n]);
    expect(allocated).toEqual([101]);
    expect(issued.certificate.keyId).toBe('user=alice grant=r-1 serial=101');
    expect(parseCertificateLine(issued.line).certificate.keyId).toBe('user=alice grant=r-1 serial=101');
  });

  it('names host certificates from the serial too', async () => {
    const { authority } = setup();
    const issued = await authority.issueHostCertificate({
      publicKey: fixturePublicKey('ecdsa256'),
      principals: ['db-1'],
      keyId: (serial) => `host db-1 serial=${serial}`,
      ttlMs: 86_400_000,
    });
    expect(issued.certificate.keyId).toBe(`host db-1 serial=${issued.serial}`);
  });

  it('gives every concurrent certificate its own serial, named in its own key id', async () => {
    const { authority } = setup();
    const all = await Promise.all(
      Array.from({ length: 50 }, () =>
        authority.issueUserCertificate({ ...request, keyId: (serial) => `k serial=${serial}` }),
      ),
    );
    expect(new Set(all.map((i) => i.serial)).size).toBe(50);
    for (const i of all) expect(i.certificate.keyId).toBe(`k serial=${i.certificate.serial}`);
  });

  it('does not call the function nor spend a serial when the request is refused', async () => {
    const { authority, allocated } = setup();
    const keyId = jest.fn((serial: bigint) => `k ${serial}`);
    expect(
      await asyncCodeOf(() => authority.issueUserCertificate({ ...request, principals: ['a,b'], keyId })),
    ).toBe('CA_INVALID_PRINCIPAL');
    expect(keyId).not.toHaveBeenCalled();
    expect(allocated).toEqual([]);
  });

  it.each([
    ['a newline', (s: bigint) => `k\n${s}`],
    ['a quote', (s: bigint) => `k"${s}`],
    ['an empty key id', () => ''],
    ['257 characters', () => 'k'.repeat(257)],
    ['something that is not a string', () => 42 as unknown as string],
  ])(
    'refuses a produced key id with %s: nothing is issued and the serial is never used again',
    async (_n, keyId) => {
      const { authority, allocated } = setup();
      expect(await asyncCodeOf(() => authority.issueUserCertificate({ ...request, keyId }))).toBe(
        'CA_INVALID_KEY_ID',
      );
      expect(allocated).toEqual([101]);
      expect((await authority.issueUserCertificate(request)).serial).toBe(102n);
    },
  );
});

describe('authority: host certificates', () => {
  it('signs host certificates with the host CA (RSA: rsa-sha2-512), without options or extensions', async () => {
    const { authority } = setup();
    const issued = await authority.issueHostCertificate({
      publicKey: fixturePublicKey('ecdsa256'),
      principals: ['db-1.example.com', '10.0.0.5'],
      keyId: 'host db-1',
      ttlMs: 30 * 86_400_000,
    });
    expect(issued.certificate.certType).toBe('host');
    expect(issued.certificate.signatureAlgorithm).toBe('rsa-sha2-512');
    expect(issued.certificate.criticalOptions).toEqual([]);
    expect(issued.certificate.extensions).toEqual([]);
  });

  it('refuses a host lifetime above the host maximum', async () => {
    const { authority } = setup({ limits: { maxHostTtlMs: 86_400_000 } });
    expect(
      await asyncCodeOf(() =>
        authority.issueHostCertificate({
          publicKey: fixturePublicKey('ecdsa256'),
          principals: ['db-1'],
          keyId: 'h',
          ttlMs: 2 * 86_400_000,
        }),
      ),
    ).toBe('CA_INVALID_VALIDITY');
  });
});

describe('authority: nonces', () => {
  it('gives every certificate a distinct 32-byte nonce drawn from the injected random source', async () => {
    const calls: number[] = [];
    let fill = 0;
    const random: Random = {
      bytes: (n) => {
        calls.push(n);
        const b = Buffer.alloc(n);
        for (let i = 0; i < n; i++) b[i] = (fill + Math.floor(i / 32)) & 0xff;
        fill += n / 32;
        return b;
      },
    };
    const { authority } = setup({ random });
    const nonces = [];
    for (let i = 0; i < 70; i++)
      nonces.push((await authority.issueUserCertificate(request)).certificate.nonce.toString('hex'));
    expect(new Set(nonces).size).toBe(70);
    expect(calls[0]).toBe(32);
    expect(calls.every((n) => n % 32 === 0)).toBe(true);
  });
});
