import type { Clock, Random } from '../core';
import {
  DEFAULT_LIMITS,
  NONCE_BYTES,
  checkExtensionLimits,
  encodeCriticalOptions,
  encodeExtensions,
  formatCertificateLine,
  normalizeSourceAddress,
  signCertificate,
  validateCertificateFields,
  validateKeyId,
  validateRequestFields,
  type RequestFields,
  validateForceCommand,
  validateSerial,
  type Certificate,
  type CertificateFields,
  type CertificateLimits,
  type CertType,
  type ExtensionRequest,
} from './cert';
import { caError } from './errors';
import {
  fingerprint,
  parseAuthorizedKey,
  signatureAlgorithmFor,
  verifySignature,
  type PublicKey,
} from './keys';
import type { CaRole } from './roles';
import type { Signer } from './signer';

export interface AuthorityDeps {
  /** Signers per role; a role without one cannot issue. */
  readonly signers: Partial<Record<CaRole, Signer>>;
  /** Allocates a unique, non-zero serial (the store's `increment('ca.serial')`). */
  readonly nextSerial: () => Promise<bigint | number>;
  readonly clock: Clock;
  readonly random: Random;
  readonly limits?: Partial<CertificateLimits>;
  /**
   * Also verify each new signature with the CA public key before returning it
   * (costs about three signatures' time with Ed25519; worth it for remote signers).
   */
  readonly verifyAfterSign?: boolean;
}

interface CommonRequest {
  /** The key to certify: a parsed key or its `TYPE BASE64 [COMMENT]` line. */
  readonly publicKey: PublicKey | string;
  readonly principals: readonly string[];
  /**
   * The key id, or a function making it from the serial the authority allocates for
   * this certificate (so sshd's log line names the serial, e.g. `serial=${serial}`).
   * The function runs once, after every other check passed and the serial was
   * allocated; what it returns is validated like any key id (CA_INVALID_KEY_ID, and
   * that serial is then left unused). Serials come only from the authority's allocator:
   * a caller can name a serial but never choose one.
   */
  readonly keyId: string | ((serial: bigint) => string);
  /** Lifetime from now in ms; give this or `notAfter`. */
  readonly ttlMs?: number;
  /** End of validity in ms since the epoch (e.g. the grant's end); give this or `ttlMs`. */
  readonly notAfter?: number;
  /**
   * Earliest start of validity in ms since the epoch (e.g. the grant's start):
   * `valid_after` is backdated by the clock skew but never before this. Must not be
   * in the future.
   */
  readonly notBefore?: number;
}

export interface UserCertificateRequest extends CommonRequest {
  /** `user` (the gateway accepts it) or `host-access` (hosts accept it; the gateway's per-session certificate). */
  readonly ca?: 'user' | 'host-access';
  readonly forceCommand?: string;
  /** CIDRs, as a list or comma-separated. */
  readonly sourceAddress?: string | readonly string[];
  readonly verifyRequired?: boolean;
  /**
   * Flag extension names (`permit-pty`, on `allowedExtensions`) and vendor extensions
   * with a value (`{ name: 'grant-id@breakglass', value }`, on `allowedVendorExtensions`).
   */
  readonly extensions?: readonly ExtensionRequest[];
}

export type HostCertificateRequest = CommonRequest;

export interface IssuedCertificate {
  readonly certificate: Certificate;
  /** One-line OpenSSH form (what goes in `*-cert.pub`), without newline. */
  readonly line: string;
  readonly serial: bigint;
  readonly role: CaRole;
  readonly caFingerprint: string;
}

export interface Authority {
  issueUserCertificate(request: UserCertificateRequest): Promise<IssuedCertificate>;
  issueHostCertificate(request: HostCertificateRequest): Promise<IssuedCertificate>;
  /** The CA public key of a role, or undefined when the role has no signer. */
  publicKey(role: CaRole): PublicKey | undefined;
  readonly limits: CertificateLimits;
}

