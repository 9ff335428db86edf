import { caError } from '../errors';
import { fingerprint, sameKey, verifySignature, type PublicKey } from '../keys';
import { cidrListContains, parseCidrList } from './cidr';
import {
  FOREVER,
  KNOWN_CRITICAL_OPTIONS,
  type Certificate,
  type CertType,
  type CriticalOptions,
} from './model';
import { decodeCriticalOptions } from './options';

export interface VerifyOptions {
  /** The time to check the validity window at (ms since the epoch). */
  readonly now: number;
  /** The certificate must be of this type. */
  readonly certType: CertType;
  /** CA keys trusted for this use; the certificate's signing key must be one of them. */
  readonly trustedCas: readonly PublicKey[];
  /** When given, the certificate must list this principal (login or host name). */
  readonly principal?: string;
  /** When given, the address the client connects from; checked against `source-address`. */
  readonly sourceAddress?: string;
  /** Critical options the caller enforces (default: force-command, source-address, verify-required). */
  readonly supportedCriticalOptions?: readonly string[];
  /** Revocation check (e.g. a parsed KRL); true means revoked. */
  readonly isRevoked?: (certificate: Certificate) => boolean;
}

export interface VerifiedCertificate {
  readonly certificate: Certificate;
  readonly options: CriticalOptions;
  readonly extensions: readonly string[];
}

function rejected(reason: string, message: string, certificate: Certificate): Error {
  return caError('CA_CERT_REJECTED', message, {
    reason,
    keyId: certificate.keyId.slice(0, 256),
    serial: certificate.serial.toString(),
  });
}

/**
 * Verifies a parsed certificate for one use, in this order (cheap checks first, then
 * the signature, then everything that only matters for a genuine certificate):
 * trusted CA, CA signature, type, validity window (`valid_after <= now < valid_before`,
 * no skew allowance, like sshd), an explicit non-empty principal list containing the
 * principal, no unknown critical options, source address, revocation.
 * Throws CA_UNTRUSTED_CA, CA_SIGNATURE_INVALID or CA_CERT_REJECTED (details.reason).
 */
export function verifyCertificate(certificate: Certificate, options: VerifyOptions): VerifiedCertificate {
  if (!options.trustedCas.some((ca) => sameKey(ca, certificate.signatureKey))) {
    throw caError(
      'CA_UNTRUSTED_CA',
      `certificate is signed by CA ${fingerprint(certificate.signatureKey)}, which is not trusted here`,
      { ca: fingerprint(certificate.signatureKey) },
    );
  }
  if (!verifySignature(certificate.signatureKey, certificate.signedData, certificate.signature)) {
    throw caError('CA_SIGNATURE_INVALID', 'certificate signature does not verify with its CA key');
  }
  if (certificate.certType !== options.certType) {
    throw rejected(
      'type',
      `certificate is a ${certificate.certType} certificate, a ${options.certType} certificate is required`,
      certificate,
    );
  }
  const nowS = BigInt(Math.floor(options.now / 1000));
  if (nowS < certificate.validAfter)
    throw rejected(
      'not-yet-valid',
      `certificate is not yet valid (valid from ${formatTime(certificate.validAfter)})`,
      certificate,
    );
  if (nowS >= certificate.validBefore)
    throw rejected('expired', `certificate expired at ${formatTime(certificate.validBefore)}`, certificate);
  if (certificate.principals.length === 0)
    throw rejected(
      'no-principals',
      'certificate lists no principals (refused: that would mean any principal)',
      certificate,
    );
  if (options.principal !== undefined && !certificate.principals.includes(options.principal)) {
    throw rejected(
      'principal',
      `certificate does not list principal ${JSON.stringify(options.principal.slice(0, 64))}`,
      certificate,
    );
  }
  const supported = options.supportedCriticalOptions ?? KNOWN_CRITICAL_OPTIONS;
  const unknown = certificate.criticalOptions.find((o) => !supported.includes(o.name));
  if (unknown)
    throw rejected(
      'critical-option',
      `certificate has critical option ${JSON.stringify(unknown.name.slice(0, 64))}, which is not supported here`,
      certificate,
    );
  const decoded = decodeCriticalOptions(certificate.criticalOptions);
  if (decoded.sourceAddress !== undefined) {
    let allowed;
    try {
      allowed = parseCidrList(decoded.sourceAddress);
    } catch {
      throw rejected('source-address', 'certificate source-address cannot be parsed', certificate);
    }
    if (options.sourceAddress === undefined || !cidrListContains(allowed, options.sourceAddress)) {
      throw rejected(
        'source-address',
        `certificate is not valid from address ${options.sourceAddress ?? '(unknown)'}`,
        certificate,
      );
    }
  }
  if (options.isRevoked?.(certificate))
    throw rejected('revoked', `certificate serial ${certificate.serial} is revoked`, certificate);
  const typed: CriticalOptions = {
    ...(decoded.forceCommand !== undefined ? { forceCommand: decoded.forceCommand } : {}),
    ...(decoded.sourceAddress !== undefined ? { sourceAddress: decoded.sourceAddress } : {}),
    verifyRequired: decoded.verifyRequired ?? false,
  };
  return { certificate, options: typed, extensions: certificate.extensions.map((e) => e.name) };
}

/** `YYYY-MM-DDTHH:MM:SSZ` for a certificate time, `forever` for the maximum, `always` for 0. */
export function formatTime(seconds: bigint): string {
  if (seconds === FOREVER) return 'forever';
  if (seconds === 0n) return 'always';
  if (seconds > 253_402_300_799n) return `${seconds} (after year 9999)`;
  return new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z');
}
