import { caError } from '../errors';

interface BcryptPbkdfModule {
  pbkdf(
    pass: Uint8Array,
    passlen: number,
    salt: Uint8Array,
    saltlen: number,
    key: Uint8Array,
    keylen: number,
    rounds: number,
  ): number;
}

// bcrypt-pbkdf ships no type declarations; this is its whole surface we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bcryptModule = require('bcrypt-pbkdf') as BcryptPbkdfModule;

/** Highest bcrypt round count we run (ssh-keygen's default is 16); bounds the work a hostile file can ask for. */
export const MAX_BCRYPT_ROUNDS = 1024;

/** OpenSSH's bcrypt_pbkdf key derivation, used for passphrase-protected openssh-key-v1 files. */
export function bcryptPbkdf(passphrase: Buffer, salt: Buffer, keyLength: number, rounds: number): Buffer {
  if (rounds < 1 || rounds > MAX_BCRYPT_ROUNDS) {
    throw caError(
      'CA_MALFORMED',
      `private key: bcrypt rounds ${rounds} out of range (accepted: 1 to ${MAX_BCRYPT_ROUNDS})`,
    );
  }
  const out = Buffer.alloc(keyLength);
  const rc = bcryptModule.pbkdf(passphrase, passphrase.length, salt, salt.length, out, keyLength, rounds);
  if (rc !== 0)
    throw caError('CA_MALFORMED', 'private key: bcrypt key derivation failed (empty passphrase or salt)');
  return out;
}
