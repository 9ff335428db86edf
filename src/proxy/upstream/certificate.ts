import { parseCertificate, parseCertificateLine, type Certificate } from '../../ca';
import { BreakglassError } from '../../errors';
import type { PlainKeyType } from './signing-key';

/** What the upstream client needs of a certificate: its blob and the key it certifies. */
export interface PresentedCertificate {
  /** Type name at the start of the blob, e.g. `ssh-ed25519-cert-v01@openssh.com`. */
  readonly certType: string;
  /** Plain type of the certified key. */
  readonly keyType: PlainKeyType;
  /** The whole certificate blob, sent as the public key. */
  readonly blob: Buffer;
  /** The certified public key as a plain key blob, to match against our private key. */
  readonly certifiedKeyBlob: Buffer;
  /** The parsed certificate (principals, validity) for callers that want to log it. */
  readonly certificate: Certificate;
}

/**
 * Reads an OpenSSH user certificate from a `TYPE BASE64 [comment]` line or a raw blob with
 * the CA's strict codec. Its CA signature is not checked here: it comes from our own CA
 * and the target host is the judge; a certificate for the wrong kind of use is refused.
 */
export function readPresentedCertificate(input: string | Buffer): PresentedCertificate {
  let certificate: Certificate;
  try {
    certificate =
      typeof input === 'string' ? parseCertificateLine(input).certificate : parseCertificate(input);
  } catch (err) {
    throw new BreakglassError(
      'PROXY_UPSTREAM_CREDENTIAL',
      `upstream certificate is unreadable: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (certificate.certType !== 'user') {
    throw new BreakglassError(
      'PROXY_UPSTREAM_CREDENTIAL',
      `upstream certificate is a ${certificate.certType} certificate; logging in needs a user certificate`,
    );
  }
  return {
    certType: certificate.type,
    keyType: certificate.key.type as PlainKeyType,
    blob: certificate.blob,
    certifiedKeyBlob: certificate.key.blob,
    certificate,
  };
}
