import fc from 'fast-check';
import { SshReader, SshWriter } from '../../../src/ca/wire';
import { hasCode } from '../../../src/errors';

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function expectMalformed(fn: () => unknown, text: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(hasCode(caught, 'CA_MALFORMED')).toBe(true);
  expect((caught as Error).message).toMatch(text);
}

describe('SshReader refuses hostile input with CA_MALFORMED', () => {
  const cases: Array<[string, Buffer, (r: SshReader) => unknown, RegExp]> = [
    ['a truncated uint32', Buffer.from([0, 0, 1]), (r) => r.uint32('count'), /truncated count/],
    ['a truncated uint64', Buffer.alloc(7), (r) => r.uint64('serial'), /truncated serial/],
    ['an empty buffer for a byte', Buffer.alloc(0), (r) => r.byte('type'), /truncated type/],
    ['a boolean that is neither 0 nor 1', Buffer.from([2]), (r) => r.boolean('flag'), /flag is 2/],
    [
      'a string length one past the end',
      Buffer.concat([u32(4), Buffer.from('abc')]),
      (r) => r.string('name'),
      /truncated name/,
    ],
    [
      'a string length of 2^32-1',
      Buffer.concat([u32(0xffff_ffff), Buffer.from('abc')]),
      (r) => r.string('name'),
      /truncated name|at most/,
    ],
    [
      'a string length of 2^32-2',
      Buffer.concat([u32(0xffff_fffe), Buffer.alloc(16)]),
      (r) => r.string('name'),
      /truncated name|at most/,
    ],
    [
      'a string length of 2^31',
      Buffer.concat([u32(0x8000_0000), Buffer.alloc(16)]),
      (r) => r.string('name'),
      /truncated name|at most/,
    ],
    [
      'a string longer than its bound',
      Buffer.concat([u32(5), Buffer.from('hello')]),
      (r) => r.string('name', 4),
      /name is 5 bytes, accepted: at most 4/,
    ],
    ['text with a NUL byte', Buffer.concat([u32(3), Buffer.from('a\0b')]), (r) => r.text('id'), /NUL/],
    [
      'text that is not UTF-8',
      Buffer.concat([u32(2), Buffer.from([0xc3, 0x28])]),
      (r) => r.text('id'),
      /not valid UTF-8/,
    ],
    ['a negative mpint', Buffer.concat([u32(1), Buffer.from([0x80])]), (r) => r.mpint('n'), /negative/],
    [
      'an mpint with a needless leading zero',
      Buffer.concat([u32(2), Buffer.from([0, 0x7f])]),
      (r) => r.mpint('n'),
      /leading zero/,
    ],
    [
      'an mpint that is a lone zero byte',
      Buffer.concat([u32(1), Buffer.from([0])]),
      (r) => r.mpint('n'),
      /leading zero/,
    ],
    [
      'a name-list with an empty name',
      Buffer.concat([u32(4), Buffer.from('a,,b')]),
      (r) => r.nameList('algs'),
      /empty name/,
    ],
    [
      'a name-list with a space',
      Buffer.concat([u32(3), Buffer.from('a b')]),
      (r) => r.nameList('algs'),
      /printable ASCII/,
    ],
  ];
  it.each(cases)('refuses %s', (_name, buf, read, text) => {
    expectMalformed(() => read(new SshReader(buf, 'test data')), text);
  });

  it('refuses trailing bytes after the last field', () => {
    const r = new SshReader(Buffer.concat([u32(7), Buffer.from([1])]), 'test data');
    expect(r.uint32()).toBe(7);
    expectMalformed(() => r.end(), /1 trailing bytes/);
  });

  it('names what was being read in the message', () => {
    expectMalformed(
      () => new SshReader(Buffer.alloc(1), 'certificate').uint32('serial'),
      /^certificate: truncated serial/,
    );
  });
});

