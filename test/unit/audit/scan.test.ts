import fc from 'fast-check';
import { canonicalize, prepareEntry, sealEntry, type JsonValue } from '../../../src/audit';
import { entryShapeProblem } from '../../../src/audit/entry';
import { scanCanonicalEntry } from '../../../src/audit/scan';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The reference: the line (as UTF-8 bytes: strictly valid UTF-8) parses to a well-shaped
 * entry whose canonical JSON is the line itself.
 */
function reference(
  input: string | Uint8Array,
): { seq: number; prev: string; hash: string; type: string } | null {
  let line: string;
  try {
    line = typeof input === 'string' ? input : UTF8.decode(input);
  } catch {
    return null;
  }
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (entryShapeProblem(obj) !== null) return null;
  try {
    if (canonicalize(obj) !== line) return null;
  } catch {
    return null;
  }
  return {
    seq: obj.seq as number,
    prev: obj.prev as string,
    hash: obj.hash as string,
    type: obj.type as string,
  };
}

/** Whatever the scanner accepts, the reference accepts too, with the same fields. */
function expectNoFalseAccept(line: string | Uint8Array): void {
  const scanned = scanCanonicalEntry(line);
  if (scanned === null) return;
  const expected = reference(line);
  expect(expected).not.toBeNull();
  expect(scanned).toMatchObject(expected!);
}

// Keys needing no escapes, from every UTF-8 length and both sides of the place where
// UTF-16 order and code point order differ (U+E000..U+FFFF against U+10000 and above).
const KEY_CHARS = [
  ...'abcdefghijklmnopqrstuvwxyzABC_0123456789-.é漢😀',
  '\u007f',
  '\u0080',
  '\u07ff',
  '\u0800',
  '\ud7ff',
  '\ue000',
  '\ufb33',
  '\uffff',
  '\u{10000}',
  '\u{10ffff}',
];
const safeKey = fc.string({ unit: fc.constantFrom(...KEY_CHARS), maxLength: 8 });
const anyString = fc.string({ unit: 'binary', maxLength: 12 });
const value = (key: fc.Arbitrary<string>) =>
  fc.letrec<{ v: JsonValue }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      anyString,
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(key, tie('v'), { maxKeys: 4 }),
    ),
  })).v;

const entryLine = (
  data: Record<string, JsonValue>,
  extra: { target?: string; policy_version?: string } = {},
) =>
  sealEntry(
    prepareEntry({ time: '2026-01-01T00:00:00.000Z', type: 'login', actor: 'user:a', data, ...extra }),
    { seq: 41, hash: 'a'.repeat(64) },
  ).line;

const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

