import { createPublicKey, type KeyObject } from 'node:crypto';
import { caError, malformed } from '../errors';
import { SshReader, SshWriter } from '../wire';

export type EcdsaKeyType = 'ecdsa-sha2-nistp256' | 'ecdsa-sha2-nistp384' | 'ecdsa-sha2-nistp521';
export type KeyType = 'ssh-ed25519' | EcdsaKeyType | 'ssh-rsa';

export const KEY_TYPES: readonly KeyType[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
];

/** Curve facts per ECDSA key type: SSH curve name, JWK curve, coordinate size, hash. */
export const ECDSA_CURVES = {
  'ecdsa-sha2-nistp256': { curve: 'nistp256', jwk: 'P-256', size: 32, hash: 'sha256' },
  'ecdsa-sha2-nistp384': { curve: 'nistp384', jwk: 'P-384', size: 48, hash: 'sha384' },
  'ecdsa-sha2-nistp521': { curve: 'nistp521', jwk: 'P-521', size: 66, hash: 'sha512' },
} as const;

export interface Ed25519PublicKey {
  readonly type: 'ssh-ed25519';
  /** The 32-byte public key. */
  readonly pk: Buffer;
  /** The canonical SSH wire encoding (`string type ‖ key fields`). */
  readonly blob: Buffer;
}

export interface EcdsaPublicKey {
  readonly type: EcdsaKeyType;
  /** Uncompressed point `04 ‖ X ‖ Y`. */
  readonly q: Buffer;
  readonly blob: Buffer;
}

export interface RsaPublicKey {
  readonly type: 'ssh-rsa';
  /** Unsigned big-endian magnitudes without leading zeros. */
  readonly e: Buffer;
  readonly n: Buffer;
  /** Modulus size in bits. */
  readonly bits: number;
  readonly blob: Buffer;
}

export type PublicKey = Ed25519PublicKey | EcdsaPublicKey | RsaPublicKey;

/** A key's fields without its blob (what the blob is built from). */
export type PublicKeyFields =
  Omit<Ed25519PublicKey, 'blob'> | Omit<EcdsaPublicKey, 'blob'> | Omit<RsaPublicKey, 'blob'>;

const RSA_MIN_WIRE_BITS = 1024;
const RSA_MAX_BITS = 16_384;

/** Types we recognise only to refuse them with a precise reason. */
const REFUSED_TYPES: Record<string, string> = {
  'ssh-dss': 'DSA keys (ssh-dss) are refused: DSA is limited to 1024 bits and deprecated by OpenSSH',
  'sk-ssh-ed25519@openssh.com': 'FIDO security-key keys (sk-ssh-ed25519) are not supported yet',
  'sk-ecdsa-sha2-nistp256@openssh.com':
    'FIDO security-key keys (sk-ecdsa-sha2-nistp256) are not supported yet',
};

export function isKeyType(t: string): t is KeyType {
  return (KEY_TYPES as readonly string[]).includes(t);
}

export function isEcdsaType(t: string): t is EcdsaKeyType {
  return t in ECDSA_CURVES;
}

/** Throws CA_KEY_REFUSED for a type name we do not accept, with the reason and the accepted list. */
export function refuseKeyType(type: string): never {
  const reason = REFUSED_TYPES[type] ?? `key type ${JSON.stringify(type.slice(0, 64))} is not supported`;
  throw caError('CA_KEY_REFUSED', `${reason} (accepted: ${KEY_TYPES.join(', ')})`, {
    keyType: type.slice(0, 64),
  });
}

function bitLength(magnitude: Buffer): number {
  if (magnitude.length === 0) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]!));
}

/**
 * Reads the key fields that follow the type name (in a key blob they follow
 * `string type`; in a certificate they follow the nonce). Validates sizes.
 */
export function readKeyFields(r: SshReader, type: KeyType): PublicKeyFields {
  switch (type) {
    case 'ssh-ed25519': {
      const pk = r.string('ed25519 public key');
      if (pk.length !== 32) throw malformed(r.what, `ed25519 public key is ${pk.length} bytes, accepted: 32`);
      return { type, pk };
    }
    case 'ssh-rsa': {
      const e = r.mpint('rsa exponent', 2048);
      const n = r.mpint('rsa modulus', RSA_MAX_BITS / 8);
      const bits = bitLength(n);
      if (bits < RSA_MIN_WIRE_BITS)
        throw caError(
          'CA_KEY_REFUSED',
          `RSA modulus of ${bits} bits is too small (accepted: at least ${RSA_MIN_WIRE_BITS} on the wire, policy may require more)`,
        );
      const eBits = bitLength(e);
      if (eBits < 2 || !(e[e.length - 1]! & 1))
        throw malformed(r.what, 'rsa exponent must be odd and greater than 1');
      return { type, e, n, bits };
    }
    default: {
      const spec = ECDSA_CURVES[type];
      const curve = r.text('ecdsa curve name', 32);
      if (curve !== spec.curve)
        throw malformed(
          r.what,
          `ecdsa curve ${JSON.stringify(curve)} does not match key type ${type} (accepted: ${spec.curve})`,
        );
      const q = r.string('ecdsa public point', 1 + 2 * spec.size);
      if (q.length !== 1 + 2 * spec.size || q[0] !== 0x04)
        throw malformed(
          r.what,
          `ecdsa public point must be uncompressed (${1 + 2 * spec.size} bytes starting with 04)`,
        );
      return { type, q };
    }
  }
}

