import {
  GRANT_ID_EXTENSION,
  grantIdExtension,
  grantIdFromExtensions,
  newRequestId,
} from '../../../src/access';
import { createCertificateIssuer } from '../../../src/access/certificates';
import { DEFAULT_LIMITS, type CertOption } from '../../../src/ca';
import { encodeExtensions } from '../../../src/ca/cert';
import { createFakeClock, type Random } from '../../../src/core';

const random: Random = { bytes: (n) => Buffer.alloc(n, 7) };
const ID = newRequestId(createFakeClock(Date.UTC(2026, 0, 1)), random);

/** The data of an extension whose value is `value` (one SSH string), with `extra` bytes after it. */
function data(value: string, extra: Buffer = Buffer.alloc(0)): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(Buffer.byteLength(value), 0);
  return Buffer.concat([len, Buffer.from(value), extra]);
}

describe('the grant id extension', () => {
  it('is the vendor extension grant-id@breakglass with the grant id as its value', () => {
    expect(grantIdExtension(ID)).toEqual({ name: 'grant-id@breakglass', value: ID });
    expect(GRANT_ID_EXTENSION).toBe('grant-id@breakglass');
  });

  it('reads back what the CA encodes', () => {
    expect(grantIdFromExtensions(encodeExtensions(['permit-pty', grantIdExtension(ID)]))).toBe(ID);
  });

  const none: Array<[string, CertOption[]]> = [
    ['no extensions', []],
    ['only flags', [{ name: 'permit-pty', data: Buffer.alloc(0) }]],
    [
      'the old form, a flag named grant=<id>@breakglass',
      [{ name: `grant=${ID}@breakglass`, data: Buffer.alloc(0) }],
    ],
    ['a flag named grant-id@breakglass', [{ name: GRANT_ID_EXTENSION, data: Buffer.alloc(0) }]],
    ['a bare value that is not wrapped', [{ name: GRANT_ID_EXTENSION, data: Buffer.from(ID) }]],
    ['trailing bytes after the value', [{ name: GRANT_ID_EXTENSION, data: data(ID, Buffer.from([0])) }]],
    ['a length past the end', [{ name: GRANT_ID_EXTENSION, data: data(ID).subarray(0, 10) }]],
    ['a value that is not a grant id', [{ name: GRANT_ID_EXTENSION, data: data('../../etc/passwd') }]],
    ['a grant id with a newline after it', [{ name: GRANT_ID_EXTENSION, data: data(`${ID}\n`) }]],
    ['the id under another vendor name', [{ name: 'grant-id@example.com', data: data(ID) }]],
  ];
  it.each(none)('finds no grant in %s', (_n, extensions) => {
    expect(grantIdFromExtensions(extensions)).toBeNull();
  });

  it('refuses to start when the CA does not allow grant-id@breakglass (TypeError)', () => {
    expect(() =>
      createCertificateIssuer({
        authority: { limits: { ...DEFAULT_LIMITS, allowedVendorExtensions: [] } },
      } as unknown as Parameters<typeof createCertificateIssuer>[0]),
    ).toThrow(/ca\.allowed_vendor_extensions must include grant-id@breakglass/);
  });
});
