import { BreakglassError } from '../../errors';
import type { PlainKeyType } from './signing-key';
import { sshString, WireCursor } from './ssh-wire';

/** Certificate types the upstream client can log in with, and the key fields they embed. */
const CERT_TYPES: Record<string, { plain: PlainKeyType; keyFields: number }> = {
  'ssh-ed25519-cert-v01@openssh.com': { plain: 'ssh-ed25519', keyFields: 1 },
  'ecdsa-sha2-nistp256-cert-v01@openssh.com': { plain: 'ecdsa-sha2-nistp256', keyFields: 2 },
  'ecdsa-sha2-nistp384-cert-v01@openssh.com': { plain: 'ecdsa-sha2-nistp384', keyFields: 2 },
  'ecdsa-sha2-nistp521-cert-v01@openssh.com': { plain: 'ecdsa-sha2-nistp521', keyFields: 2 },
  'ssh-rsa-cert-v01@openssh.com': { plain: 'ssh-rsa', keyFields: 2 },
};

/** Just enough of an OpenSSH certificate to present it: its blob and the key it certifies. */
export interface PresentedCertificate {
  /** Type name at the start of the blob, e.g. `ssh-ed25519-cert-v01@openssh.com`. */
  readonly certType: string;
  /** Plain type of the certified key. */
  readonly keyType: PlainKeyType;
  /** The whole certificate blob, sent as the public key. */
  readonly blob: Buffer;
  /** The certified public key re-encoded as a plain key blob, to match against our private key. */
  readonly certifiedKeyBlob: Buffer;
}

function malformed(message: string): BreakglassError {
  return new BreakglassError('PROXY_UPSTREAM_CREDENTIAL', `upstream certificate ${message}`);
}

/**
 * Reads the certificate's type and certified key from an OpenSSH certificate line
 * (`TYPE BASE64 [comment]`) or a raw blob. The CA signature and the rest of the fields are
 * not checked here: the certificate comes from our own CA and the host is the judge.
 */
export function readPresentedCertificate(input: string | Buffer): PresentedCertificate {
  let blob: Buffer;
  let lineType: string | undefined;
  if (typeof input === 'string') {
    const parts = input.trim().split(/\s+/);
    if (parts.length < 2 || !/^[A-Za-z0-9+/]+={0,2}$/.test(parts[1]!)) {
      throw malformed('must be an OpenSSH certificate line "TYPE BASE64 [comment]"');
    }
    lineType = parts[0];
    blob = Buffer.from(parts[1]!, 'base64');
  } else {
    blob = input;
  }
  const cursor = new WireCursor(blob);
  const typeField = cursor.next();
  const certType = typeField?.toString('latin1') ?? '';
  const spec = CERT_TYPES[certType];
  if (!spec) {
    throw malformed(
      `type ${JSON.stringify(certType.slice(0, 64))} is not supported (accepted: ${Object.keys(CERT_TYPES).join(', ')})`,
    );
  }
  if (lineType !== undefined && lineType !== certType)
    throw malformed(`line type ${lineType} does not match the blob type ${certType}`);
  if (cursor.next() === undefined) throw malformed('is truncated in its nonce');
  const keyStart = cursor.offset;
  for (let i = 0; i < spec.keyFields; i++) {
    if (cursor.next() === undefined) throw malformed('is truncated in its public key');
  }
  const certifiedKeyBlob = Buffer.concat([sshString(spec.plain), blob.subarray(keyStart, cursor.offset)]);
  return { certType, keyType: spec.plain, blob, certifiedKeyBlob };
}