describe('SshWriter', () => {
  it('encodes mpints minimally with a sign byte when the high bit is set', () => {
    const w = new SshWriter(4);
    w.mpint(Buffer.from([0, 0, 0x80, 1]))
      .mpint(Buffer.from([0x7f]))
      .mpint(Buffer.alloc(0))
      .mpint(Buffer.from([0, 0]));
    expect(w.toBuffer().toString('hex')).toBe('00000003008001' + '000000017f' + '00000000' + '00000000');
  });

  it('rejects values outside the type range as programmer errors', () => {
    expect(() => new SshWriter().uint32(2 ** 32)).toThrow(TypeError);
    expect(() => new SshWriter().uint64(-1n)).toThrow(TypeError);
    expect(() => new SshWriter().uint64(1n << 64n)).toThrow(TypeError);
    expect(() => new SshWriter().byte(256)).toThrow(TypeError);
    expect(() => new SshWriter().nameList(['a,b'])).toThrow(TypeError);
  });

  it('writes nested strings with their length', () => {
    const w = new SshWriter(2);
    w.nested((inner) => inner.string('ab').uint32(1));
    expect(w.toBuffer().toString('hex')).toBe('0000000a000000026162' + '00000001');
  });
});

type Field =
  | { t: 'byte'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'u32'; v: number }
  | { t: 'u64'; v: bigint }
  | { t: 'str'; v: Uint8Array }
  | { t: 'text'; v: string }
  | { t: 'mpint'; v: Uint8Array }
  | { t: 'names'; v: string[] };

const fieldArb: fc.Arbitrary<Field> = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((v) => ({ t: 'byte' as const, v })),
  fc.boolean().map((v) => ({ t: 'bool' as const, v })),
  fc.integer({ min: 0, max: 0xffff_ffff }).map((v) => ({ t: 'u32' as const, v })),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => ({ t: 'u64' as const, v })),
  fc.uint8Array({ maxLength: 64 }).map((v) => ({ t: 'str' as const, v })),
  fc
    .string({ unit: 'grapheme', maxLength: 20 })
    .filter((s) => !s.includes('\0'))
    .map((v) => ({ t: 'text' as const, v })),
  fc.uint8Array({ maxLength: 40 }).map((v) => ({ t: 'mpint' as const, v })),
  fc
    .array(fc.stringMatching(/^[a-z0-9@.-]{1,12}$/), { maxLength: 5 })
    .map((v) => ({ t: 'names' as const, v })),
);

function write(w: SshWriter, f: Field): void {
  switch (f.t) {
    case 'byte':
      w.byte(f.v);
      break;
    case 'bool':
      w.boolean(f.v);
      break;
    case 'u32':
      w.uint32(f.v);
      break;
    case 'u64':
      w.uint64(f.v);
      break;
    case 'str':
      w.string(f.v);
      break;
    case 'text':
      w.string(f.v);
      break;
    case 'mpint':
      w.mpint(f.v);
      break;
    case 'names':
      w.nameList(f.v);
      break;
  }
}

function readBack(r: SshReader, f: Field): unknown {
  switch (f.t) {
    case 'byte':
      return r.byte();
    case 'bool':
      return r.boolean();
    case 'u32':
      return r.uint32();
    case 'u64':
      return r.uint64();
    case 'str':
      return new Uint8Array(r.string());
    case 'text':
      return r.text();
    case 'mpint':
      return new Uint8Array(r.mpint());
    case 'names':
      return r.nameList();
  }
}

function expected(f: Field): unknown {
  if (f.t === 'mpint') {
    let i = 0;
    while (i < f.v.length && f.v[i] === 0) i++;
    return f.v.subarray(i);
  }
  return f.v;
}

describe('wire codec properties', () => {
  it('reads back every sequence of values it writes, and nothing more', () => {
    fc.assert(
      fc.property(fc.array(fieldArb, { maxLength: 12 }), (fields) => {
        const w = new SshWriter(8);
        for (const f of fields) write(w, f);
        const r = new SshReader(w.toBuffer());
        for (const f of fields) expect(readBack(r, f)).toEqual(expected(f));
        r.end();
      }),
    );
  });

  it('throws only CA_MALFORMED when any written sequence is truncated', () => {
    fc.assert(
      fc.property(fc.array(fieldArb, { minLength: 1, maxLength: 8 }), fc.nat(), (fields, cutSeed) => {
        const w = new SshWriter();
        for (const f of fields) write(w, f);
        const full = w.toBuffer();
        fc.pre(full.length > 0);
        const cut = full.subarray(0, cutSeed % full.length);
        const r = new SshReader(cut);
        try {
          for (const f of fields) readBack(r, f);
          r.end();
          throw new Error('truncated input was accepted');
        } catch (err) {
          expect(hasCode(err, 'CA_MALFORMED')).toBe(true);
        }
      }),
    );
  });
});