/** Certificates per call to the random source for nonces. */
const NONCE_BLOCK = 64;

function resolveKey(key: PublicKey | string): PublicKey {
  return typeof key === 'string' ? parseAuthorizedKey(key, 'public key to certify').key : key;
}

function validityEnd(req: CommonRequest, nowMs: number): number {
  if ((req.ttlMs === undefined) === (req.notAfter === undefined)) {
    throw caError('CA_INVALID_VALIDITY', 'give exactly one of a TTL or an end time');
  }
  const end = req.ttlMs !== undefined ? nowMs + req.ttlMs : req.notAfter!;
  if (
    !Number.isSafeInteger(end) ||
    (req.ttlMs !== undefined && (!Number.isSafeInteger(req.ttlMs) || req.ttlMs <= 0))
  ) {
    throw caError('CA_INVALID_VALIDITY', 'the TTL must be a positive whole number of milliseconds');
  }
  return end;
}

function validityStart(req: CommonRequest, nowMs: number, skewMs: number): bigint {
  let start = nowMs - skewMs;
  if (req.notBefore !== undefined) {
    if (!Number.isSafeInteger(req.notBefore))
      throw caError('CA_INVALID_VALIDITY', 'the start of validity must be a whole number of milliseconds');
    if (req.notBefore > nowMs)
      throw caError('CA_INVALID_VALIDITY', 'the certificate would start in the future');
    start = Math.max(start, req.notBefore);
  }
  return BigInt(Math.max(0, Math.floor(start / 1000)));
}

function sameOptions(a: CertificateFields['extensions'], b: CertificateFields['extensions']): boolean {
  return a.length === b.length && a.every((o, i) => o.name === b[i]!.name && o.data.equals(b[i]!.data));
}

/**
 * The certificate authority: validates a request against the limits, allocates a
 * serial, signs, then parses what it produced and checks it field by field
 * (and against the limits again) before anything leaves. Policy decides *whether*;
 * this enforces *what*.
 */
