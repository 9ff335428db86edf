import fc from 'fast-check';
import { crc32, crc32Portable } from '../../../src/store/embedded/crc32';

describe('crc32', () => {
  it.each([
    ['', 0x00000000],
    ['a', 0xe8b7be43],
    ['123456789', 0xcbf43926],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ])('gives the standard CRC-32 of %j', (text, expected) => {
    expect(crc32(Buffer.from(text))).toBe(expected);
    expect(crc32Portable(Buffer.from(text))).toBe(expected);
  });

  it('agrees between the portable and the native implementation, also when continued in pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, cut) => {
        const buf = Buffer.from(bytes);
        const at = Math.min(cut, buf.length);
        const whole = crc32Portable(buf);
        expect(crc32(buf)).toBe(whole);
        expect(crc32(buf.subarray(at), crc32(buf.subarray(0, at)))).toBe(whole);
        expect(crc32Portable(buf.subarray(at), crc32Portable(buf.subarray(0, at)))).toBe(whole);
      }),
    );
  });
});
