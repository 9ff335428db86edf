import fc from 'fast-check';
import {
  DEFAULT_LIMITS,
  PRINCIPAL_PATTERN,
  flagOption,
  normalizeSourceAddress,
  sanitizeKeyId,
  stringOption,
  validateCertificateFields,
  validateKeyId,
  validatePrincipals,
  type CertificateLimits,
} from '../../../src/ca/cert';
import { fixturePublicKey } from '../../fixtures/ca/load';
import { codeOf, NOW, NOW_S, userFields } from './support';

describe('principals', () => {
  const refused: Array<[string, string[]]> = [
    ['an empty list', []],
    ['257 principals', Array.from({ length: 257 }, (_, i) => `user${i}`)],
    ['a comma ("a,root")', ['a,root']],
    ['a wildcard "*"', ['*']],
    ['a wildcard "?"', ['ro?t']],
    ['a negation "!"', ['!root']],
    ['a trailing space ("root ")', ['root ']],
    ['a leading space', [' root']],
    ['a newline', ['\n']],
    ['a newline inside', ['root\nadmin']],
    ['a tab', ['ro\tot']],
    ['an ANSI escape', ['\x1b[31mroot']],
    ['a NUL', ['root\0']],
    ['an empty string', ['']],
    ['a leading dash (option injection)', ['-oProxyCommand=x']],
    ['a quote', ['"root"']],
    ['a percent token', ['%u']],
    ['a slash', ['../root']],
    ['non-ASCII', ['rоot']],
    ['257 characters', ['a'.repeat(257)]],
    ['a duplicate', ['root', 'root']],
  ];
  it.each(refused)('refuses %s with CA_INVALID_PRINCIPAL', (_name, principals) => {
    expect(codeOf(() => validatePrincipals(principals))).toBe('CA_INVALID_PRINCIPAL');
  });

  const accepted: Array<[string, string[]]> = [
    ['a login', ['root']],
    ['an email-like principal', ['alice+ops@example.com']],
    ['host names and addresses', ['db-1.example.com', '10.0.0.5', 'fe80::1']],
    ['an underscore service account', ['_svc_deploy']],
    ['256 principals', Array.from({ length: 256 }, (_, i) => `user${i}`)],
    ['256 characters', ['a'.repeat(256)]],
  ];
  it.each(accepted)('accepts %s', (_name, principals) => {
    expect(codeOf(() => validatePrincipals(principals))).toBeUndefined();
  });

  it('says what is wrong and what is accepted', () => {
    expect(() => validatePrincipals(['a,root'])).toThrow(
      /principal "a,root" is not allowed \(accepted: .*no commas, whitespace, control characters or wildcards\)/,
    );
  });

  it('accepts a string exactly when it matches the documented pattern', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (s) => {
        expect(codeOf(() => validatePrincipals([s])) === undefined).toBe(PRINCIPAL_PATTERN.test(s));
      }),
      { numRuns: 500 },
    );
  });
});

describe('key ids', () => {
  it.each([
    ['empty', ''],
    ['257 characters', 'k'.repeat(257)],
    ['a newline', 'alice\nroot'],
    ['an ANSI escape', 'alice\x1b[2J'],
    ['a double quote', 'alice" serial 1'],
    ['a backslash', 'alice\\x00'],
    ['a leading space', ' alice'],
    ['a trailing space', 'alice '],
    ['non-ASCII', 'alicé'],
  ])('refuses a key id with %s', (_name, keyId) => {
    expect(codeOf(() => validateKeyId(keyId))).toBe('CA_INVALID_KEY_ID');
  });

  it('accepts a key id naming user, request, session and serial', () => {
    expect(
      codeOf(() => validateKeyId('user=alice@example.com req=r-1 session=s-2 serial=42')),
    ).toBeUndefined();
  });

  it('sanitises arbitrary text into a valid key id', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        expect(codeOf(() => validateKeyId(sanitizeKeyId(s)))).toBeUndefined();
      }),
    );
    expect(sanitizeKeyId(' Ålice "the admin"\n')).toBe('_lice _the admin__');
  });
});

