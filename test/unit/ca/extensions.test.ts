import fc from 'fast-check';
import {
  DEFAULT_LIMITS,
  KNOWN_EXTENSIONS,
  VENDOR_EXTENSION_VALUE_PATTERN,
  certificateToJson,
  checkExtensionLimits,
  describeCertificate,
  encodeExtensions,
  encodeToBeSigned,
  extensionValue,
  flagOption,
  isVendorExtensionName,
  parseCertificateLine,
  signCertificate,
  stringOption,
  validateExtensions,
  type CertOption,
} from '../../../src/ca/cert';
import { SshWriter } from '../../../src/ca/wire';
import { fixturePublicKey, fixtureText } from '../../fixtures/ca/load';
import { codeOf, fixtureSigner, userFields } from './support';

const GRANT = 'grant-id@breakglass';
const limits = DEFAULT_LIMITS;

/** Data that is one SSH string followed by `extra` bytes. */
function dataWith(value: string, extra: Buffer): Buffer {
  return Buffer.concat([new SshWriter().string(value).finish(), extra]);
}

describe('vendor extension names (name@domain)', () => {
  it.each([
    ['the grant id extension', GRANT, true],
    ['a name under a dotted domain', 'session-id@example.com', true],
    ['dots and underscores in the local part', 'a.b_c-d@x.y-z.example', true],
    ['a 64-character local part', `${'a'.repeat(64)}@x`, true],
    ['the old grant form with "="', 'grant=r-1@breakglass', false],
    ['upper case', 'Grant-id@breakglass', false],
    ['no domain', 'grant-id', false],
    ['an empty local part', '@breakglass', false],
    ['an empty domain', 'grant-id@', false],
    ['two @', 'a@b@c', false],
    ['an empty domain label', 'a@b..c', false],
    ['a label starting with a dash', 'a@-b', false],
    ['a space', 'grant id@breakglass', false],
    ['a comma', 'a,b@breakglass', false],
    ['a NUL', 'a\0@breakglass', false],
    ['a 65-character local part', `${'a'.repeat(65)}@x`, false],
    ['more than 128 characters', `a@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(10)}`, false],
    ['an OpenSSH extension', 'permit-pty', false],
  ])('%s: %s is %s', (_n, name, ok) => {
    expect(isVendorExtensionName(name)).toBe(ok);
  });
});

describe('the extension allow-lists are themselves checked (configuration bugs)', () => {
  it.each([
    ['a flag that OpenSSH does not define', { allowedExtensions: ['grant=r-1@breakglass'] }],
    ['a malformed vendor name', { allowedVendorExtensions: ['GrantId'] }],
    ['an OpenSSH flag on the vendor list', { allowedVendorExtensions: ['permit-pty'] }],
  ])('throws TypeError for %s', (_n, overrides) => {
    expect(() => checkExtensionLimits({ ...limits, ...overrides })).toThrow(TypeError);
  });

  it('accepts the defaults: the six OpenSSH flags and grant-id@breakglass', () => {
    expect(limits.allowedExtensions).toEqual(KNOWN_EXTENSIONS);
    expect(limits.allowedVendorExtensions).toEqual([GRANT]);
    expect(() => checkExtensionLimits(limits)).not.toThrow();
  });
});

