import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { publicKeyFromKeyObject, type PublicKey } from './public-key';

export type CaKeyKind = 'ed25519' | 'ecdsa' | 'rsa';

export const CA_KEY_KINDS: readonly CaKeyKind[] = ['ed25519', 'ecdsa', 'rsa'];

/** Sizes used when generating: ECDSA on P-256 (ssh-keygen's default), RSA 3072 bits (the policy minimum). */
export const GENERATED_RSA_BITS = 3072;

/** Generates a key pair of the given kind with Node's crypto. */
export function generateKeyPair(kind: CaKeyKind): { privateKey: KeyObject; publicKey: PublicKey } {
  let privateKey: KeyObject;
  if (kind === 'ed25519') privateKey = generateKeyPairSync('ed25519').privateKey;
  else if (kind === 'ecdsa') privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  else
    privateKey = generateKeyPairSync('rsa', {
      modulusLength: GENERATED_RSA_BITS,
      publicExponent: 65537,
    }).privateKey;
  return { privateKey, publicKey: publicKeyFromKeyObject(privateKey) };
}
