import { createHash } from 'node:crypto';
import type { PublicKey } from './public-key';

/** `SHA256:<unpadded base64>` of the key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(key: PublicKey | Buffer): string {
  const blob = Buffer.isBuffer(key) ? key : key.blob;
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Raw SHA-256 of the key blob (what a KRL lists to revoke a key by hash). */
export function keyHash(key: PublicKey): Buffer {
  return createHash('sha256').update(key.blob).digest();
}

/** The short type label ssh-keygen uses (`ED25519`, `ECDSA`, `RSA`), with `-CERT` for certificates. */
export function keyLabel(type: string): string {
  const cert = type.endsWith('-cert-v01@openssh.com');
  const base = cert ? type.slice(0, -'-cert-v01@openssh.com'.length) : type;
  const label =
    base === 'ssh-ed25519'
      ? 'ED25519'
      : base.startsWith('ecdsa-')
        ? 'ECDSA'
        : base === 'ssh-rsa'
          ? 'RSA'
          : base.toUpperCase();
  return cert ? `${label}-CERT` : label;
}
