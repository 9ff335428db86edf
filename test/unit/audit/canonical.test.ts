import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { canonicalize } from '../../../src/audit';
import { hasCode } from '../../../src/errors';
import { CANONICAL_CASES } from './canonical-cases';

const GOLDEN = JSON.parse(
  readFileSync(join(__dirname, '../../fixtures/audit/canonical-golden.json'), 'utf8'),
) as Record<string, { canonical: string; sha256: string }>;
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('canonical JSON (RFC 8785 style)', () => {
  it.each(CANONICAL_CASES.map((c) => [c.name, c] as const))(
    'writes %s in its one canonical form',
    (_name, c) => {
      expect(canonicalize(c.value)).toBe(c.expected);
    },
  );

  it.each(CANONICAL_CASES.map((c) => [c.name, c] as const))('gives %s the golden hash', (name, c) => {
    const golden = GOLDEN[name];
    expect(golden).toBeDefined();
    expect(canonicalize(c.value)).toBe(golden!.canonical);
    expect(sha256(canonicalize(c.value))).toBe(golden!.sha256);
  });

  it('has a golden value for every case and no stale ones', () => {
    expect(Object.keys(GOLDEN).sort()).toEqual(CANONICAL_CASES.map((c) => c.name).sort());
  });

  it.each([
    ['NaN', { a: NaN }, 'a'],
    ['Infinity', { a: [Infinity] }, 'a[0]'],
    ['-Infinity', -Infinity, '(value)'],
    ['undefined in a list', [1, undefined], '[1]'],
    ['undefined at the top', undefined, '(value)'],
    ['a function', { f: () => 1 }, 'f'],
    ['a symbol', { s: Symbol('x') }, 's'],
    ['a bigint', { n: 10n }, 'n'],
    ['a Date', { d: new Date(0) }, 'd'],
    ['a Buffer', { b: Buffer.from('x') }, 'b'],
    ['a Map', { m: new Map() }, 'm'],
    ['a lone high surrogate', { s: 'a\ud800b' }, 's'],
    ['a lone low surrogate in a key', { 'k\udc00': 1 }, 'k\udc00'],
    ['swapped surrogates', ['\ude00\ud83d'], '[0]'],
  ])('rejects %s with AUDIT_NOT_JSON naming where', (_name, value, path) => {
    let err: unknown;
    try {
      canonicalize(value);
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'AUDIT_NOT_JSON')).toBe(true);
    expect((err as { details: { path: string } }).details.path).toBe(path);
  });

  it('rejects cycles and nesting deeper than 32 levels', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalize(cyclic)).toThrow(/deeper than 32/);
    let deep: unknown = 1;
    for (let i = 0; i < 33; i++) deep = [deep];
    expect(() => canonicalize(deep)).toThrow(/deeper than 32/);
    let ok: unknown = 1;
    for (let i = 0; i < 32; i++) ok = [ok];
    expect(canonicalize(ok)).toBe(`${'['.repeat(32)}1${']'.repeat(32)}`);
  });

  it('is a fixed point: parsing the canonical text and writing it again changes nothing', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const once = canonicalize(v);
        expect(canonicalize(JSON.parse(once))).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order members were added in', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalize(reversed)).toBe(canonicalize(obj));
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with JSON.stringify on values it has no special rule for, with keys sorted', () => {
    const sortDeep = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sortDeep)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sortDeep((v as Record<string, unknown>)[k])]),
            )
          : v;
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        // Integer-like keys are the one place JS object order differs from sorted order.
        const hasIntegerKey = JSON.stringify(v).match(/"\d+":/);
        fc.pre(!hasIntegerKey);
        expect(canonicalize(v)).toBe(JSON.stringify(sortDeep(v)));
      }),
      { numRuns: 100 },
    );
  });
});
