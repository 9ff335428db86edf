import { caError } from '../errors';
import { KEY_TYPES, type KeyType, type PublicKey } from './public-key';

export interface KeyPolicy {
  /** Key types accepted for certification. */
  readonly allowedTypes: readonly KeyType[];
  /** Smallest RSA modulus accepted, in bits. */
  readonly rsaMinBits: number;
}

export const DEFAULT_KEY_POLICY: KeyPolicy = { allowedTypes: KEY_TYPES, rsaMinBits: 3072 };

/** Throws CA_KEY_REFUSED when `key` is not acceptable under `policy`. */
export function checkKeyPolicy(key: PublicKey, policy: KeyPolicy = DEFAULT_KEY_POLICY): void {
  if (!policy.allowedTypes.includes(key.type)) {
    throw caError(
      'CA_KEY_REFUSED',
      `key type ${key.type} is not allowed by the key policy (accepted: ${policy.allowedTypes.join(', ')})`,
      { keyType: key.type },
    );
  }
  if (key.type === 'ssh-rsa' && key.bits < policy.rsaMinBits) {
    throw caError(
      'CA_KEY_REFUSED',
      `RSA key of ${key.bits} bits is too small (accepted: at least ${policy.rsaMinBits} bits)`,
      { keyType: key.type, bits: key.bits },
    );
  }
}
