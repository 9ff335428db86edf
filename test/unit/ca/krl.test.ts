import fc from 'fast-check';
import { signCertificate } from '../../../src/ca/cert';
import {
  encodeKrl,
  isRevoked,
  mergeRanges,
  normalizeKrl,
  parseKrl,
  type KrlInput,
} from '../../../src/ca/krl';
import { SshWriter } from '../../../src/ca/wire';
import { fixturePublicKey } from '../../fixtures/ca/load';
import { codeOf, fixtureSigner, NOW, userFields } from './support';

const ca = () => fixturePublicKey('ca_ed25519');
const otherCa = () => fixturePublicKey('ca_rsa');

describe('KRL writer', () => {
  it('starts with the SSHKRL magic, format version 1, the KRL version and the generation time', () => {
    const krl = encodeKrl({ version: 7, generatedAt: NOW, comment: 'test' });
    expect(krl.subarray(0, 8).toString('latin1')).toBe('SSHKRL\n\0');
    expect(krl.readUInt32BE(8)).toBe(1);
    expect(krl.readBigUInt64BE(12)).toBe(7n);
    expect(krl.readBigUInt64BE(20)).toBe(BigInt(NOW / 1000));
  });

  it('gives the same bytes for the same revocations in any order, with duplicates and overlaps', () => {
    const a = encodeKrl({
      version: 1,
      generatedAt: NOW,
      certificates: [
        { ca: ca(), serials: [5, { from: 10n, to: 20n }, 3], keyIds: ['bob', 'alice'] },
        { ca: otherCa(), serials: [1] },
      ],
      keys: [fixturePublicKey('ed25519'), fixturePublicKey('rsa3072')],
    });
    const b = encodeKrl({
      version: 1,
      generatedAt: NOW,
      certificates: [
        { ca: otherCa(), serials: [1, 1] },
        { ca: ca(), serials: [{ from: 12n, to: 20n }, 3, 10, 11, 5], keyIds: ['alice', 'bob', 'alice'] },
      ],
      keys: [fixturePublicKey('rsa3072'), fixturePublicKey('ed25519'), fixturePublicKey('rsa3072')],
    });
    expect(a.equals(b)).toBe(true);
  });

  it.each([
    ['serial 0', { ca: ca(), serials: [0] }],
    ['an inverted range', { ca: ca(), serials: [{ from: 9n, to: 3n }] }],
    ['a serial above 2^64-1', { ca: ca(), serials: [1n << 64n] }],
  ])('refuses %s with CA_INVALID_SERIAL', (_name, section) => {
    expect(codeOf(() => encodeKrl({ version: 1, generatedAt: NOW, certificates: [section] }))).toBe(
      'CA_INVALID_SERIAL',
    );
  });

  it('refuses an empty key id', () => {
    expect(
      codeOf(() => encodeKrl({ version: 1, generatedAt: NOW, certificates: [{ ca: ca(), keyIds: [''] }] })),
    ).toBe('CA_INVALID_KEY_ID');
  });
});

