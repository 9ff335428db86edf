import { createHash } from 'node:crypto';
import { keyHash, type PublicKey } from '../keys';
import type { Certificate } from '../cert';
import type { Krl } from './model';

function keyRevoked(krl: Krl, key: PublicKey): boolean {
  const h = keyHash(key);
  if (krl.sha256.some((x) => x.equals(h))) return true;
  if (krl.sha1?.length) {
    const h1 = createHash('sha1').update(key.blob).digest();
    if (krl.sha1.some((x) => x.equals(h1))) return true;
  }
  return krl.explicitKeys?.some((b) => b.equals(key.blob)) ?? false;
}

/**
 * Whether the KRL revokes a plain key, or a certificate (by its key, its CA key,
 * its serial under its CA or any CA, or its key id), as sshd's RevokedKeys does.
 */
export function isRevoked(krl: Krl, subject: PublicKey | Certificate): boolean {
  if ('signatureKey' in subject) {
    if (keyRevoked(krl, subject.key) || keyRevoked(krl, subject.signatureKey)) return true;
    for (const section of krl.certificates) {
      if (section.ca && !section.ca.blob.equals(subject.signatureKey.blob)) continue;
      if (
        subject.serial !== 0n &&
        section.serials.some((r) => r.from <= subject.serial && subject.serial <= r.to)
      )
        return true;
      if (section.keyIds.includes(subject.keyId)) return true;
    }
    return false;
  }
  return keyRevoked(krl, subject);
}