describe('validation of extensions', () => {
  const cases: Array<[string, CertOption[], string | undefined]> = [
    ['an allowed flag', [flagOption('permit-pty')], undefined],
    ['an allowed vendor extension with a value', [stringOption(GRANT, 'r-0123456789abcdef')], undefined],
    ['a value of every accepted character', [stringOption(GRANT, 'aZ09._@:+=/-')], undefined],
    ['a value of 256 characters', [stringOption(GRANT, 'v'.repeat(256))], undefined],
    [
      'a vendor extension that is not allowed',
      [stringOption('x-id@example.com', 'v')],
      'CA_EXTENSION_NOT_ALLOWED',
    ],
    ['the old grant form as a flag', [flagOption('grant=r-1@breakglass')], 'CA_EXTENSION_NOT_ALLOWED'],
    ['an allowed vendor extension without a value', [flagOption(GRANT)], 'CA_INVALID_OPTION'],
    ['a flag with a value', [stringOption('permit-pty', 'yes')], 'CA_INVALID_OPTION'],
    ['an empty value', [stringOption(GRANT, '')], 'CA_INVALID_OPTION'],
    ['a value of 257 characters', [stringOption(GRANT, 'v'.repeat(257))], 'CA_INVALID_OPTION'],
    ['a space in the value', [stringOption(GRANT, 'r 1')], 'CA_INVALID_OPTION'],
    ['a comma in the value', [stringOption(GRANT, 'r-1,r-2')], 'CA_INVALID_OPTION'],
    ['a quote in the value', [stringOption(GRANT, 'r"1')], 'CA_INVALID_OPTION'],
    ['a backslash in the value', [stringOption(GRANT, 'r\\1')], 'CA_INVALID_OPTION'],
    ['a newline in the value', [stringOption(GRANT, 'r-1\nr-2')], 'CA_INVALID_OPTION'],
    ['an ANSI escape in the value', [stringOption(GRANT, '\x1b[2Jr')], 'CA_INVALID_OPTION'],
    ['a non-ASCII look-alike in the value', [stringOption(GRANT, 'r-1а')], 'CA_INVALID_OPTION'],
    [
      'data that is not wrapped (the bare value)',
      [{ name: GRANT, data: Buffer.from('r-0123') }],
      'CA_INVALID_OPTION',
    ],
    [
      'a value followed by trailing bytes',
      [{ name: GRANT, data: dataWith('r-1', Buffer.from([0])) }],
      'CA_INVALID_OPTION',
    ],
    [
      'a value that is not UTF-8',
      [{ name: GRANT, data: dataWith('', Buffer.from([0xff])) }],
      'CA_INVALID_OPTION',
    ],
  ];
  it.each(cases)('%s', (_n, extensions, code) => {
    expect(codeOf(() => validateExtensions('user', extensions, limits))).toBe(code);
  });

  it('refuses any extension on a host certificate', () => {
    expect(codeOf(() => validateExtensions('host', [stringOption(GRANT, 'r-1')], limits))).toBe(
      'CA_EXTENSION_NOT_ALLOWED',
    );
  });

  it('says what is accepted', () => {
    expect(() => validateExtensions('user', [flagOption('grant=r-1@breakglass')], limits)).toThrow(
      /not allowed \(accepted: .*permit-pty.*, grant-id@breakglass=VALUE\)/,
    );
    expect(() => validateExtensions('user', [stringOption(GRANT, 'a b')], limits)).toThrow(
      /accepted: 1-256 characters of letters, digits and \. _ @ : \+ = \/ -/,
    );
  });

  it('accepts a value exactly when it matches the documented pattern', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.stringMatching(/^[A-Za-z0-9._@:+=/ ,"\\-]{0,260}$/),
        ),
        (value) => {
          const ok =
            codeOf(() => validateExtensions('user', [stringOption(GRANT, value)], limits)) === undefined;
          expect(ok).toBe(VENDOR_EXTENSION_VALUE_PATTERN.test(value));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('encoding of requested extensions', () => {
  it('sorts flags and vendor extensions together by byte order and wraps values twice', () => {
    const list = encodeExtensions([
      'permit-pty',
      { name: GRANT, value: 'r-1' },
      'permit-agent-forwarding',
      'permit-X11-forwarding',
    ]);
    expect(list.map((e) => e.name)).toEqual([
      GRANT,
      'permit-X11-forwarding',
      'permit-agent-forwarding',
      'permit-pty',
    ]);
    // data = string("r-1"); on the wire the tuple wraps it again: 00000007 00000003 722d31
    expect(list[0]!.data.toString('hex')).toBe('00000003722d31');
    const tbs = encodeToBeSigned(userFields({ extensions: list }), fixturePublicKey('ca_ed25519'));
    expect(tbs.toString('hex')).toContain(`${Buffer.from(GRANT).toString('hex')}00000007${'00000003722d31'}`);
  });

  it.each([
    ['the same flag twice', ['permit-pty', 'permit-pty']],
    [
      'the same vendor extension twice',
      [
        { name: GRANT, value: 'a' },
        { name: GRANT, value: 'b' },
      ],
    ],
    ['a name both as a flag and with a value', [GRANT, { name: GRANT, value: 'a' }]],
    ['an object without a value', [{ name: GRANT } as never]],
    ['an object with a number value', [{ name: GRANT, value: 7 } as never]],
    ['an object with a third key', [{ name: GRANT, value: 'a', critical: true } as never]],
    ['null', [null as never]],
  ])('refuses %s with CA_INVALID_OPTION', (_n, requested) => {
    expect(codeOf(() => encodeExtensions(requested))).toBe('CA_INVALID_OPTION');
  });

  it('keeps names strictly increasing in byte order for any mix of extensions (property)', () => {
    const entry = fc.oneof(
      fc.constantFrom(...KNOWN_EXTENSIONS),
      fc.record({
        name: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}@[a-z]{1,6}(\.[a-z]{2,3})?$/),
        value: fc.stringMatching(/^[A-Za-z0-9._@:+=/-]{1,20}$/),
      }),
    );
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => (typeof e === 'string' ? e : e.name) }), (req) => {
        const list = encodeExtensions(req);
        for (let i = 1; i < list.length; i++)
          expect(Buffer.compare(Buffer.from(list[i - 1]!.name), Buffer.from(list[i]!.name))).toBeLessThan(0);
        for (const r of req) if (typeof r !== 'string') expect(extensionValue(list, r.name)).toBe(r.value);
      }),
    );
  });
});

