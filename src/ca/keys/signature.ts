import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { caError, malformed } from '../errors';
import { SshReader, SshWriter } from '../wire';
import { ECDSA_CURVES, isEcdsaType, publicKeyToKeyObject, type KeyType, type PublicKey } from './public-key';

/** Signature algorithms we produce and accept. `ssh-rsa` (SHA-1) is never accepted. */
export type SignatureAlgorithm =
  | 'ssh-ed25519'
  | 'ecdsa-sha2-nistp256'
  | 'ecdsa-sha2-nistp384'
  | 'ecdsa-sha2-nistp521'
  | 'rsa-sha2-256'
  | 'rsa-sha2-512';

/** The algorithm we sign with for a key type: RSA always signs rsa-sha2-512. */
export function signatureAlgorithmFor(type: KeyType): SignatureAlgorithm {
  return type === 'ssh-rsa' ? 'rsa-sha2-512' : type;
}

const RSA_HASH = { 'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512' } as const;

function leftPad(b: Buffer, size: number): Buffer {
  if (b.length === size) return b;
  const out = Buffer.alloc(size);
  b.copy(out, size - b.length);
  return out;
}

/**
 * Signs `data` with a Node private key of the given SSH type and returns the SSH
 * signature blob (`string algorithm ‖ string signature`).
 */
export function signWithKeyObject(privateKey: KeyObject, type: KeyType, data: Buffer): Buffer {
  const alg = signatureAlgorithmFor(type);
  const w = new SshWriter(type === 'ssh-rsa' ? 560 : 100);
  w.string(alg);
  if (type === 'ssh-ed25519') {
    w.string(cryptoSign(null, data, privateKey));
  } else if (type === 'ssh-rsa') {
    w.string(cryptoSign('sha512', data, privateKey));
  } else {
    const { size, hash } = ECDSA_CURVES[type];
    const rs = cryptoSign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    w.nested((inner) => inner.mpint(rs.subarray(0, size)).mpint(rs.subarray(size)));
  }
  return w.finish();
}

export interface ParsedSignature {
  readonly algorithm: string;
  readonly signature: Buffer;
}

/** Splits a signature blob into algorithm and raw signature, rejecting trailing bytes. */
export function parseSignatureBlob(blob: Buffer): ParsedSignature {
  const r = new SshReader(blob, 'signature');
  const algorithm = r.text('signature algorithm', 64);
  const signature = r.string('signature bytes', 2100);
  r.end();
  return { algorithm, signature };
}

/**
 * Verifies an SSH signature blob over `data` with `key`. Returns false for a wrong
 * signature; throws CA_SIGNATURE_INVALID for an algorithm that does not fit the key
 * or is refused (ssh-rsa with SHA-1), CA_MALFORMED for a malformed blob.
 */
export function verifySignature(key: PublicKey, data: Buffer, sigBlob: Buffer): boolean {
  const { algorithm, signature } = parseSignatureBlob(sigBlob);
  const ko = publicKeyToKeyObject(key);
  if (key.type === 'ssh-ed25519') {
    if (algorithm !== 'ssh-ed25519') throw wrongAlgorithm(algorithm, key.type, ['ssh-ed25519']);
    if (signature.length !== 64)
      throw malformed('signature', `ed25519 signature is ${signature.length} bytes, accepted: 64`);
    return cryptoVerify(null, data, ko, signature);
  }
  if (key.type === 'ssh-rsa') {
    if (algorithm !== 'rsa-sha2-256' && algorithm !== 'rsa-sha2-512')
      throw wrongAlgorithm(algorithm, key.type, ['rsa-sha2-256', 'rsa-sha2-512']);
    const modBytes = Math.ceil(key.bits / 8);
    if (signature.length > modBytes)
      throw malformed(
        'signature',
        `rsa signature is longer than the modulus (${signature.length} > ${modBytes} bytes)`,
      );
    return cryptoVerify(RSA_HASH[algorithm], data, ko, leftPad(signature, modBytes));
  }
  if (isEcdsaType(key.type)) {
    if (algorithm !== key.type) throw wrongAlgorithm(algorithm, key.type, [key.type]);
    const { size, hash } = ECDSA_CURVES[key.type];
    const r = new SshReader(signature, 'ecdsa signature');
    const rr = r.mpint('r', size + 1);
    const ss = r.mpint('s', size + 1);
    r.end();
    if (rr.length > size || ss.length > size || rr.length === 0 || ss.length === 0) return false;
    const p1363 = Buffer.concat([leftPad(rr, size), leftPad(ss, size)]);
    return cryptoVerify(hash, data, { key: ko, dsaEncoding: 'ieee-p1363' }, p1363);
  }
  return false;
}

function wrongAlgorithm(algorithm: string, keyType: string, accepted: string[]) {
  const why =
    algorithm === 'ssh-rsa'
      ? 'ssh-rsa (SHA-1) signatures are refused'
      : `signature algorithm ${JSON.stringify(algorithm.slice(0, 64))} does not fit a ${keyType} key`;
  return caError('CA_SIGNATURE_INVALID', `${why} (accepted: ${accepted.join(', ')})`, {
    algorithm: algorithm.slice(0, 64),
  });
}