describe('the single-pass canonical entry scan', () => {
  it('reads canonical lines whose keys need no escapes, with the fields the reference reads', () => {
    fc.assert(
      fc.property(
        fc.dictionary(safeKey, value(safeKey), { maxKeys: 6 }),
        fc.option(anyString, { nil: undefined }),
        (data, target) => {
          fc.pre(target === undefined || (target !== '' && wellFormed(target)));
          let line: string;
          try {
            line = entryLine(data, target === undefined ? {} : { target });
          } catch {
            return; // lone surrogates in generated strings: no canonical form at all
          }
          const scanned = scanCanonicalEntry(line);
          const expected = reference(line);
          expect(expected).not.toBeNull();
          expect(scanned).toMatchObject(expected!);
          const bytes = Buffer.from(line, 'utf8');
          expect(bytes.toString('latin1', scanned!.hashMemberAt, scanned!.hashMemberAt + 8)).toBe('"hash":"');
          expect(scanCanonicalEntry(bytes)).toEqual(scanned);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('never accepts a line the reference refuses (random edits of canonical lines)', () => {
    const alphabet = fc.constantFrom(
      ...'{}[]",:\\ 0123456789eE+-.abcdefu\n\t\u0000\u2028\ud800\udc00é'.split(''),
    );
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), ch: alphabet }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), ch: alphabet }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), ch: fc.constant('') }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 6 }), value(fc.string({ maxLength: 4 })), { maxKeys: 5 }),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        (data, edits) => {
          let line: string;
          try {
            line = entryLine(data);
          } catch {
            return;
          }
          for (const e of edits) {
            const at = e.at % (line.length + (e.kind === 'insert' ? 1 : 0));
            line =
              e.kind === 'replace'
                ? line.slice(0, at) + e.ch + line.slice(at + 1)
                : e.kind === 'insert'
                  ? line.slice(0, at) + e.ch + line.slice(at)
                  : line.slice(0, at) + line.slice(at + 1);
          }
          expectNoFalseAccept(line);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('never accepts bytes the reference refuses (random byte edits, invalid UTF-8 included)', () => {
    const byte = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(
        0x22,
        0x5c,
        0x7b,
        0x7d,
        0x2c,
        0x3a,
        0x30,
        0x80,
        0xbf,
        0xc0,
        0xc3,
        0xed,
        0xef,
        0xf0,
        0xf4,
        0xff,
      ),
    );
    const edit = fc.record({
      kind: fc.constantFrom('replace', 'insert', 'delete', 'xor'),
      at: fc.nat(),
      b: byte,
    });
    fc.assert(
      fc.property(
        fc.dictionary(safeKey, value(safeKey), { maxKeys: 5 }),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        (data, edits) => {
          let line: Buffer;
          try {
            line = Buffer.from(entryLine(data), 'utf8');
          } catch {
            return;
          }
          for (const e of edits) {
            const at = e.at % (line.length + (e.kind === 'insert' ? 1 : 0));
            const b = Buffer.from([e.kind === 'xor' ? line[at]! ^ (e.b || 1) : e.b]);
            line =
              e.kind === 'delete'
                ? Buffer.concat([line.subarray(0, at), line.subarray(at + 1)])
                : e.kind === 'insert'
                  ? Buffer.concat([line.subarray(0, at), b, line.subarray(at)])
                  : Buffer.concat([line.subarray(0, at), b, line.subarray(at + 1)]);
          }
          expectNoFalseAccept(line);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('orders keys as UTF-16 code units, not as bytes or code points (accepts exactly what the reference accepts)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(safeKey, { minLength: 2, maxLength: 4 }), fc.boolean(), (keys, reverse) => {
        const ordered = reverse ? [...keys].reverse() : keys;
        const data = `{${ordered.map((k, i) => `${JSON.stringify(k)}:${i}`).join(',')}}`;
        const line = entryLine({ x: 0 }).replace('"data":{"x":0}', `"data":${data}`);
        expect(scanCanonicalEntry(line) !== null).toBe(reference(line) !== null);
        expect(scanCanonicalEntry(Buffer.from(line, 'utf8')) !== null).toBe(reference(line) !== null);
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['a lone continuation byte', [0x80]],
    ['a continuation byte at the end of the range', [0xbf]],
    ['an overlong 2-byte form (C0 AF is /)', [0xc0, 0xaf]],
    ['an overlong 2-byte form (C1 BF)', [0xc1, 0xbf]],
    ['an overlong 3-byte form (E0 80 AF)', [0xe0, 0x80, 0xaf]],
    ['an overlong 3-byte form (E0 9F BF)', [0xe0, 0x9f, 0xbf]],
    ['an overlong 4-byte form (F0 80 80 AF)', [0xf0, 0x80, 0x80, 0xaf]],
    ['an overlong 4-byte form (F0 8F BF BF)', [0xf0, 0x8f, 0xbf, 0xbf]],
    ['an encoded high surrogate (ED A0 80)', [0xed, 0xa0, 0x80]],
    ['an encoded low surrogate (ED BF BF)', [0xed, 0xbf, 0xbf]],
    ['an encoded surrogate pair (CESU-8)', [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]],
    ['a code point above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
    ['a lead byte F5', [0xf5, 0x80, 0x80, 0x80]],
    ['a lead byte FF', [0xff]],
    ['a truncated 2-byte sequence', [0xc3]],
    ['a truncated 3-byte sequence', [0xe6, 0x97]],
    ['a truncated 4-byte sequence', [0xf0, 0x9f, 0x98]],
    ['a 3-byte sequence cut by ASCII', [0xe6, 0x41, 0x97]],
  ])('refuses a string holding %s, and where U+FFFD stood', (_name, seq) => {
    const bad = Buffer.from(seq);
    const datas: Array<Record<string, JsonValue>> = [{ s: 'a\ufffdb' }, { k: { '\ufffd': 'x' } }];
    for (const data of datas) {
      const line = entryLine(data);
      const bytes = Buffer.from(line, 'utf8');
      const at = bytes.indexOf(Buffer.from('\ufffd', 'utf8'));
      expect(scanCanonicalEntry(bytes)).not.toBeNull();
      const swapped = Buffer.concat([bytes.subarray(0, at), bad, bytes.subarray(at + 3)]);
      expect(scanCanonicalEntry(swapped)).toBeNull();
      expect(reference(swapped)).toBeNull();
    }
    // As a decoder that replaces invalid bytes sees it, a lone FF is the U+FFFD that was there.
    const line = entryLine({ s: 'a\ufffdb' });
    const ff = Buffer.from(line, 'utf8');
    const at = ff.indexOf(Buffer.from('\ufffd', 'utf8'));
    expect(Buffer.concat([ff.subarray(0, at), Buffer.from([0xff]), ff.subarray(at + 3)]).toString()).toBe(
      line,
    );
  });

  it('accepts every well-formed character, including the ends of each UTF-8 length', () => {
    const chars = [
      '\u0080',
      '\u07ff',
      '\u0800',
      '\ud7ff',
      '\ue000',
      '\uffff',
      '\u{10000}',
      '\u{10ffff}',
      '\ufffd',
    ];
    const line = entryLine({ s: chars.join('') });
    expect(scanCanonicalEntry(Buffer.from(line, 'utf8'))).toMatchObject(reference(line)!);
  });

  it('refuses a string holding a lone surrogate (which Buffer.from would turn into U+FFFD)', () => {
    const line = entryLine({ s: 'a\ufffdb' });
    expect(scanCanonicalEntry(line)).not.toBeNull();
    expect(scanCanonicalEntry(line.replace('\ufffd', '\ud800'))).toBeNull();
    expect(scanCanonicalEntry(line.replace('\ufffd', '\udc00'))).toBeNull();
  });

  it('leaves a canonical line with escaped characters in a key to the slow path', () => {
    const line = entryLine({ 'a\nb': 1, 'c"': 2 });
    expect(reference(line)).not.toBeNull();
    expect(scanCanonicalEntry(line)).toBeNull();
  });

  it.each([
    ['whitespace', (l: string) => l.replace('"data":', '"data": ')],
    [
      'an upper-case hex escape',
      () => entryLine({ k: '\u0001' }).replace('\\u0001', '\\u0001'.toUpperCase()),
    ],
    ['a needless escape', () => entryLine({ k: '/' }).replace('"/"', '"\\/"')],
    ['an escaped surrogate', () => entryLine({ k: 'x' }).replace('"x"', '"\\ud83d\\ude00"')],
    ['a duplicate key', () => entryLine({ a: 1, b: 2 }).replace('"b":2', '"a":2')],
    ['unsorted keys', () => entryLine({ a: 1, b: 2 }).replace('"a":1,"b":2', '"b":2,"a":1')],
    ['an exponent with a capital E', () => entryLine({ n: 1e21 }).replace('1e+21', '1E+21')],
    ['negative zero', () => entryLine({ n: 0 }).replace('"n":0', '"n":-0')],
    ['a leading zero', () => entryLine({ n: 7 }).replace('"n":7', '"n":07')],
    ['a trailing byte', (l: string) => `${l} `],
    ['an empty type', (l: string) => l.replace('"type":"login"', '"type":""')],
    ['an upper-case hash', (l: string) => l.replace(/"hash":"./, '"hash":"A')],
    ['a carriage return before the end (CRLF)', (l: string) => `${l}\r`],
    ['a byte order mark', (l: string) => `\ufeff${l}`],
    ['a raw NUL in a string', (l: string) => l.replace('"user:a"', '"user:\u0000a"')],
    ['a raw tab in a string', (l: string) => l.replace('"user:a"', '"user:\ta"')],
    ['a time without milliseconds', (l: string) => l.replace('00:00:00.000Z', '00:00:00Z')],
    ['a time with a non-ASCII digit', (l: string) => l.replace('00:00:00.000Z', '00:00:00.00\u0660Z')],
    ['seq 0', (l: string) => l.replace('"seq":42', '"seq":0')],
    ['seq above 2^53', (l: string) => l.replace('"seq":42', '"seq":9007199254740993')],
    ['a fractional seq', (l: string) => l.replace('"seq":42', '"seq":42.5')],
    ['a negative seq', (l: string) => l.replace('"seq":42', '"seq":-42')],
    ['a seq with a leading zero', (l: string) => l.replace('"seq":42', '"seq":042')],
  ])('refuses %s', (_name, mutate) => {
    const original = entryLine({ a: 1, b: 2 });
    const line = mutate(original);
    expect(line).not.toBe(original);
    expect(scanCanonicalEntry(line)).toBeNull();
    expect(scanCanonicalEntry(Buffer.from(line, 'utf8'))).toBeNull();
  });
});