describe('source-address', () => {
  it.each([
    ['10.0.0.0/8', ['10.0.0.0/8']],
    ['192.0.2.7,2001:db8::/32', ['192.0.2.7', '2001:db8::/32']],
    ['2001:0db8:0000::/48', ['2001:db8::/48']],
    ['127.0.0.1/32', ['127.0.0.1']],
  ])('normalises %s', (input, out) => {
    expect(normalizeSourceAddress(input)).toEqual(out);
  });

  it.each([
    '10.0.0.1/8',
    '10.0.0.0/33',
    'example.com',
    '10.0.0.0/',
    '',
    '10.0.0.0/8,',
    ' 10.0.0.0/8',
    '010.0.0.1',
    '1::2::3',
    '10.0.0.0/08',
  ])('refuses %j with CA_INVALID_SOURCE_ADDRESS', (input) => {
    expect(codeOf(() => normalizeSourceAddress(input))).toBe('CA_INVALID_SOURCE_ADDRESS');
  });
});

describe('validation of certificate fields before signing', () => {
  const limits: CertificateLimits = {
    ...DEFAULT_LIMITS,
    allowedExtensions: ['permit-pty', 'permit-port-forwarding'],
  };
  const cases: Array<[string, Parameters<typeof userFields>[0], string | undefined]> = [
    ['a valid user certificate', {}, undefined],
    ['serial 0', { serial: 0n }, 'CA_INVALID_SERIAL'],
    ['a serial above 2^64-1', { serial: 1n << 64n }, 'CA_INVALID_SERIAL'],
    [
      'an extension off the allow-list',
      { extensions: [flagOption('permit-agent-forwarding')] },
      'CA_EXTENSION_NOT_ALLOWED',
    ],
    ['an extension with data', { extensions: [stringOption('permit-pty', 'yes')] }, 'CA_INVALID_OPTION'],
    [
      'unsorted extensions',
      { extensions: [flagOption('permit-pty'), flagOption('permit-port-forwarding')] },
      'CA_INVALID_OPTION',
    ],
    ['an unknown critical option', { criticalOptions: [flagOption('no-such-option')] }, 'CA_INVALID_OPTION'],
    [
      'a force-command with a newline',
      { criticalOptions: [stringOption('force-command', 'ls\nrm -rf /')] },
      'CA_INVALID_OPTION',
    ],
    ['an empty force-command', { criticalOptions: [stringOption('force-command', '')] }, 'CA_INVALID_OPTION'],
    [
      'a malformed source-address',
      { criticalOptions: [stringOption('source-address', '10.0.0.1/8')] },
      'CA_INVALID_SOURCE_ADDRESS',
    ],
    [
      'options on a host certificate',
      { certType: 'host', extensions: [], criticalOptions: [flagOption('verify-required')] },
      'CA_INVALID_OPTION',
    ],
    [
      'extensions on a host certificate',
      { certType: 'host', criticalOptions: [], extensions: [flagOption('permit-pty')] },
      'CA_EXTENSION_NOT_ALLOWED',
    ],
    ['a lifetime above the user maximum', { validBefore: NOW_S + 12n * 3600n + 1n }, 'CA_INVALID_VALIDITY'],
    ['a lifetime of exactly the user maximum', { validBefore: NOW_S + 12n * 3600n }, undefined],
    [
      'a host lifetime of 90 days',
      { certType: 'host', criticalOptions: [], extensions: [], validBefore: NOW_S + 90n * 86400n },
      undefined,
    ],
    ['a validity that already ended', { validBefore: NOW_S }, 'CA_INVALID_VALIDITY'],
    ['a validity that starts in the future', { validAfter: NOW_S + 10n }, 'CA_INVALID_VALIDITY'],
    ['a backdating beyond the skew', { validAfter: NOW_S - 3600n }, 'CA_INVALID_VALIDITY'],
    ['validity forever', { validBefore: (1n << 64n) - 1n }, 'CA_INVALID_VALIDITY'],
    ['an RSA 2048 key', { key: fixturePublicKey('rsa2048') }, 'CA_KEY_REFUSED'],
    ['a bad principal', { principals: ['root', 'a,b'] }, 'CA_INVALID_PRINCIPAL'],
    ['no principals', { principals: [] }, 'CA_INVALID_PRINCIPAL'],
    ['a bad key id', { keyId: 'x\ny' }, 'CA_INVALID_KEY_ID'],
  ];
  it.each(cases)('%s', (_name, overrides, code) => {
    expect(codeOf(() => validateCertificateFields(userFields(overrides), NOW, limits))).toBe(code);
  });
});