/** Writes the key fields that follow the type name. */
export function writeKeyFields(w: SshWriter, key: PublicKeyFields): void {
  switch (key.type) {
    case 'ssh-ed25519':
      w.string(key.pk);
      return;
    case 'ssh-rsa':
      w.mpint(key.e).mpint(key.n);
      return;
    default:
      w.string(ECDSA_CURVES[key.type].curve).string(key.q);
  }
}

/** Builds a public key (with its canonical blob) from its fields. */
export function makePublicKey(fields: PublicKeyFields): PublicKey {
  const w = new SshWriter(fields.type === 'ssh-rsa' ? 1100 : 160);
  w.string(fields.type);
  writeKeyFields(w, fields);
  return { ...fields, blob: w.toBuffer() } as PublicKey;
}

/**
 * Parses a public key blob (`string type ‖ fields`), refusing certificates, unknown
 * types and trailing bytes. The result owns a copy of the bytes unless `copy` is
 * false (for callers that already hold a private copy).
 */
export function parsePublicKeyBlob(blob: Buffer, what = 'public key', copy = true): PublicKey {
  const own = copy ? Buffer.from(blob) : blob;
  const r = new SshReader(own, what);
  const type = r.text('key type', 64);
  if (type.endsWith('-cert-v01@openssh.com')) {
    throw caError('CA_MALFORMED', `${what}: is a certificate (${type}), accepted: a plain public key`);
  }
  if (!isKeyType(type)) refuseKeyType(type);
  const fields = readKeyFields(r, type);
  r.end();
  return { ...fields, blob: own } as PublicKey;
}

function b64url(b: Buffer): string {
  return b.toString('base64url');
}

function fromB64url(s: unknown, what: string): Buffer {
  if (typeof s !== 'string') throw new TypeError(`JWK is missing ${what}`);
  return Buffer.from(s, 'base64url');
}

/** The key as a JSON Web Key (public part). */
export function publicKeyToJwk(key: PublicKey): Record<string, string> {
  switch (key.type) {
    case 'ssh-ed25519':
      return { kty: 'OKP', crv: 'Ed25519', x: b64url(key.pk) };
    case 'ssh-rsa':
      return { kty: 'RSA', n: b64url(key.n), e: b64url(key.e) };
    default: {
      const { size, jwk } = ECDSA_CURVES[key.type];
      return {
        kty: 'EC',
        crv: jwk,
        x: b64url(key.q.subarray(1, 1 + size)),
        y: b64url(key.q.subarray(1 + size)),
      };
    }
  }
}

const keyObjects = new WeakMap<Buffer, KeyObject>();

/**
 * Node KeyObject for the key (cached per key blob). For ECDSA this also checks that
 * the point is on the curve; a bad point throws CA_MALFORMED.
 */
export function publicKeyToKeyObject(key: PublicKey): KeyObject {
  const cached = keyObjects.get(key.blob);
  if (cached) return cached;
  let ko: KeyObject;
  try {
    ko = createPublicKey({ key: publicKeyToJwk(key), format: 'jwk' });
  } catch {
    throw caError(
      'CA_MALFORMED',
      `public key: not a valid ${key.type} key (point not on the curve or bad parameters)`,
    );
  }
  keyObjects.set(key.blob, ko);
  return ko;
}

function trimZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

/** The SSH public key of a Node KeyObject (public or private). */
export function publicKeyFromKeyObject(ko: KeyObject): PublicKey {
  const pub = ko.type === 'private' ? createPublicKey(ko) : ko;
  const jwk = pub.export({ format: 'jwk' });
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519')
    return makePublicKey({ type: 'ssh-ed25519', pk: fromB64url(jwk.x, 'x') });
  if (jwk.kty === 'RSA') {
    const n = trimZeros(fromB64url(jwk.n, 'n'));
    return makePublicKey({ type: 'ssh-rsa', e: trimZeros(fromB64url(jwk.e, 'e')), n, bits: bitLength(n) });
  }
  if (jwk.kty === 'EC') {
    const entry = Object.entries(ECDSA_CURVES).find(([, c]) => c.jwk === jwk.crv);
    if (entry) {
      const [type, spec] = entry as [EcdsaKeyType, (typeof ECDSA_CURVES)[EcdsaKeyType]];
      const x = fromB64url(jwk.x, 'x');
      const y = fromB64url(jwk.y, 'y');
      if (x.length === spec.size && y.length === spec.size) {
        return makePublicKey({ type, q: Buffer.concat([Buffer.from([4]), x, y]) });
      }
    }
  }
  return refuseKeyType(`${String(jwk.kty)}${jwk.crv ? `/${String(jwk.crv)}` : ''}`);
}

/** Whether two keys are the same (same canonical blob). */
export function sameKey(a: PublicKey, b: PublicKey): boolean {
  return a.blob.equals(b.blob);
}
