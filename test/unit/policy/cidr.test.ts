import { intersectCidrLists, parseCidr } from '../../../src/policy/cidr';

describe('CIDR parsing', () => {
  test.each([
    ['10.0.0.0/8', true],
    ['192.0.2.7', true],
    ['2001:db8::/32', true],
    ['::1', true],
    ['::ffff:192.0.2.1', true],
    ['10.0.0.1/8', false], // host bits set
    ['10.0.0.0/33', false],
    ['10.0.0.0/-1', false],
    ['example.com', false],
    ['', false],
  ])('%s valid: %s', (text, valid) => {
    expect(parseCidr(text) !== null).toBe(valid);
  });
});

describe('CIDR list intersection', () => {
  test.each([
    [['10.0.0.0/8'], ['10.1.0.0/16'], ['10.1.0.0/16']],
    [['10.1.0.0/16'], ['10.0.0.0/8'], ['10.1.0.0/16']],
    [['10.0.0.0/8'], ['192.168.0.0/16'], []],
    [
      ['10.0.0.0/8', '192.168.0.0/16'],
      ['192.168.1.0/24', '10.2.3.4'],
      ['10.2.3.4', '192.168.1.0/24'],
    ],
    [['2001:db8::/32'], ['2001:db8:1::/48', '10.0.0.0/8'], ['2001:db8:1::/48']],
    [['0.0.0.0/0'], ['203.0.113.0/24'], ['203.0.113.0/24']],
  ])('%j ∩ %j = %j', (a, b, expected) => {
    expect(intersectCidrLists(a, b)).toEqual(expected);
  });
});
