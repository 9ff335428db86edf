import fc from 'fast-check';
import { prepareEntry, sealEntry, type JsonValue } from '../../../src/audit';
import { checkLine } from '../../../src/audit/line-check';

const seal = (data: Record<string, JsonValue>, seq = 7) =>
  sealEntry(prepareEntry({ time: '2026-01-01T00:00:00.000Z', type: 'login', actor: 'user:a', data }), {
    seq: seq - 1,
    hash: 'e'.repeat(64),
  });

describe('checking one line on its own', () => {
  it('accepts every sealed entry, whatever its data (fast and slow paths agree)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), (data) => {
        const { line, hash } = seal(data as Record<string, JsonValue>);
        const r = checkLine(line);
        expect(r.ok).toBe(true);
        expect(r.ok && r.entry.hash).toBe(hash);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['integer-like keys (JSON.parse reorders them)', { '10': 1, '2': 2, b: { '1': 0, a: 1 } }],
    ['negative zero written as 0', { n: -0 }],
    ['a key named hash inside data', { hash: 'x', nested: { hash: 'y' } }],
    ['a string holding ,"hash":"', { s: ',"hash":"' + 'a'.repeat(64) + '",' }],
  ])('accepts a canonical line with %s', (_name, data) => {
    expect(checkLine(seal(data as Record<string, JsonValue>).line).ok).toBe(true);
  });

  it.each([
    [
      'unsorted keys',
      (l: string) =>
        l.replace('{"actor":"user:a","data":{"a":1,"b":2}', '{"actor":"user:a","data":{"b":2,"a":1}'),
    ],
    ['an escaped character', (l: string) => l.replace('"user:a"', '"\\u0075ser:a"')],
    ['a number in another form', (l: string) => l.replace('"a":1', '"a":1.0')],
  ])('names a line with %s as not canonical even though it parses to the same entry', (_name, edit) => {
    const { line } = seal({ a: 1, b: 2 });
    const edited = edit(line);
    expect(edited).not.toBe(line);
    const r = checkLine(edited);
    expect(r).toMatchObject({
      ok: false,
      json: true,
      message: expect.stringMatching(/not in canonical form/),
    });
  });

  it('names a hash that does not match, and a line that is not JSON', () => {
    const { line } = seal({ a: 1 });
    expect(checkLine(line.replace('"a":1', '"a":2'))).toMatchObject({
      ok: false,
      json: true,
      message: expect.stringMatching(/does not match its hash/),
      claimed: 7,
    });
    expect(checkLine(line.slice(0, 20))).toEqual({ ok: false, json: false });
  });
});
