import { sign, type KeyObject } from 'node:crypto';
import {
  createAuthority,
  createKeyObjectSigner,
  generateKeyPair,
  type CaKeyKind,
  type PublicKey,
} from '../../../src/ca';
import { createFakeClock, systemRandom } from '../../../src/core';
import { verifyClientCertificate, type PublicKeyAttempt } from '../../../src/proxy';

const clock = createFakeClock();
const NOW = clock.now();
const userCa = generateKeyPair('ed25519');
const otherCa = generateKeyPair('ed25519');
let serial = 0;

function authority(ca: { privateKey: KeyObject }) {
  return createAuthority({
    signers: { user: createKeyObjectSigner(ca.privateKey), host: createKeyObjectSigner(ca.privateKey) },
    nextSerial: async () => ++serial,
    clock,
    random: systemRandom,
  });
}

function str(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** An SSH signature blob over `data` (`string alg ‖ string sig`). */
function sshSign(key: KeyObject, kind: CaKeyKind, data: Buffer, alg?: string): Buffer {
  if (kind === 'ed25519') return Buffer.concat([str(alg ?? 'ssh-ed25519'), str(sign(null, data, key))]);
  const a = alg ?? 'rsa-sha2-512';
  return Buffer.concat([str(a), str(sign(a === 'rsa-sha2-256' ? 'sha256' : 'sha512', data, key))]);
}

interface Made {
  blob: Buffer;
  type: string;
  user: { privateKey: KeyObject; publicKey: PublicKey };
}

async function certificate(
  opts: {
    kind?: CaKeyKind;
    ca?: { privateKey: KeyObject };
    certType?: 'user' | 'host';
    ttlMs?: number;
    sourceAddress?: string[];
  } = {},
): Promise<Made> {
  const kind = opts.kind ?? 'ed25519';
  const user = generateKeyPair(kind);
  const a = authority(opts.ca ?? userCa);
  const issued =
    opts.certType === 'host'
      ? await a.issueHostCertificate({
          publicKey: user.publicKey,
          principals: ['db-1'],
          keyId: 'host',
          ttlMs: 3_600_000,
        })
      : await a.issueUserCertificate({
          publicKey: user.publicKey,
          principals: ['root'],
          keyId: 'alice',
          ttlMs: opts.ttlMs ?? 3_600_000,
          ...(opts.sourceAddress ? { sourceAddress: opts.sourceAddress } : {}),
        });
  return { blob: issued.certificate.blob, type: issued.certificate.type, user };
}

const DATA = Buffer.from('session id and userauth request');

function attempt(
  m: Made,
  over: Partial<PublicKeyAttempt> = {},
  kind: CaKeyKind = 'ed25519',
): PublicKeyAttempt {
  return {
    keyAlgo: m.type,
    keyData: m.blob,
    signature: sshSign(m.user.privateKey, kind, DATA),
    signedData: DATA,
    ...over,
  };
}

const opts = (over: Partial<Parameters<typeof verifyClientCertificate>[1]> = {}) => ({
  now: NOW,
  trustedCas: [userCa.publicKey],
  clientAddress: '127.0.0.1',
  ...over,
});

describe('verifyClientCertificate', () => {
  it('accepts a signed login with a valid user certificate from the trusted CA', async () => {
    const m = await certificate();
    const r = verifyClientCertificate(attempt(m), opts());
    expect(r).toMatchObject({ ok: true, signed: true });
    if (r.ok) expect(r.certificate.principals).toEqual(['root']);
  });

  it('answers a query without a signature with an unsigned acceptance', async () => {
    const m = await certificate();
    const query = { keyAlgo: m.type, keyData: m.blob };
    expect(verifyClientCertificate(query, opts())).toMatchObject({ ok: true, signed: false });
  });

  it('accepts an RSA certificate offered as rsa-sha2-512-cert-v01 with an rsa-sha2-512 signature', async () => {
    const m = await certificate({ kind: 'rsa' });
    const r = verifyClientCertificate(
      attempt(m, { keyAlgo: 'rsa-sha2-512-cert-v01@openssh.com' }, 'rsa'),
      opts(),
    );
    expect(r).toMatchObject({ ok: true, signed: true });
  });

  type Case = [
    string,
    () => Promise<[PublicKeyAttempt, Partial<Parameters<typeof verifyClientCertificate>[1]>]>,
    string,
  ];
  const cases: Case[] = [
    [
      'a plain key',
      async () => {
        const k = generateKeyPair('ed25519');
        return [{ keyAlgo: 'ssh-ed25519', keyData: k.publicKey.blob }, {}];
      },
      'not-a-certificate',
    ],
    [
      'bytes that are not a certificate',
      async () => [{ keyAlgo: 'ssh-ed25519-cert-v01@openssh.com', keyData: Buffer.from('garbage') }, {}],
      'unreadable',
    ],
    [
      'a request naming another algorithm than the certificate',
      async () => [attempt(await certificate(), { keyAlgo: 'ecdsa-sha2-nistp256-cert-v01@openssh.com' }), {}],
      'algorithm',
    ],
    [
      'a certificate from another CA',
      async () => [attempt(await certificate({ ca: otherCa })), {}],
      'untrusted-ca',
    ],
    [
      'a certificate whose CA signature was forged (key id altered after signing)',
      async () => {
        const m = await certificate();
        const at = m.blob.indexOf(Buffer.from('alice'));
        const forged = Buffer.from(m.blob);
        forged[at] = 'A'.charCodeAt(0);
        return [attempt({ ...m, blob: forged }), {}];
      },
      'ca-signature',
    ],
    ['a host certificate', async () => [attempt(await certificate({ certType: 'host' })), {}], 'certificate'],
    [
      'an expired certificate',
      async () => [attempt(await certificate({ ttlMs: 120_000 })), { now: NOW + 3_600_000 }],
      'certificate',
    ],
    [
      'a certificate not yet valid',
      async () => [attempt(await certificate()), { now: NOW - 3_600_000 }],
      'certificate',
    ],
    [
      'a connection from outside the certificate source-address',
      async () => [attempt(await certificate({ sourceAddress: ['10.0.0.0/8'] })), {}],
      'certificate',
    ],
    [
      'a certificate in the KRL',
      async () => [attempt(await certificate()), { isRevoked: () => true }],
      'certificate',
    ],
    [
      'a signature made by another key',
      async () => {
        const m = await certificate();
        const other = generateKeyPair('ed25519');
        return [attempt(m, { signature: sshSign(other.privateKey, 'ed25519', DATA) }), {}];
      },
      'signature',
    ],
    [
      'a signature over other data',
      async () => {
        const m = await certificate();
        return [attempt(m, { signature: sshSign(m.user.privateKey, 'ed25519', Buffer.from('other')) }), {}];
      },
      'signature',
    ],
    [
      'a signature naming the certificate algorithm instead of the key algorithm',
      async () => {
        const m = await certificate();
        return [attempt(m, { signature: sshSign(m.user.privateKey, 'ed25519', DATA, m.type) }), {}];
      },
      'signature',
    ],
    [
      'an RSA request for rsa-sha2-512 signed with rsa-sha2-256',
      async () => {
        const m = await certificate({ kind: 'rsa' });
        return [
          attempt(m, {
            keyAlgo: 'rsa-sha2-512-cert-v01@openssh.com',
            signature: sshSign(m.user.privateKey, 'rsa', DATA, 'rsa-sha2-256'),
          }),
          {},
        ];
      },
      'signature',
    ],
    [
      'a truncated signature blob',
      async () => {
        const m = await certificate();
        return [attempt(m, { signature: sshSign(m.user.privateKey, 'ed25519', DATA).subarray(0, 30) }), {}];
      },
      'signature',
    ],
  ];

  it.each(cases)('refuses %s', async (_name, make, code) => {
    const [a, o] = await make();
    const r = verifyClientCertificate(a, opts(o));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.reason.length).toBeGreaterThan(10);
    }
  });

  it('accepts a connection inside the certificate source-address', async () => {
    const m = await certificate({ sourceAddress: ['127.0.0.0/8'] });
    expect(verifyClientCertificate(attempt(m), opts()).ok).toBe(true);
  });
});
