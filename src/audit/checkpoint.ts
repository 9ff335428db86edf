import { verify as cryptoVerify } from 'node:crypto';
import { CompactSign } from 'jose';
import { BreakglassError } from '../errors';
import { canonicalize } from './canonical';
import { HASH_RE, TIME_RE } from './entry';
import type { AuditKeyPair, AuditPublicJwk, PublicKeys } from './keys';

/** `typ` header of every checkpoint JWS. */
export const CHECKPOINT_TYP = 'breakglass-audit-checkpoint';
const LOG_ID_RE = /^[A-Za-z0-9._:@-]{1,64}$/;

/** What a checkpoint commits to: entry `seq` of log `log_id` has hash `hash`, signed at `time`. */
export interface CheckpointPayload {
  readonly seq: number;
  readonly hash: string;
  readonly time: string;
  readonly log_id: string;
}

/** A signed checkpoint as exported on its own (`exportCheckpoint()`, `audit checkpoint`). */
export interface Checkpoint extends CheckpointPayload {
  /** Compact JWS (EdDSA) whose payload is the canonical JSON of the four fields above. */
  readonly jws: string;
  readonly kid: string;
}

/** Signs checkpoints; a file key today, a KMS/HSM later. */
export interface AuditSigner {
  readonly kid: string;
  readonly publicJwk: AuditPublicJwk;
  sign(payload: CheckpointPayload): Promise<string>;
}

export function createKeySigner(pair: AuditKeyPair): AuditSigner {
  return {
    kid: pair.kid,
    publicJwk: pair.publicJwk,
    sign: (payload) =>
      new CompactSign(Buffer.from(canonicalize(payload), 'utf8'))
        .setProtectedHeader({ alg: 'EdDSA', kid: pair.kid, typ: CHECKPOINT_TYP })
        .sign(pair.privateKey),
  };
}

export interface DecodedCheckpoint {
  readonly payload: CheckpointPayload;
  readonly kid: string;
  readonly signingInput: string;
  readonly signature: Buffer;
  readonly jws: string;
}

const HEADER_KEYS = new Set(['alg', 'kid', 'typ']);
const B64URL_RE = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes a compact JWS checkpoint without checking its signature; returns what is
 * wrong as a string when it is not a well-formed checkpoint. Only `alg: EdDSA`, the
 * checkpoint `typ` and a `kid` are accepted in the header (no `crit`, no unencoded
 * payloads, no embedded keys).
 */
export function decodeCheckpoint(jws: string): DecodedCheckpoint | string {
  if (typeof jws !== 'string') return 'not a string';
  const parts = jws.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL_RE.test(p)))
    return 'not a compact JWS (three base64url parts)';
  const [h, p, s] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'header or payload is not JSON';
  }
  if (typeof header !== 'object' || header === null || Object.keys(header).some((k) => !HEADER_KEYS.has(k))) {
    return 'unexpected JWS header members (accepted: alg, kid, typ)';
  }
  if (header.alg !== 'EdDSA') return `JWS alg ${JSON.stringify(header.alg)} (accepted: EdDSA)`;
  if (header.typ !== CHECKPOINT_TYP)
    return `JWS typ ${JSON.stringify(header.typ)} (accepted: ${CHECKPOINT_TYP})`;
  if (typeof header.kid !== 'string' || header.kid === '') return 'JWS header has no kid';
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return 'payload is not an object';
  const keys = Object.keys(payload).sort().join(',');
  if (keys !== 'hash,log_id,seq,time') return 'payload members are not exactly seq, hash, time, log_id';
  if (!Number.isSafeInteger(payload.seq) || (payload.seq as number) < 1)
    return 'payload seq is not a positive integer';
  if (typeof payload.hash !== 'string' || !HASH_RE.test(payload.hash))
    return 'payload hash is not 64 lowercase hex digits';
  if (typeof payload.time !== 'string' || !TIME_RE.test(payload.time))
    return 'payload time is not ISO 8601 UTC';
  if (typeof payload.log_id !== 'string' || !LOG_ID_RE.test(payload.log_id))
    return 'payload log_id is malformed';
  const signature = Buffer.from(s, 'base64url');
  if (signature.length !== 64) return 'signature is not 64 bytes (Ed25519)';
  return {
    payload: { seq: payload.seq as number, hash: payload.hash, time: payload.time, log_id: payload.log_id },
    kid: header.kid,
    signingInput: `${h}.${p}`,
    signature,
    jws,
  };
}

/**
 * Checks a decoded checkpoint's Ed25519 signature with the key its `kid` names;
 * returns null when valid, otherwise what is wrong. Synchronous and I/O-free.
 */
export function checkpointSignatureProblem(cp: DecodedCheckpoint, keys: PublicKeys): string | null {
  const key = keys.get(cp.kid);
  if (!key) return `signed by key ${cp.kid}, which is not among the given public keys`;
  const ok = cryptoVerify(null, Buffer.from(cp.signingInput, 'ascii'), key, cp.signature);
  return ok ? null : `signature does not verify with key ${cp.kid}`;
}

/**
 * Reads a checkpoint file given to `audit verify --checkpoint`: either the compact
 * JWS alone or the JSON written by `exportCheckpoint()` / `audit checkpoint`.
 */
export function parseCheckpointText(text: string): DecodedCheckpoint {
  const trimmed = text.trim();
  let jws = trimmed;
  if (trimmed.startsWith('{')) {
    try {
      jws = (JSON.parse(trimmed) as { jws?: unknown }).jws as string;
    } catch {
      throw new BreakglassError(
        'AUDIT_CHECKPOINT_INVALID',
        'the checkpoint file is neither a compact JWS nor checkpoint JSON',
      );
    }
  }
  const decoded = decodeCheckpoint(jws);
  if (typeof decoded === 'string') {
    throw new BreakglassError('AUDIT_CHECKPOINT_INVALID', `the checkpoint file: ${decoded}`);
  }
  return decoded;
}

/** The exportable form of a decoded checkpoint. */
export function checkpointOf(cp: DecodedCheckpoint): Checkpoint {
  return { ...cp.payload, kid: cp.kid, jws: cp.jws };
}
