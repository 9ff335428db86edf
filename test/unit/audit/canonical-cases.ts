/**
 * Canonicalization cases with golden outputs in test/fixtures/audit/canonical-golden.json.
 * `expected` is written by hand from RFC 8785 and ECMAScript's Number::toString (an
 * independent check of the implementation); the golden file pins the hashes.
 */
export const CANONICAL_CASES: Array<{ name: string; value: unknown; expected: string }> = [
  { name: 'empty object', value: {}, expected: '{}' },
  { name: 'empty list', value: [], expected: '[]' },
  { name: 'literals', value: [null, true, false], expected: '[null,true,false]' },
  {
    name: 'keys sorted',
    value: { b: 1, a: 2, c: { z: 1, y: 2 } },
    expected: '{"a":2,"b":1,"c":{"y":2,"z":1}}',
  },
  {
    name: 'integer-like keys sorted as strings',
    value: { '10': 'a', '2': 'b', '1': 'c' },
    expected: '{"1":"c","10":"a","2":"b"}',
  },
  {
    // RFC 8785 §3.2.3: UTF-16 code unit order puts the emoji (D83D DE00) before U+FB33.
    name: 'RFC 8785 key order by UTF-16 code units',
    value: {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    },
    expected:
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  },
  {
    name: 'numbers: integers and fractions',
    value: [0, 1, -1, 0.1, 0.5, 1.5, 100, 123456789],
    expected: '[0,1,-1,0.1,0.5,1.5,100,123456789]',
  },
  { name: 'numbers: negative zero is written 0', value: [-0, 0], expected: '[0,0]' },
  {
    name: 'numbers: 1e21 and 1e20',
    value: [1e21, 1e20, 1e-7, 0.000001],
    expected: '[1e+21,100000000000000000000,1e-7,0.000001]',
  },
  {
    name: 'numbers: extremes',
    value: [5e-324, -5e-324, 1.7976931348623157e308, 9007199254740992],
    expected: '[5e-324,-5e-324,1.7976931348623157e+308,9007199254740992]',
  },
  {
    name: 'numbers: shortest round trip',
    value: [0.1 + 0.2, 1 / 3, 9.999999999999997e22, 1e23],
    expected: '[0.30000000000000004,0.3333333333333333,9.999999999999997e+22,1e+23]',
  },
  {
    name: 'numbers: mantissa forms',
    value: [1.0, 100.0, 2.5e-5, 123e18],
    expected: '[1,100,0.000025,123000000000000000000]',
  },
  { name: 'strings: escapes', value: ['"\\/\b\f\n\r\t'], expected: '["\\"\\\\/\\b\\f\\n\\r\\t"]' },
  {
    name: 'strings: other controls as lowercase \\u00xx',
    value: ['\u0000\u0001\u001f\u007f'],
    expected: '["\\u0000\\u0001\\u001f\u007f"]',
  },
  {
    name: 'strings: non-ASCII stays literal',
    value: ['é ü 漢字 \u2028 \u2029'],
    expected: '["é ü 漢字 \u2028 \u2029"]',
  },
  {
    name: 'strings: surrogate pair stays literal',
    value: ['\ud83d\ude00 \ud834\udd1e'],
    expected: '["\ud83d\ude00 \ud834\udd1e"]',
  },
  { name: 'strings: escapes in keys', value: { 'a"b': 1, 'a\nb': 2 }, expected: '{"a\\nb":2,"a\\"b":1}' },
  { name: 'undefined members are omitted', value: { a: undefined, b: 1 }, expected: '{"b":1}' },
  {
    name: 'nested objects and lists',
    value: { list: [{ b: [3, { d: 4, c: 3 }], a: null }], obj: { inner: { deeper: { x: 'y' } } } },
    expected: '{"list":[{"a":null,"b":[3,{"c":3,"d":4}]}],"obj":{"inner":{"deeper":{"x":"y"}}}}',
  },
  {
    name: 'null-prototype object',
    value: Object.assign(Object.create(null) as object, { z: 1, a: 2 }),
    expected: '{"a":2,"z":1}',
  },
];
