import { createHash, generateKeyPairSync } from 'node:crypto';
import { hasCode } from '../../../src/errors';
import { createPinnedHostKeyVerifier, sha256Fingerprint } from '../../../src/proxy';
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
