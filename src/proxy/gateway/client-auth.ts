import {
  parseCertificate,
  verifyCertificate,
  verifySignature,
  type Certificate,
  type CriticalOptions,
  type PublicKey,
} from '../../ca';

/** A public-key login attempt as ssh2's server hands it over (`ctx` of 'authentication'). */
export interface PublicKeyAttempt {
  /** Algorithm named in the request, e.g. `ssh-ed25519-cert-v01@openssh.com`, `rsa-sha2-512-cert-v01@openssh.com`. */
  readonly keyAlgo: string;
  /** The key blob of the request: for a certificate, the whole certificate. */
  readonly keyData: Buffer;
  /** The SSH signature blob (`string algorithm ‖ string signature`), absent for a "would you accept" query. */
  readonly signature?: Buffer;
  /** What the signature covers (session id ‖ the request up to the signature). */
  readonly signedData?: Buffer;
}

export interface ClientAuthOptions {
  readonly now: number;
  /** User CA keys whose certificates the gateway accepts. */
  readonly trustedCas: readonly PublicKey[];
  /** The address the client connects from (checked against `source-address`). */
  readonly clientAddress: string;
  /** The gateway's KRL: true means revoked. */
  readonly isRevoked?: (certificate: Certificate) => boolean;
}

export type ClientAuthResult =
  | {
      readonly ok: true;
      readonly certificate: Certificate;
      readonly options: CriticalOptions;
      readonly extensions: readonly string[];
      /** Whether the request was signed (a query is answered without one). */
      readonly signed: boolean;
    }
  | { readonly ok: false; readonly reason: string; readonly code: ClientAuthRefusal };

export type ClientAuthRefusal =
  | 'not-a-certificate'
  | 'unreadable'
  | 'algorithm'
  | 'untrusted-ca'
  | 'ca-signature'
  | 'certificate'
  | 'signature';

const CERT_SUFFIX = '-cert-v01@openssh.com';

/** Whether the request's algorithm fits the certificate (RSA certificates may name rsa-sha2-256/512). */
function algorithmFits(requested: string, cert: Certificate): boolean {
  if (requested === cert.type) return true;
  return (
    cert.type === `ssh-rsa${CERT_SUFFIX}` &&
    (requested === `rsa-sha2-256${CERT_SUFFIX}` || requested === `rsa-sha2-512${CERT_SUFFIX}`)
  );
}

/** The signature algorithm a signed request must use for its requested algorithm. */
function expectedSignatureAlgorithm(requested: string): string {
  return requested.slice(0, -CERT_SUFFIX.length);
}

/** `string algorithm` at the start of an SSH signature blob, or undefined. */
function signatureAlgorithm(sig: Buffer): string | undefined {
  if (sig.length < 4) return undefined;
  const len = sig.readUInt32BE(0);
  if (len > 64 || 4 + len > sig.length) return undefined;
  return sig.toString('latin1', 4, 4 + len);
}

function refuse(code: ClientAuthRefusal, reason: string): ClientAuthResult {
  return { ok: false, code, reason };
}

/**
 * Decides a public-key login the way sshd decides a certificate login, since ssh2 knows
 * nothing of certificates: only OpenSSH user certificates; the certificate parsed with the
 * CA's strict codec; signed by a trusted user CA (signature checked); type user; inside
 * its validity (no skew, like sshd); a non-empty principal list; only known critical
 * options; `source-address` matching the client; not in the KRL; and, for the signed
 * request, the signature over the session blob verifying with the certified key under
 * the algorithm the request named. Which principal must be listed depends on the grant
 * and is checked by the caller. Pure; never throws.
 */
export function verifyClientCertificate(
  attempt: PublicKeyAttempt,
  opts: ClientAuthOptions,
): ClientAuthResult {
  if (!attempt.keyAlgo.endsWith(CERT_SUFFIX))
    return refuse(
      'not-a-certificate',
      `plain ${attempt.keyAlgo.slice(0, 64)} keys are refused: log in with your Breakglass certificate`,
    );
  let certificate: Certificate;
  try {
    certificate = parseCertificate(attempt.keyData);
  } catch (err) {
    return refuse('unreadable', `the certificate cannot be read: ${(err as Error).message}`);
  }
  if (!algorithmFits(attempt.keyAlgo, certificate))
    return refuse(
      'algorithm',
      `the request names ${attempt.keyAlgo.slice(0, 64)} but the certificate is ${certificate.type}`,
    );
  let verified;
  try {
    verified = verifyCertificate(certificate, {
      now: opts.now,
      certType: 'user',
      trustedCas: opts.trustedCas,
      sourceAddress: opts.clientAddress,
      isRevoked: opts.isRevoked,
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    return refuse(
      code === 'CA_UNTRUSTED_CA'
        ? 'untrusted-ca'
        : code === 'CA_SIGNATURE_INVALID'
          ? 'ca-signature'
          : 'certificate',
      (err as Error).message,
    );
  }
  if (attempt.signature === undefined)
    return {
      ok: true,
      certificate,
      options: verified.options,
      extensions: verified.extensions,
      signed: false,
    };
  if (attempt.signedData === undefined) return refuse('signature', 'the signed data is missing');
  const expected = expectedSignatureAlgorithm(attempt.keyAlgo);
  const actual = signatureAlgorithm(attempt.signature);
  if (actual !== expected)
    return refuse('signature', `the signature is ${String(actual).slice(0, 64)}, ${expected} was required`);
  let good = false;
  try {
    good = verifySignature(certificate.key, attempt.signedData, attempt.signature);
  } catch (err) {
    return refuse('signature', `the signature is malformed: ${(err as Error).message}`);
  }
  if (!good) return refuse('signature', 'the signature does not verify with the certified key');
  return { ok: true, certificate, options: verified.options, extensions: verified.extensions, signed: true };
}
