import fc from 'fast-check';
import { prepareEntry, sealEntry, type JsonValue } from '../../../src/audit';
import { checkLine, LineChecker } from '../../../src/audit/line-check';

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

describe('checking a line on its bytes', () => {
  const checker = new LineChecker();
  const bytesOf = (line: string) => Buffer.from(line, 'utf8');

  it('agrees with the string check on sealed lines, and refuses any single-byte change', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'grapheme' }), fc.jsonValue({ maxDepth: 2 })),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (data, pos, xor) => {
          const { line, hash } = seal(data as Record<string, JsonValue>);
          const bytes = bytesOf(line);
          const r = checker.check(bytes, 0, bytes.length);
          expect(r).toEqual(checkLine(line));
          expect(r.ok && r.entry.hash).toBe(hash);
          const changed = Buffer.from(bytes);
          changed[pos % changed.length]! ^= xor;
          expect(checker.check(changed, 0, changed.length).ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('checks a line in the middle of a buffer without looking past its end', () => {
    const a = seal({ a: 1 }, 7).line;
    const b = seal({ b: 2 }, 8).line;
    const buf = bytesOf(`${a}\n${b}\n`);
    const aLen = Buffer.byteLength(a);
    expect(checker.check(buf, 0, aLen)).toMatchObject({ ok: true, entry: { seq: 7 } });
    expect(checker.check(buf, aLen + 1, buf.length - 1)).toMatchObject({ ok: true, entry: { seq: 8 } });
    expect(checker.check(buf, 0, aLen - 1).ok).toBe(false);
    expect(checker.check(buf, 0, aLen + 1).ok).toBe(false);
  });

  it('refuses a line that is not valid UTF-8 even where a lenient decoder would read the original text', () => {
    const { line } = seal({ s: 'a\ufffdb' });
    const bytes = bytesOf(line);
    expect(checker.check(bytes, 0, bytes.length).ok).toBe(true);
    const at = bytes.indexOf(bytesOf('\ufffd'));
    const edited = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at + 3)]);
    expect(edited.toString('utf8')).toBe(line);
    expect(checker.check(edited, 0, edited.length)).toEqual({
      ok: false,
      json: true,
      message: 'entry 7: not valid UTF-8 (the bytes were edited)',
      claimed: 7,
    });
  });

  it('calls a line that is neither UTF-8 nor JSON not JSON (a torn line may end inside a character)', () => {
    const { line } = seal({ s: '😀' });
    const bytes = bytesOf(line);
    const cut = bytes.subarray(0, bytes.indexOf(bytesOf('😀')) + 2);
    expect(checker.check(cut, 0, cut.length)).toEqual({ ok: false, json: false });
  });

  it('refuses a line starting with a byte order mark', () => {
    const bytes = bytesOf(`\ufeff${seal({ a: 1 }).line}`);
    expect(checker.check(bytes, 0, bytes.length)).toEqual({ ok: false, json: false });
  });

  it('refuses a string holding a lone surrogate where the stored line held U+FFFD', () => {
    const { line } = seal({ s: 'a\ufffdb' });
    expect(checkLine(line).ok).toBe(true);
    for (const lone of ['\ud800', '\udfff']) {
      const edited = line.replace('\ufffd', lone);
      expect(Buffer.from(edited, 'utf8').toString()).toBe(line); // what encoding it would hide
      expect(checkLine(edited)).toMatchObject({ ok: false, json: true, claimed: 7 });
    }
  });

  it('accepts a canonical line with escaped characters in keys (on the slow path)', () => {
    const { line } = seal({ 'a\nb': 1, 'q"': { '\u0001': true } });
    const bytes = bytesOf(line);
    expect(checker.check(bytes, 0, bytes.length)).toMatchObject({ ok: true, entry: { seq: 7 } });
  });
});
