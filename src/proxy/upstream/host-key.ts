import { createHash } from 'node:crypto';
import {
  parseAuthorizedKey,
  parseCertificate,
  parseCertificateLine,
  verifyCertificate,
  type Certificate,
  type PublicKey,
} from '../../ca';
import type { Clock } from '../../core';
import { BreakglassError } from '../../errors';
import { WireCursor } from './ssh-wire';

/** The answer for one presented host key. */
export type HostKeyVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Decides whether the host key a target presents during key exchange is the right one.
 * Gets the raw SSH host key blob. Must never trust on first use.
 */
export type HostKeyVerifier = (hostKey: Buffer) => HostKeyVerdict;

const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** OpenSSH's fingerprint of a key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of a host key blob (for messages), or `unknown`. */
function blobType(blob: Buffer): string {
  const type = new WireCursor(blob).next();
  return type && type.length <= 64 ? type.toString('latin1') : 'unknown';
}

/**
 * Accepts exactly the host keys whose SHA-256 fingerprints are listed (from the host
 * inventory, as printed by `ssh-keygen -lf`). An empty list accepts nothing.
 */
export function createPinnedHostKeyVerifier(fingerprints: readonly string[]): HostKeyVerifier {
  for (const fp of fingerprints) {
    if (!FINGERPRINT_RE.test(fp)) {
      throw new BreakglassError(
        'PROXY_INVALID_HOST_KEY_PIN',
        `host key pin ${JSON.stringify(fp.slice(0, 80))} is not "SHA256:" followed by 43 base64 characters`,
        {
          details: { pin: fp.slice(0, 80) },
        },
      );
    }
  }
  const pins = new Set(fingerprints);
  return (hostKey) => {
    const fp = sha256Fingerprint(hostKey);
    if (pins.has(fp)) return { ok: true };
    return { ok: false, reason: `host key ${blobType(hostKey)} ${fp} is not pinned for this host` };
  };
}

export interface HostCertificateVerifierOptions {
  /**
   * Host certificates the inventory holds for this host (OpenSSH lines or blobs), as issued
   * by the host CA. ssh2 does not negotiate certificate host keys, so the host presents
   * its plain key and it must be the key one of these certificates certifies.
   */
  certificates: readonly (string | Buffer)[];
  /** Host CA public keys (`TYPE BASE64 [comment]` lines) trusted to certify host keys. */
  trustedCas: readonly string[];
  /** The name the certificate must list as a principal (the host's inventory name). */
  hostname: string;
  clock: Clock;
  /** Revocation check (e.g. the published KRL). */
  isRevoked?: (certificate: Certificate) => boolean;
}

function invalidCertificate(message: string, cause: unknown): BreakglassError {
  return new BreakglassError('PROXY_INVALID_HOST_CERTIFICATE', message, { cause });
}

/**
 * Accepts a presented host key when a host certificate for it verifies now: signed by a
 * trusted host CA (signature checked by `src/ca`), of type host, within its validity,
 * listing `hostname`, not revoked. Inputs are parsed at creation (bad ones throw
 * PROXY_INVALID_HOST_CERTIFICATE); the checks run on every connection.
 */
export function createHostCertificateVerifier(opts: HostCertificateVerifierOptions): HostKeyVerifier {
  let cas: PublicKey[];
  let certs: Certificate[];
  try {
    cas = opts.trustedCas.map((line) => parseAuthorizedKey(line, 'host CA key').key);
    certs = opts.certificates.map((c) =>
      typeof c === 'string' ? parseCertificateLine(c).certificate : parseCertificate(c),
    );
  } catch (err) {
    throw invalidCertificate(
      `host CA key or host certificate for ${opts.hostname} is unreadable: ${(err as Error).message}`,
      err,
    );
  }
  return (hostKey) => {
    const fp = sha256Fingerprint(hostKey);
    const candidates = certs.filter((c) => c.key.blob.equals(hostKey));
    if (candidates.length === 0)
      return {
        ok: false,
        reason: `host key ${blobType(hostKey)} ${fp} is not certified by any host certificate known for ${opts.hostname}`,
      };
    const reasons: string[] = [];
    for (const certificate of candidates) {
      try {
        verifyCertificate(certificate, {
          now: opts.clock.now(),
          certType: 'host',
          trustedCas: cas,
          principal: opts.hostname,
          isRevoked: opts.isRevoked,
        });
        return { ok: true };
      } catch (err) {
        reasons.push((err as Error).message);
      }
    }
    return {
      ok: false,
      reason: `host key ${blobType(hostKey)} ${fp} has no valid host certificate for ${opts.hostname}: ${reasons.join('; ')}`,
    };
  };
}

/** Accepts a host key when any of the verifiers does (e.g. a pin or the host CA); reports every reason otherwise. */
export function anyHostKeyVerifier(...verifiers: HostKeyVerifier[]): HostKeyVerifier {
  return (hostKey) => {
    const reasons: string[] = [];
    for (const verify of verifiers) {
      const verdict = verify(hostKey);
      if (verdict.ok) return verdict;
      reasons.push(verdict.reason);
    }
    return { ok: false, reason: reasons.length > 0 ? reasons.join('; ') : 'no host key verifier configured' };
  };
}