export function createAuthority(deps: AuthorityDeps): Authority {
  const limits: CertificateLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  if (limits.clockSkewMs < 0 || limits.maxUserTtlMs <= 0 || limits.maxHostTtlMs <= 0)
    throw new TypeError('CA limits must be positive');
  checkExtensionLimits(limits);

  // Nonces are drawn from the injected random source in blocks: one call per
  // NONCE_BLOCK certificates instead of one per certificate (nonces are public, so
  // holding a few in memory costs nothing). The first draw is a single nonce, so a
  // short-lived authority (one certificate) asks for no more than it uses.
  let noncePool: Buffer = Buffer.alloc(0);
  let noncePos = 0;
  let nextBlock = 1;
  function nextNonce(): Buffer {
    if (noncePos + NONCE_BYTES > noncePool.length) {
      const size = NONCE_BYTES * nextBlock;
      noncePool = deps.random.bytes(size);
      noncePos = 0;
      nextBlock = NONCE_BLOCK;
      if (noncePool.length !== size) throw new TypeError('random source returned the wrong number of bytes');
    }
    noncePos += NONCE_BYTES;
    return noncePool.subarray(noncePos - NONCE_BYTES, noncePos);
  }

  const fingerprints = new WeakMap<Signer, string>();
  function caFingerprint(signer: Signer): string {
    let fp = fingerprints.get(signer);
    if (fp === undefined) {
      fp = fingerprint(signer.publicKey);
      fingerprints.set(signer, fp);
    }
    return fp;
  }

  async function issue(
    role: CaRole,
    certType: CertType,
    req: CommonRequest,
    build: (key: PublicKey) => Pick<CertificateFields, 'criticalOptions' | 'extensions'>,
  ): Promise<IssuedCertificate> {
    const signer = deps.signers[role];
    if (!signer) throw caError('CA_KEY_MISSING', `no ${role} CA is configured`);
    const now = deps.clock.now();
    const key = resolveKey(req.publicKey);
    const end = validityEnd(req, now);
    const { criticalOptions, extensions } = build(key);
    const namedBySerial = typeof req.keyId === 'function' ? req.keyId : null;
    const request: RequestFields = {
      certType,
      key,
      ...(namedBySerial ? {} : { keyId: req.keyId as string }),
      principals: [...req.principals],
      validAfter: validityStart(req, now, limits.clockSkewMs),
      validBefore: BigInt(Math.floor(end / 1000)),
      extensions,
    };
    // Everything is checked before a serial is spent (a key id made from the serial right
    // after); the whole certificate again after signing.
    validateRequestFields(request, now, limits);
    const serial = validateSerial(BigInt(await deps.nextSerial()));
    const keyId = namedBySerial ? namedBySerial(serial) : request.keyId!;
    validateKeyId(keyId);
    const fields: CertificateFields = { ...request, keyId, criticalOptions, serial, nonce: nextNonce() };
    let certificate: Certificate;
    try {
      certificate = await signCertificate(fields, signer);
    } catch (err) {
      throw caError('CA_SIGNER_FAILED', `the ${role} CA signer failed: ${(err as Error).message}`, { role });
    }
    recheck(certificate, fields, signer, role, now);
    return {
      certificate,
      line: formatCertificateLine(certificate),
      serial,
      role,
      caFingerprint: caFingerprint(signer),
    };
  }

  function recheck(
    cert: Certificate,
    fields: CertificateFields,
    signer: Signer,
    role: CaRole,
    now: number,
  ): void {
    const mismatch = (what: string) =>
      caError(
        'CA_SIGNER_FAILED',
        `the issued certificate does not match the request (${what}); nothing was issued`,
        { role, field: what },
      );
    if (!cert.key.blob.equals(fields.key.blob)) throw mismatch('key');
    if (cert.certType !== fields.certType) throw mismatch('type');
    if (cert.serial !== fields.serial) throw mismatch('serial');
    if (!cert.nonce.equals(fields.nonce)) throw mismatch('nonce');
    if (cert.keyId !== fields.keyId) throw mismatch('key id');
    if (
      cert.principals.length !== fields.principals.length ||
      cert.principals.some((p, i) => p !== fields.principals[i])
    )
      throw mismatch('principals');
    if (cert.validAfter !== fields.validAfter || cert.validBefore !== fields.validBefore)
      throw mismatch('validity');
    if (!sameOptions(cert.criticalOptions, fields.criticalOptions)) throw mismatch('critical options');
    if (!sameOptions(cert.extensions, fields.extensions)) throw mismatch('extensions');
    if (!cert.signatureKey.blob.equals(signer.publicKey.blob)) throw mismatch('CA key');
    if (cert.signatureAlgorithm !== signatureAlgorithmFor(signer.publicKey.type))
      throw mismatch('signature algorithm');
    validateCertificateFields(cert, now, limits);
    if (deps.verifyAfterSign && !verifySignature(cert.signatureKey, cert.signedData, cert.signature))
      throw mismatch('signature');
  }

  return {
    limits,
    publicKey: (role) => deps.signers[role]?.publicKey,
    issueUserCertificate: (req) =>
      issue(req.ca ?? 'user', 'user', req, () => {
        if (req.forceCommand !== undefined) validateForceCommand(req.forceCommand);
        return {
          criticalOptions: encodeCriticalOptions({
            ...(req.forceCommand !== undefined ? { forceCommand: req.forceCommand } : {}),
            ...(req.sourceAddress !== undefined
              ? { sourceAddress: normalizeSourceAddress(req.sourceAddress) }
              : {}),
            verifyRequired: req.verifyRequired === true,
          }),
          extensions: encodeExtensions(req.extensions ?? []),
        };
      }),
    issueHostCertificate: (req) =>
      issue('host', 'host', req, () => ({ criticalOptions: [], extensions: [] })),
  };
}
