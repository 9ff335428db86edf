import { createHash, generateKeyPairSync } from 'node:crypto';
import { hasCode } from '../../../src/errors';
import { createFakeClock } from '../../../src/core';
import {
  anyHostKeyVerifier,
  createHostCertificateVerifier,
  createPinnedHostKeyVerifier,
  sha256Fingerprint,
} from '../../../src/proxy';
import { createSshSigningKey } from '../../../src/proxy/upstream/signing-key';

const hostKey = createSshSigningKey(generateKeyPairSync('ed25519').privateKey).publicBlob;
const otherKey = createSshSigningKey(generateKeyPairSync('ed25519').privateKey).publicBlob;

describe('sha256Fingerprint', () => {
  it('prints SHA256: and the unpadded base64 digest, like ssh-keygen -lf', () => {
    const digest = createHash('sha256').update(hostKey).digest('base64');
    expect(digest.endsWith('=')).toBe(true);
    expect(sha256Fingerprint(hostKey)).toBe(`SHA256:${digest.slice(0, -1)}`);
  });
});

describe('createPinnedHostKeyVerifier', () => {
  it('accepts a pinned host key and refuses any other, naming its type and fingerprint', () => {
    const verify = createPinnedHostKeyVerifier([sha256Fingerprint(hostKey)]);
    expect(verify(hostKey)).toEqual({ ok: true });
    const verdict = verify(otherKey);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok === false && verdict.reason).toBe(
      `host key ssh-ed25519 ${sha256Fingerprint(otherKey)} is not pinned for this host`,
    );
  });

  it('accepts any of several pins (key rotation)', () => {
    const verify = createPinnedHostKeyVerifier([sha256Fingerprint(otherKey), sha256Fingerprint(hostKey)]);
    expect(verify(hostKey).ok).toBe(true);
    expect(verify(otherKey).ok).toBe(true);
  });

  it('refuses every key when nothing is pinned (no trust on first use)', () => {
    expect(createPinnedHostKeyVerifier([])(hostKey).ok).toBe(false);
  });

  it('names an unreadable blob type as unknown', () => {
    const verdict = createPinnedHostKeyVerifier([])(Buffer.from([0, 0, 0, 99, 1]));
    expect(verdict.ok === false && verdict.reason).toMatch(/^host key unknown SHA256:/);
  });

  it.each([
    ['an MD5 fingerprint', 'MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48'],
    ['a padded digest', `${sha256Fingerprint(hostKey)}=`],
    ['a bare digest', sha256Fingerprint(hostKey).slice(7)],
    ['a short digest', 'SHA256:abc'],
    ['an empty string', ''],
  ])('refuses %s as a pin', (_label, pin) => {
    let err: unknown;
    try {
      createPinnedHostKeyVerifier([pin]);
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'PROXY_INVALID_HOST_KEY_PIN')).toBe(true);
  });
});

describe('anyHostKeyVerifier', () => {
  it('accepts when one verifier accepts and joins every reason when none does', () => {
    const pinHost = createPinnedHostKeyVerifier([sha256Fingerprint(hostKey)]);
    const pinOther = createPinnedHostKeyVerifier([sha256Fingerprint(otherKey)]);
    expect(anyHostKeyVerifier(pinOther, pinHost)(hostKey)).toEqual({ ok: true });
    const verdict = anyHostKeyVerifier(pinOther, pinOther)(hostKey);
    expect(verdict.ok === false && verdict.reason.split('; ')).toHaveLength(2);
    expect(anyHostKeyVerifier()(hostKey)).toEqual({ ok: false, reason: 'no host key verifier configured' });
  });
});

describe('createHostCertificateVerifier', () => {
  const clock = createFakeClock();

  it('refuses a host key no known certificate certifies, naming the host', () => {
    const verdict = createHostCertificateVerifier({
      certificates: [],
      trustedCas: [],
      hostname: 'db-1',
      clock,
    })(hostKey);
    expect(verdict.ok === false && verdict.reason).toMatch(
      /is not certified by any host certificate known for db-1$/,
    );
  });

  it.each([
    ['a CA line that is not a key', { trustedCas: ['not a key'], certificates: [] }],
    [
      'a certificate line that is a plain key',
      { trustedCas: [], certificates: [`ssh-ed25519 ${hostKey.toString('base64')}`] },
    ],
    ['a certificate blob that is garbage', { trustedCas: [], certificates: [Buffer.from('garbage')] }],
  ])('refuses %s at creation', (_label, input) => {
    let err: unknown;
    try {
      createHostCertificateVerifier({ ...input, hostname: 'db-1', clock });
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'PROXY_INVALID_HOST_CERTIFICATE')).toBe(true);
  });
});
