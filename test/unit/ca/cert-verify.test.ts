import {
  encodeCriticalOptions,
  flagOption,
  parseCertificate,
  signCertificate,
  verifyCertificate,
  type Certificate,
  type VerifyOptions,
} from '../../../src/ca/cert';
import { fixturePublicKey } from '../../fixtures/ca/load';
import { codeOf, fixtureSigner, NOW, NOW_S, userFields } from './support';

describe('certificate verification (what the gateway relies on)', () => {
  let cert: Certificate;
  const base = (): VerifyOptions => ({
    now: NOW,
    certType: 'user',
    trustedCas: [fixturePublicKey('ca_ed25519')],
    principal: 'root',
    sourceAddress: '10.1.2.3',
  });

  beforeAll(async () => {
    cert = await signCertificate(userFields(), fixtureSigner('ca_ed25519'));
  });

  it('accepts a genuine certificate and returns its options', () => {
    const ok = verifyCertificate(cert, base());
    expect(ok.options).toEqual({
      forceCommand: 'uptime',
      sourceAddress: ['10.0.0.0/8'],
      verifyRequired: false,
    });
    expect(ok.extensions).toEqual(['permit-pty']);
  });

  it.each(['ca_ecdsa', 'ca_rsa'])('verifies the signature of a %s CA', async (ca) => {
    const other = await signCertificate(userFields(), fixtureSigner(ca));
    expect(
      verifyCertificate(other, { ...base(), trustedCas: [fixturePublicKey(ca)] }).certificate.serial,
    ).toBe(42n);
  });

  const cases: Array<[string, Partial<VerifyOptions>, string, string]> = [
    ['an untrusted CA', { trustedCas: [fixturePublicKey('ca_rsa')] }, 'CA_UNTRUSTED_CA', ''],
    ['the wrong certificate type', { certType: 'host' }, 'CA_CERT_REJECTED', 'type'],
    ['a principal it does not list', { principal: 'admin' }, 'CA_CERT_REJECTED', 'principal'],
    [
      'a time one second before valid_after',
      { now: Number(NOW_S - 61n) * 1000 },
      'CA_CERT_REJECTED',
      'not-yet-valid',
    ],
    [
      'exactly valid_before (the end is exclusive)',
      { now: Number(NOW_S + 3600n) * 1000 },
      'CA_CERT_REJECTED',
      'expired',
    ],
    [
      'a source address outside source-address',
      { sourceAddress: '192.168.1.1' },
      'CA_CERT_REJECTED',
      'source-address',
    ],
    ['an unknown source address', { sourceAddress: undefined }, 'CA_CERT_REJECTED', 'source-address'],
    [
      'a critical option the caller does not support',
      { supportedCriticalOptions: ['source-address'] },
      'CA_CERT_REJECTED',
      'critical-option',
    ],
    ['a revoked certificate', { isRevoked: (c) => c.serial === 42n }, 'CA_CERT_REJECTED', 'revoked'],
  ];
  it.each(cases)('refuses %s', (_name, overrides, code, reason) => {
    let err: { code?: string; details?: { reason?: string } } | undefined;
    try {
      verifyCertificate(cert, { ...base(), ...overrides });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).toBe(code);
    if (reason) expect(err?.details?.reason).toBe(reason);
  });

  it('accepts exactly valid_after (the start is inclusive)', () => {
    expect(
      codeOf(() => verifyCertificate(cert, { ...base(), now: Number(NOW_S - 60n) * 1000 })),
    ).toBeUndefined();
  });

  it('refuses a certificate whose signed bytes were altered', () => {
    const tampered = Buffer.from(cert.blob);
    const at = tampered.indexOf(Buffer.from('alice@example.com'));
    tampered[at] = 'm'.charCodeAt(0);
    expect(codeOf(() => verifyCertificate(parseCertificate(tampered), base()))).toBe('CA_SIGNATURE_INVALID');
  });

  it('refuses a certificate re-signed by another key but claiming the trusted CA', async () => {
    const forged = await signCertificate(userFields(), {
      publicKey: fixturePublicKey('ca_ed25519'),
      sign: fixtureSigner('ed25519').sign,
    });
    expect(codeOf(() => verifyCertificate(forged, base()))).toBe('CA_SIGNATURE_INVALID');
  });

  it('refuses a certificate with no principals (sshd would treat it as "any")', async () => {
    const wildcard = await signCertificate(userFields({ principals: [] }), fixtureSigner('ca_ed25519'));
    expect(codeOf(() => verifyCertificate(wildcard, { ...base(), principal: undefined }))).toBe(
      'CA_CERT_REJECTED',
    );
  });

  it('refuses an unknown critical option even when signed by the trusted CA', async () => {
    const odd = await signCertificate(
      userFields({ criticalOptions: [...encodeCriticalOptions({}), flagOption('restrict-to@example.com')] }),
      fixtureSigner('ca_ed25519'),
    );
    expect(codeOf(() => verifyCertificate(odd, base()))).toBe('CA_CERT_REJECTED');
  });
});
