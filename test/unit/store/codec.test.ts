import fc from 'fast-check';
import {
  DecodeError,
  Writer,
  decodeHeader,
  decodeOps,
  encodeHeader,
  encodeOps,
  readEntries,
  writeEntries,
  type Op,
} from '../../../src/store/embedded/codec';

const name = fc.stringMatching(/^[A-Za-z0-9._:@/-]{1,200}$/);
const text = fc.string({ unit: 'grapheme', maxLength: 50 });
const expiry = fc.option(fc.integer({ min: 0, max: 2 ** 50 }), { nil: null });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    t: fc.constant('put' as const),
    ns: name,
    key: name,
    version: fc.integer({ min: 1, max: 2 ** 40 }),
    expiresAt: expiry,
    value: text,
  }),
  fc.record({ t: fc.constant('del' as const), ns: name, key: name }),
  fc.record({
    t: fc.constant('counter' as const),
    name,
    value: fc.integer({ min: 1, max: 2 ** 52 }),
    expiresAt: expiry,
  }),
);

describe('embedded store codec', () => {
  it('decodes exactly the operations it encoded', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 20 }), (ops) => expect(decodeOps(encodeOps(ops))).toEqual(ops)),
    );
  });

  it('decodes a batch of log entries with consecutive numbers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.array(fc.record({ hash: fc.stringMatching(/^[\x21-\x7e]{1,200}$/), data: text }), {
          minLength: 1,
          maxLength: 10,
        }),
        (first, entries) => {
          const w = new Writer(8);
          writeEntries(w, first, entries);
          expect(readEntries(w.finish())).toEqual(entries.map((e, i) => ({ seq: first + i, ...e })));
        },
      ),
    );
  });

  it.each([
    ['an unknown operation tag', Buffer.from([9])],
    [
      'a put cut short',
      encodeOps([{ t: 'put', ns: 'n', key: 'k', version: 1, expiresAt: null, value: 'value' }]).subarray(
        0,
        12,
      ),
    ],
  ])('rejects %s', (_label, bytes) => {
    expect(() => decodeOps(bytes)).toThrow(DecodeError);
  });

  it('checks the file header magic', () => {
    const header = encodeHeader('breakglass-wal-1', { gen: 3 });
    expect(decodeHeader(header, 'breakglass-wal-1')).toEqual({ gen: 3 });
    expect(() => decodeHeader(header, 'breakglass-snapshot-1')).toThrow(/expected breakglass-snapshot-1/);
  });
});
