import fc from 'fast-check';
import { canonicalize, prepareEntry, sealEntry, type JsonValue } from '../../../src/audit';
import { entryShapeProblem } from '../../../src/audit/entry';
import { scanCanonicalEntry } from '../../../src/audit/scan';

/** The reference: the line parses to a well-shaped entry whose canonical JSON is the line itself. */
function reference(line: string): { seq: number; prev: string; hash: string; type: string } | null {
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

const safeKey = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABC_0123456789-.é漢😀'.split('')),
  maxLength: 8,
});
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
          expect(line.slice(scanned!.hashMemberAt, scanned!.hashMemberAt + 8)).toBe('"hash":"');
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
          const scanned = scanCanonicalEntry(line);
          if (scanned === null) return;
          const expected = reference(line);
          expect(expected).not.toBeNull();
          expect(scanned).toMatchObject(expected!);
        },
      ),
      { numRuns: 3000 },
    );
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
  ])('refuses %s', (_name, mutate) => {
    const line = mutate(entryLine({ a: 1, b: 2 }));
    expect(scanCanonicalEntry(line)).toBeNull();
  });
});
