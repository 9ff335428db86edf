import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, importJWK, type JWK } from 'jose';
import { BreakglassError } from '../errors';
import type { Store } from '../store';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** Store namespace holding every replica's public token key (JWK by kid). */
export const TOKEN_KEYS_NS = 'identity-token-keys';

/**
 * Reads the Ed25519 token signing key from `file` (relative to `certsDir`), creating
 * it (PKCS#8 PEM, mode 0600) when missing. Refuses a key readable by group or others,
 * or one that is not Ed25519.
 */
export async function loadOrCreateSigningKey(certsDir: string, file: string): Promise<SigningKey> {
  const path = isAbsolute(file) ? file : join(certsDir, file);
  let pem: string | null = null;
  try {
    const st = statSync(path);
    if ((st.mode & 0o077) !== 0) {
      throw new BreakglassError(
        'IDENTITY_KEY_INVALID',
        `${path} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${path}`,
      );
    }
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof BreakglassError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new BreakglassError(
        'IDENTITY_KEY_INVALID',
        `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        { cause: err },
      );
    }
  }
  if (pem === null) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    const text = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    try {
      writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
      pem = text;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new BreakglassError(
          'IDENTITY_KEY_INVALID',
          `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
          { cause: err },
        );
      }
      pem = readFileSync(path, 'utf8'); // another process created it first
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (cause) {
    throw new BreakglassError('IDENTITY_KEY_INVALID', `${path} is not a PEM private key`, { cause });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new BreakglassError(
      'IDENTITY_KEY_INVALID',
      `${path} holds a ${privateKey.asymmetricKeyType ?? 'unknown'} key (accepted: Ed25519)`,
    );
  }
  const publicKey = createPublicKey(privateKey);
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
  return { kid, privateKey, publicKey };
}

export interface KeyRing {
  readonly signing: SigningKey;
  /** Makes this replica's public key known to the others (idempotent). */
  publish(): Promise<void>;
  /** The public key for `kid`: ours, or another replica's from the store; null when unknown. */
  lookup(kid: string): Promise<KeyObject | null>;
}

const KID_RE = /^[A-Za-z0-9_-]{16,128}$/;

export function createKeyRing(deps: { store: Store; signing: SigningKey }): KeyRing {
  const cache = new Map<string, KeyObject>([[deps.signing.kid, deps.signing.publicKey]]);
  return {
    signing: deps.signing,
    async publish() {
      const jwk = {
        ...(await exportJWK(deps.signing.publicKey)),
        kid: deps.signing.kid,
        alg: 'EdDSA',
        use: 'sig',
      };
      const current = await deps.store.get(TOKEN_KEYS_NS, deps.signing.kid);
      if (!current) await deps.store.put(TOKEN_KEYS_NS, deps.signing.kid, JSON.stringify(jwk));
    },
    async lookup(kid) {
      const hit = cache.get(kid);
      if (hit) return hit;
      if (!KID_RE.test(kid)) return null;
      const rec = await deps.store.get(TOKEN_KEYS_NS, kid);
      if (!rec) return null;
      let jwk: JWK;
      try {
        jwk = JSON.parse(rec.value) as JWK;
      } catch {
        return null;
      }
      if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || jwk.d !== undefined) return null;
      // The stored key must be the one its kid names (a planted key under another kid is ignored).
      if ((await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'sha256')) !== kid)
        return null;
      const key = (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'EdDSA')) as KeyObject;
      cache.set(kid, key);
      return key;
    },
  };
}
