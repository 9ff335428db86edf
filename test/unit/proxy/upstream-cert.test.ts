import { createKeyObjectSigner, decodeCriticalOptions, generateKeyPair } from '../../../src/ca';
import { createFakeClock, systemRandom } from '../../../src/core';
import { DENIED_CONSTRAINTS } from '../../../src/policy';
import { createUpstreamIssuer } from '../../../src/proxy';

const clock = createFakeClock();
const NOW = clock.now();
const ca = generateKeyPair('ed25519');
let serial = 100;

function issuer(over: { ttlMs?: number; sourceAddress?: string[] } = {}) {
  return createUpstreamIssuer({
    signer: createKeyObjectSigner(ca.privateKey),
    nextSerial: async () => ++serial,
    clock,
    random: systemRandom,
    ttlMs: over.ttlMs ?? 300_000,
    ...(over.sourceAddress ? { sourceAddress: over.sourceAddress } : {}),
  });
}

const request = {
  user: 'alice@example.com',
  grantId: 'r1abc',
  sessionId: 'c0123456789abcdef',
  login: 'root',
  grantStartsAt: NOW - 30_000,
  grantEndsAt: NOW + 3_600_000,
  constraints: { ...DENIED_CONSTRAINTS, pty: true },
};

describe('per-session upstream certificates', () => {
  it('certify a fresh key for the login, with a key id naming user, grant, session and the serial it got', async () => {
    const { certificate, privateKey } = await issuer().issue(request);
    const c = certificate.certificate;
    expect(c.certType).toBe('user');
    expect(c.principals).toEqual(['root']);
    expect(c.keyId).toBe(
      `breakglass:user=alice@example.com:grant=r1abc:session=c0123456789abcdef:serial=${c.serial}`,
    );
    expect(c.signatureKey.blob.equals(ca.publicKey.blob)).toBe(true);
    expect(privateKey.asymmetricKeyType).toBe('ed25519');
    expect(c.extensions.map((e) => e.name)).toEqual(['permit-pty']);
  });

  it.each([
    ['a short TTL inside the grant', 300_000, request.grantEndsAt, NOW + 300_000],
    ['a grant that ends sooner than the TTL', 300_000, NOW + 60_000, NOW + 60_000],
  ])('stay within the grant: %s', async (_n, ttlMs, grantEndsAt, end) => {
    const c = (await issuer({ ttlMs }).issue({ ...request, grantEndsAt })).certificate.certificate;
    expect(Number(c.validBefore)).toBe(Math.floor(end / 1000));
    expect(Number(c.validAfter)).toBeGreaterThanOrEqual(Math.floor(request.grantStartsAt / 1000));
  });

  it('carry force-command from the policy and source-address from the configuration', async () => {
    const c = (
      await issuer({ sourceAddress: ['10.0.0.5/32'] }).issue({
        ...request,
        constraints: {
          ...request.constraints,
          forceCommand: '/usr/local/bin/audit-shell',
          portForwarding: true,
        },
      })
    ).certificate.certificate;
    expect(decodeCriticalOptions(c.criticalOptions)).toMatchObject({
      forceCommand: '/usr/local/bin/audit-shell',
      sourceAddress: ['10.0.0.5'], // the CA writes a single address without /32, as ssh-keygen does
    });
    expect(c.extensions.map((e) => e.name)).toEqual(['permit-port-forwarding', 'permit-pty']);
  });

  it('refuse to issue for a grant that has ended', async () => {
    await expect(issuer().issue({ ...request, grantEndsAt: NOW - 1 })).rejects.toMatchObject({
      code: expect.stringMatching(/^CA_/),
    });
  });
});
