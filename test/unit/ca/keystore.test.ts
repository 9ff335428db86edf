import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initKeystore, openKeystore, writeNewFile } from '../../../src/ca/keystore';
import { parseAuthorizedKey, parsePrivateKey, verifySignature } from '../../../src/ca/keys';
import { loadFileSigner } from '../../../src/ca/signer';
import { systemRandom } from '../../../src/core';
import { tmpDir } from '../../helpers/tmp';
import { fixtureText } from '../../fixtures/ca/load';
import { codeOf } from './support';

describe('CA keystore', () => {
  let dir: { path: string; cleanup: () => void };
  beforeEach(() => {
    dir = tmpDir('bg-ca-keys-');
  });
  afterEach(() => dir.cleanup());

  it('creates the three CA key pairs as openssh-key-v1 with mode 0600 (.pub 0644) and a 0700 directory', () => {
    const keys = join(dir.path, 'certs');
    const made = initKeystore({ dir: keys, keyType: 'ed25519', random: systemRandom });
    expect(made.map((m) => m.role)).toEqual(['user', 'host-access', 'host']);
    expect(readdirSync(keys).sort()).toEqual([
      'host_access_ca',
      'host_access_ca.pub',
      'host_ca',
      'host_ca.pub',
      'user_ca',
      'user_ca.pub',
    ]);
    expect(statSync(keys).mode & 0o777).toBe(0o700);
    for (const name of ['user_ca', 'host_access_ca', 'host_ca']) {
      expect(statSync(join(keys, name)).mode & 0o777).toBe(0o600);
      expect(statSync(join(keys, `${name}.pub`)).mode & 0o777).toBe(0o644);
      const priv = parsePrivateKey(readFileSync(join(keys, name), 'utf8'));
      expect(parseAuthorizedKey(readFileSync(join(keys, `${name}.pub`), 'utf8')).key.blob).toEqual(
        priv.publicKey.blob,
      );
    }
    const distinct = new Set(made.map((m) => m.publicKey.blob.toString('hex')));
    expect(distinct.size).toBe(3);
  });

  it('refuses to overwrite: any existing key file stops init before anything is written', () => {
    writeFileSync(join(dir.path, 'host_ca.pub'), 'old');
    expect(codeOf(() => initKeystore({ dir: dir.path, keyType: 'ed25519', random: systemRandom }))).toBe(
      'CA_KEY_EXISTS',
    );
    expect(readdirSync(dir.path)).toEqual(['host_ca.pub']);
  });

  it('writeNewFile never replaces an existing file', () => {
    const p = join(dir.path, 'f');
    writeNewFile(p, 'one', 0o600, systemRandom);
    expect(codeOf(() => writeNewFile(p, 'two', 0o600, systemRandom))).toBe('CA_KEY_EXISTS');
    expect(readFileSync(p, 'utf8')).toBe('one');
    expect(readdirSync(dir.path)).toEqual(['f']);
  });

  it.each(['ecdsa', 'rsa'] as const)(
    'generates %s CA keys on first use and signs with them',
    async (keyType) => {
      const store = openKeystore({ dir: dir.path, keyType, random: systemRandom });
      const signer = store.signer('host');
      expect(readdirSync(dir.path).sort()).toEqual(['host_ca', 'host_ca.pub']);
      const data = Buffer.from('x');
      expect(verifySignature(signer.publicKey, data, await signer.sign(data))).toBe(true);
      expect(store.publicKey('host').type).toBe(keyType === 'rsa' ? 'ssh-rsa' : 'ecdsa-sha2-nistp256');
      expect(openKeystore({ dir: dir.path, keyType, random: systemRandom }).publicKey('host').blob).toEqual(
        signer.publicKey.blob,
      );
    },
  );

  it('refuses a CA key readable by group or others, unless loose modes are allowed', () => {
    initKeystore({ dir: dir.path, keyType: 'ed25519', random: systemRandom });
    chmodSync(join(dir.path, 'user_ca'), 0o640);
    expect(
      codeOf(() => openKeystore({ dir: dir.path, keyType: 'ed25519', random: systemRandom }).signer('user')),
    ).toBe('CA_KEY_FILE_MODE');
    expect(() =>
      openKeystore({ dir: dir.path, keyType: 'ed25519', random: systemRandom, allowLooseModes: true }).signer(
        'user',
      ),
    ).not.toThrow();
  });

  it('refuses a key directory writable by others', () => {
    chmodSync(dir.path, 0o777);
    expect(
      codeOf(() => openKeystore({ dir: dir.path, keyType: 'ed25519', random: systemRandom }).signer('user')),
    ).toBe('CA_KEY_FILE_MODE');
    expect(existsSync(join(dir.path, 'user_ca'))).toBe(false);
  });

  it('does not generate when generation is off', () => {
    expect(
      codeOf(() =>
        openKeystore({ dir: dir.path, keyType: 'ed25519', random: systemRandom, generate: false }).signer(
          'user',
        ),
      ),
    ).toBe('CA_KEY_MISSING');
  });

  it('refuses a .pub that does not belong to the private key', () => {
    initKeystore({ dir: dir.path, keyType: 'ed25519', random: systemRandom });
    chmodSync(join(dir.path, 'user_ca.pub'), 0o644);
    writeFileSync(join(dir.path, 'user_ca.pub'), fixtureText('ed25519_key.pub'));
    expect(
      codeOf(() => openKeystore({ dir: dir.path, keyType: 'ed25519', random: systemRandom }).signer('user')),
    ).toBe('CA_FILE_UNREADABLE');
  });

  it('loads an encrypted ssh-keygen key file with its passphrase', () => {
    const p = join(dir.path, 'ca');
    writeFileSync(p, fixtureText('encrypted_ed25519_key'), { mode: 0o600 });
    expect(codeOf(() => loadFileSigner(p))).toBe('CA_PASSPHRASE');
    expect(loadFileSigner(p, { passphrase: 'correct horse' }).publicKey.type).toBe('ssh-ed25519');
  });
});