describe('KRL reader and revocation check', () => {
  it('reads back what the writer wrote, in normal form', () => {
    const input: KrlInput = {
      version: 3,
      generatedAt: NOW,
      comment: 'weekly',
      certificates: [
        { ca: ca(), serials: [5, { from: 10n, to: 20n }, 21], keyIds: ['alice'] },
        { ca: null, keyIds: ['mallory'] },
      ],
      keys: [fixturePublicKey('ecdsa256')],
    };
    expect(parseKrl(encodeKrl(input))).toEqual(normalizeKrl(input));
  });

  it('decides like sshd: by serial under the right CA, by key id, by key hash, by any-CA key id', async () => {
    const krl = parseKrl(
      encodeKrl({
        version: 1,
        generatedAt: NOW,
        certificates: [
          { ca: ca(), serials: [{ from: 100n, to: 200n }], keyIds: ['revoked-id'] },
          { ca: null, keyIds: ['anywhere'] },
        ],
        keys: [fixturePublicKey('ecdsa384')],
      }),
    );
    const sign = (
      overrides: Parameters<typeof userFields>[0],
      key = fixturePublicKey('ed25519'),
      signer = 'ca_ed25519',
    ) => signCertificate(userFields(overrides, key), fixtureSigner(signer));
    expect(isRevoked(krl, await sign({ serial: 150n }))).toBe(true);
    expect(isRevoked(krl, await sign({ serial: 201n }))).toBe(false);
    expect(isRevoked(krl, await sign({ serial: 150n }, undefined, 'ca_rsa'))).toBe(false);
    expect(isRevoked(krl, await sign({ keyId: 'revoked-id' }))).toBe(true);
    expect(isRevoked(krl, await sign({ keyId: 'revoked-id' }, undefined, 'ca_rsa'))).toBe(false);
    expect(isRevoked(krl, await sign({ keyId: 'anywhere' }, undefined, 'ca_rsa'))).toBe(true);
    expect(isRevoked(krl, await sign({}, fixturePublicKey('ecdsa384')))).toBe(true);
    expect(isRevoked(krl, fixturePublicKey('ecdsa384'))).toBe(true);
    expect(isRevoked(krl, fixturePublicKey('ecdsa256'))).toBe(false);
  });

  it('reads serial bitmap sections written by other tools', () => {
    const section = new SshWriter()
      .string(ca().blob)
      .string('')
      .byte(0x22)
      .nested((s) => s.uint64(1000n).mpint(Buffer.from([0b101])))
      .toBuffer();
    const w = new SshWriter()
      .raw(Buffer.from('SSHKRL\n\0', 'latin1'))
      .uint32(1)
      .uint64(1n)
      .uint64(0n)
      .uint64(0n)
      .string('')
      .string('');
    w.byte(1).string(section);
    expect(parseKrl(w.toBuffer()).certificates[0]!.serials).toEqual([
      { from: 1000n, to: 1000n },
      { from: 1002n, to: 1002n },
    ]);
  });

  const header = () =>
    new SshWriter()
      .raw(Buffer.from('SSHKRL\n\0', 'latin1'))
      .uint32(1)
      .uint64(1n)
      .uint64(0n)
      .uint64(0n)
      .string('')
      .string('');
  it.each([
    ['bad magic', () => Buffer.from('SSHKRX\n\0')],
    ['format version 2', () => new SshWriter().raw(Buffer.from('SSHKRL\n\0', 'latin1')).uint32(2).toBuffer()],
    ['a truncated header', () => header().toBuffer().subarray(0, 30)],
    ['an unknown section', () => header().byte(9).string('').toBuffer()],
    ['a signature section', () => header().byte(4).string('').toBuffer()],
    [
      'a critical unknown extension',
      () =>
        header()
          .byte(255)
          .nested((s) => s.string('x@example.com').boolean(true).string(''))
          .toBuffer(),
    ],
    [
      'a SHA-256 hash of 31 bytes',
      () =>
        header()
          .byte(5)
          .nested((s) => s.string(Buffer.alloc(31)))
          .toBuffer(),
    ],
    [
      'a revoked serial 0',
      () =>
        header()
          .byte(1)
          .nested((s) =>
            s
              .string(ca().blob)
              .string('')
              .byte(0x20)
              .nested((l) => l.uint64(0n)),
          )
          .toBuffer(),
    ],
    [
      'trailing bytes in a subsection',
      () =>
        header()
          .byte(1)
          .nested((s) =>
            s
              .string(ca().blob)
              .string('')
              .byte(0x21)
              .nested((l) => l.uint64(1n).uint64(2n).byte(0)),
          )
          .toBuffer(),
    ],
    [
      'a section length past the end',
      () => Buffer.concat([header().byte(5).toBuffer(), Buffer.from([0xff, 0xff, 0xff, 0xf0])]),
    ],
  ])('refuses %s with CA_MALFORMED', (_name, build) => {
    expect(codeOf(() => parseKrl(build()))).toBe('CA_MALFORMED');
  });
});

describe('KRL properties', () => {
  const rangeArb = fc
    .tuple(fc.bigInt({ min: 1n, max: 500n }), fc.bigInt({ min: 0n, max: 20n }))
    .map(([from, len]) => ({ from, to: from + len }));

  it('merged ranges cover exactly the serials of the input ranges', () => {
    fc.assert(
      fc.property(
        fc.array(rangeArb, { maxLength: 10 }),
        fc.bigInt({ min: 1n, max: 530n }),
        (ranges, probe) => {
          const merged = mergeRanges(ranges);
          const inInput = ranges.some((r) => r.from <= probe && probe <= r.to);
          expect(merged.some((r) => r.from <= probe && probe <= r.to)).toBe(inInput);
          for (let i = 1; i < merged.length; i++) expect(merged[i]!.from > merged[i - 1]!.to + 1n).toBe(true);
        },
      ),
    );
  });

  it('encodes deterministically and reads back its own normal form', () => {
    fc.assert(
      fc.property(
        fc.array(rangeArb, { maxLength: 10 }),
        fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 5 }),
        (ranges, ids) => {
          const input: KrlInput = {
            version: 1,
            generatedAt: NOW,
            certificates: [{ ca: ca(), serials: ranges, keyIds: ids }],
          };
          const bytes = encodeKrl(input);
          expect(
            encodeKrl({
              ...input,
              certificates: [{ ca: ca(), serials: [...ranges].reverse(), keyIds: [...ids].reverse() }],
            }),
          ).toEqual(bytes);
          expect(parseKrl(bytes)).toEqual(normalizeKrl(input));
        },
      ),
    );
  });
});
