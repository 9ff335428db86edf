import { generateKeyPairSync } from 'node:crypto';
import { statSync, writeFileSync, chmodSync as chmod } from 'node:fs';
import { join } from 'node:path';
import { createFakeClock } from '../../../src/core';
import { createKeyRing, loadOrCreateSigningKey, TOKEN_KEYS_NS } from '../../../src/identity';
import { tmpDir } from '../../helpers/tmp';
import { memoryStore } from '../../fixtures/identity/memory-store';

const dirs: Array<{ cleanup(): void }> = [];
const tmp = () => {
  const d = tmpDir();
  dirs.push(d);
  return d.path;
};
afterAll(() => dirs.forEach((d) => d.cleanup()));

describe('the API token signing key', () => {
  it('is created once as an Ed25519 PKCS#8 file with mode 0600 and read back with the same kid', async () => {
    const dir = tmp();
    const first = await loadOrCreateSigningKey(join(dir, 'certs'), 'api.pem');
    expect(statSync(join(dir, 'certs', 'api.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'certs')).mode & 0o777).toBe(0o700);
    expect(first.privateKey.asymmetricKeyType).toBe('ed25519');
    const again = await loadOrCreateSigningKey(join(dir, 'certs'), 'api.pem');
    expect(again.kid).toBe(first.kid);
    expect(first.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    [
      'readable by others',
      (path: string) => {
        writeFileSync(
          path,
          generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }),
        );
        chmod(path, 0o644);
      },
      /readable by group or others/,
    ],
    ['not PEM', (path: string) => writeFileSync(path, 'hello', { mode: 0o600 }), /not a PEM private key/],
    [
      'an RSA key',
      (path: string) =>
        writeFileSync(
          path,
          generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
            format: 'pem',
            type: 'pkcs8',
          }),
          { mode: 0o600 },
        ),
      /holds a rsa key \(accepted: Ed25519\)/,
    ],
  ])('refuses a key file %s (IDENTITY_KEY_INVALID)', async (_name, make, message) => {
    const dir = tmp();
    make(join(dir, 'k.pem'));
    await expect(loadOrCreateSigningKey(dir, 'k.pem')).rejects.toMatchObject({
      code: 'IDENTITY_KEY_INVALID',
      message: expect.stringMatching(message),
    });
  });

  it('publishes the public key for other replicas and finds theirs, but never a key stored under another kid', async () => {
    const store = memoryStore(createFakeClock());
    const ours = createKeyRing({ store, signing: await loadOrCreateSigningKey(tmp(), 'a.pem') });
    const theirs = createKeyRing({ store, signing: await loadOrCreateSigningKey(tmp(), 'b.pem') });
    await ours.publish();
    await theirs.publish();
    const stored = JSON.parse((await store.get(TOKEN_KEYS_NS, ours.signing.kid))!.value);
    expect(stored).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: ours.signing.kid });
    expect(stored.d).toBeUndefined();
    const found = await ours.lookup(theirs.signing.kid);
    expect(found!.export({ format: 'der', type: 'spki' })).toEqual(
      theirs.signing.publicKey.export({ format: 'der', type: 'spki' }),
    );
    await store.put(
      TOKEN_KEYS_NS,
      'X'.repeat(43),
      (await store.get(TOKEN_KEYS_NS, theirs.signing.kid))!.value,
    );
    expect(await ours.lookup('X'.repeat(43))).toBeNull();
    expect(await ours.lookup('../../etc')).toBeNull();
  });
});