describe('reading vendor extensions back', () => {
  const ours = [flagOption('permit-pty'), stringOption(GRANT, 'r-1')].sort((a, b) =>
    Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)),
  );

  it('returns the value, or null when the certificate has no such extension', () => {
    expect(extensionValue(ours, GRANT)).toBe('r-1');
    expect(extensionValue([flagOption('permit-pty')], GRANT)).toBeNull();
  });

  it.each([
    ['a flag of that name', [flagOption(GRANT)]],
    ['trailing bytes after the value', [{ name: GRANT, data: dataWith('r-1', Buffer.from('x')) }]],
    ['a length past the end', [{ name: GRANT, data: Buffer.from([0, 0, 0, 9, 0x72]) }]],
  ])('refuses %s with CA_MALFORMED', (_n, list) => {
    expect(codeOf(() => extensionValue(list, GRANT))).toBe('CA_MALFORMED');
  });

  it('reads the value from the certificate ssh-keygen -O extension:NAME=VALUE made, byte for byte as we encode it', async () => {
    const { certificate } = parseCertificateLine(fixtureText('user_ed25519_grant_by_ed25519-cert.pub'));
    expect(certificate.extensions.map((e) => e.name)).toEqual([GRANT, 'permit-pty']);
    expect(extensionValue(certificate.extensions, GRANT)).toBe('r-0123456789abcdef');
    expect(encodeExtensions(['permit-pty', { name: GRANT, value: 'r-0123456789abcdef' }])).toEqual(
      certificate.extensions,
    );
    // Our encoder re-signing ssh-keygen's fields gives its certificate byte for byte (Ed25519 is deterministic).
    const again = await signCertificate(certificate, fixtureSigner('ca_ed25519'));
    expect(again.blob.equals(certificate.blob)).toBe(true);
  });

  it('describes a vendor value as "name value" and other data in hex, like ssh-keygen -L', async () => {
    const cert = await signCertificate(
      userFields({
        criticalOptions: [],
        extensions: [
          stringOption(GRANT, 'r-1'),
          { name: 'odd@example.com', data: Buffer.from([1, 2]) },
          flagOption('permit-pty'),
        ],
      }),
      fixtureSigner('ca_ed25519'),
    );
    expect(describeCertificate(cert, 'c')).toMatch(
      /Extensions: \n {16}grant-id@breakglass r-1\n {16}odd@example\.com UNKNOWN OPTION: 0102 \(len 2\)\n {16}permit-pty\n$/,
    );
    expect(certificateToJson(cert).extensions).toEqual([
      { name: GRANT, value: 'r-1' },
      { name: 'odd@example.com', data: 'AQI=' },
      { name: 'permit-pty', value: null },
    ]);
  });
});
