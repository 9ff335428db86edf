import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { BreakglassError } from '../errors';
import { canonicalize } from './canonical';

/** An Ed25519 public key as published in `audit_key.pub` (RFC 8037 OKP JWK). */
export interface AuditPublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface AuditKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: AuditPublicJwk;
  readonly kid: string;
}

/** Public keys a verifier trusts, by key id (RFC 7638 thumbprint). */
export type PublicKeys = ReadonlyMap<string, KeyObject>;

/** RFC 7638 thumbprint of an Ed25519 key: base64url(SHA-256 of `{"crv","kty","x"}`). */
export function ed25519Thumbprint(x: string): string {
  return createHash('sha256')
    .update(canonicalize({ crv: 'Ed25519', kty: 'OKP', x }))
    .digest('base64url');
}

export function publicJwkOf(publicKey: KeyObject): AuditPublicJwk {
  const jwk = publicKey.export({ format: 'jwk' }) as JsonWebKey;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string')
    throw new TypeError('not an Ed25519 public key');
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: ed25519Thumbprint(jwk.x), alg: 'EdDSA', use: 'sig' };
}

function keyPairFrom(privateKey: KeyObject): AuditKeyPair {
  const publicKey = createPublicKey(privateKey);
  const publicJwk = publicJwkOf(publicKey);
  return { privateKey, publicKey, publicJwk, kid: publicJwk.kid };
}

/**
 * The audit signing key `certsDir/keyFile` (PKCS#8 PEM): read when it exists (it must
 * be mode 0600 or stricter and hold an Ed25519 key), otherwise generated and written
 * with mode 0600 (exclusive create, so two processes starting at once agree on one
 * key). `keyFile.pub` beside it always holds the public key as a JWK (mode 0644).
 */
export function loadOrCreateAuditKey(opts: { certsDir: string; keyFile: string }): AuditKeyPair {
  const path = join(opts.certsDir, opts.keyFile);
  mkdirSync(opts.certsDir, { recursive: true, mode: 0o700 });
  const pair = existsSync(path) ? readAuditKey(path) : createAuditKey(path);
  writePublicJwk(`${path}.pub`, pair.publicJwk);
  return pair;
}

/**
 * Writes a fresh key to a temporary file (mode 0600, fsynced) and links it into place:
 * the key file appears complete or not at all, and when another process won the race
 * its key is used instead.
 */
function createAuditKey(path: string): AuditKeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readAuditKey(path);
      throw err;
    }
  } catch (err) {
    if (err instanceof BreakglassError) throw err;
    throw keyError(path, `cannot create (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  } finally {
    rmSync(tmp, { force: true });
  }
  return keyPairFrom(privateKey);
}

/** Reads an existing audit key file; AUDIT_KEY when unreadable, insecure or not Ed25519. */
export function readAuditKey(path: string): AuditKeyPair {
  let text: string;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw keyError(path, `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if ((mode & 0o077) !== 0)
      throw keyError(
        path,
        `mode ${mode.toString(8).padStart(4, '0')} lets others read it (accepted: 0600 or stricter)`,
      );
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(text);
  } catch (err) {
    throw keyError(path, 'not a PEM private key', err);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw keyError(path, `holds a ${privateKey.asymmetricKeyType ?? 'unknown'} key (accepted: Ed25519)`);
  return keyPairFrom(privateKey);
}

function writePublicJwk(path: string, jwk: AuditPublicJwk): void {
  const text = `${JSON.stringify(jwk, null, 2)}\n`;
  try {
    if (readFileSync(path, 'utf8') === text) return;
  } catch {
    // absent or unreadable: (re)write it
  }
  writeFileSync(path, text, { mode: 0o644 });
}

function keyError(path: string, problem: string, cause?: unknown): BreakglassError {
  return new BreakglassError('AUDIT_KEY', `audit key ${path}: ${problem}`, { details: { path }, cause });
}

/**
 * Parses the public key(s) a verifier is given: a JWK, a JWK set (`{"keys":[…]}`), or
 * a PEM `PUBLIC KEY` (SPKI). Only Ed25519 keys are accepted; each is known by its
 * RFC 7638 thumbprint (the `kid` checkpoints carry).
 */
export function parsePublicKeys(text: string): PublicKeys {
  const keys = new Map<string, KeyObject>();
  const trimmed = text.trim();
  const add = (key: KeyObject): void => {
    if (key.asymmetricKeyType !== 'ed25519')
      throw pubkeyError(`a ${key.asymmetricKeyType ?? 'unknown'} key (accepted: Ed25519)`);
    keys.set(publicJwkOf(key).kid, key);
  };
  if (trimmed.startsWith('-----BEGIN')) {
    if (/PRIVATE KEY/.test(trimmed)) throw pubkeyError('a private key (give the public key: audit_key.pub)');
    try {
      add(createPublicKey(trimmed));
    } catch (err) {
      if (err instanceof BreakglassError) throw err;
      throw pubkeyError('an unreadable PEM public key');
    }
    return keys;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw pubkeyError('neither JSON nor PEM');
  }
  const list =
    typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { keys?: unknown }).keys)
      ? (parsed as { keys: unknown[] }).keys
      : [parsed];
  for (const jwk of list) {
    const j = jwk as Record<string, unknown>;
    if (
      typeof j !== 'object' ||
      j === null ||
      j.kty !== 'OKP' ||
      j.crv !== 'Ed25519' ||
      typeof j.x !== 'string'
    ) {
      throw pubkeyError(
        'a JWK that is not an Ed25519 public key (accepted: {"kty":"OKP","crv":"Ed25519","x":…})',
      );
    }
    if (j.d !== undefined) throw pubkeyError('a private JWK (give the public key: audit_key.pub)');
    try {
      add(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: j.x }, format: 'jwk' }));
    } catch (err) {
      if (err instanceof BreakglassError) throw err;
      throw pubkeyError('a malformed Ed25519 JWK');
    }
  }
  if (keys.size === 0) throw pubkeyError('an empty key set');
  return keys;
}

function pubkeyError(problem: string): BreakglassError {
  return new BreakglassError('AUDIT_PUBKEY_INVALID', `the public key file holds ${problem}`);
}
