import { fstatSync, openSync, closeSync, readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { caError } from './errors';
import { parsePrivateKey, publicKeyFromKeyObject, signWithKeyObject, type PublicKey } from './keys';

/**
 * What the CA needs from a key: its public half and signatures in SSH form. The
 * file-backed signer below is the only one today; a KMS/HSM signer implements the
 * same two members and nothing else changes.
 */
export interface Signer {
  readonly publicKey: PublicKey;
  /** The SSH signature blob (`string algorithm ‖ string signature`) over `data`. RSA signs rsa-sha2-512. */
  sign(data: Buffer): Promise<Buffer>;
}

/** A signer over a private key held in memory. */
export function createKeyObjectSigner(privateKey: KeyObject): Signer {
  if (privateKey.type !== 'private') throw new TypeError('createKeyObjectSigner needs a private key');
  const publicKey = publicKeyFromKeyObject(privateKey);
  return {
    publicKey,
    sign: async (data) => signWithKeyObject(privateKey, publicKey.type, data),
  };
}

export interface LoadKeyOptions {
  /** Passphrase for an encrypted key file. */
  readonly passphrase?: string;
  /** Accept files readable or writable by group or others (never for production keys). */
  readonly allowLooseModes?: boolean;
}

/**
 * Reads a private key file after checking, on the open descriptor, that it is a
 * regular file not accessible by group or others (mode 0600 or stricter). Throws
 * CA_KEY_FILE_MODE for looser modes unless allowed, CA_FILE_UNREADABLE when absent.
 */
export function readPrivateKeyFile(path: string, options: LoadKeyOptions = {}): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw caError(
      'CA_FILE_UNREADABLE',
      `${path}: cannot open private key (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      { path },
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw caError('CA_FILE_UNREADABLE', `${path}: not a regular file`, { path });
    if ((st.mode & 0o077) !== 0 && !options.allowLooseModes) {
      throw caError(
        'CA_KEY_FILE_MODE',
        `${path}: private key has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, accepted: 0600 or stricter (run chmod 600 ${path})`,
        {
          path,
          mode: (st.mode & 0o777).toString(8),
        },
      );
    }
    if (st.size > 65_536)
      throw caError('CA_FILE_UNREADABLE', `${path}: too large for a private key`, { path });
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** A signer backed by a private key file (openssh-key-v1 or PEM), mode-checked. */
export function loadFileSigner(path: string, options: LoadKeyOptions = {}): Signer {
  const text = readPrivateKeyFile(path, options);
  const { privateKey } = parsePrivateKey(text, options.passphrase);
  return createKeyObjectSigner(privateKey);
}
