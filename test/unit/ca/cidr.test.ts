import fc from 'fast-check';
import { cidrListContains, formatCidr, parseCidr, parseCidrList } from '../../../src/ca/cert';
import { codeOf } from './support';

describe('CIDR parsing for source-address', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['192.168.1.1', '192.168.1.1'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['2001:0DB8:0:0:1::/80', '2001:db8:0:0:1::/80'],
    ['::1', '::1'],
    ['::/0', '::/0'],
    ['fe80::1:2:3:4', 'fe80::1:2:3:4'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
  ])('reads %s as %s', (text, canonical) => {
    expect(formatCidr(parseCidr(text))).toBe(canonical);
  });

  it.each([
    '1.2.3',
    '1.2.3.4.5',
    '1..2.3',
    '1.2.3.4/',
    '1.2.3.4/-1',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.4/33',
    '::1/129',
    '1::2::3',
    'g::1',
    'fe80::1%eth0',
    'localhost',
    '',
  ])('refuses %j', (text) => {
    expect(codeOf(() => parseCidr(text))).toBe('CA_INVALID_SOURCE_ADDRESS');
  });

  it.each([
    ['10.0.0.0/8', '10.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['192.0.2.7', '192.0.2.7', true],
    ['192.0.2.7', '192.0.2.8', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['127.0.0.0/8', '::ffff:127.0.0.1', true],
    ['::/0', '10.0.0.1', false],
    ['0.0.0.0/0', 'not an address', false],
  ])('%s contains %s: %s', (list, ip, expected) => {
    expect(cidrListContains(parseCidrList(list), ip)).toBe(expected);
  });

  it('reads back every IPv4 and IPv6 network it formats', () => {
    const v4 = fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 }));
    const v6 = fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }));
    fc.assert(
      fc.property(fc.oneof(v4, v6), ([bytes, prefix]) => {
        const b = Buffer.from(bytes);
        for (let bit = prefix; bit < b.length * 8; bit++) b[bit >> 3]! &= ~(0x80 >> (bit & 7));
        const family = b.length === 4 ? 4 : 6;
        const text = formatCidr({ family, bytes: b, prefix });
        const back = parseCidr(text);
        expect(back.prefix).toBe(prefix);
        expect(back.family).toBe(family);
        expect(back.bytes).toEqual(b);
      }),
    );
  });
});
