import { caError, malformed } from '../errors';
import {
  formatAuthorizedKey,
  isKeyType,
  parsePublicKeyBlob,
  parseSignatureBlob,
  readKeyFields,
  refuseKeyType,
  splitKeyLine,
  writeKeyFields,
  type KeyType,
  type PublicKey,
} from '../keys';
import { SshReader, SshWriter, sshString } from '../wire';
import {
  CERT_ALGORITHMS,
  CERT_TYPE_CODE,
  MAX_PRINCIPALS,
  type Certificate,
  type CertificateFields,
  type CertType,
} from './model';
import { readOptions, writeOptions } from './options';

const WHAT = 'certificate';
const MAX_CERT_BYTES = 65_536;

const TYPE_BY_ALGORITHM = new Map<string, KeyType>(
  Object.entries(CERT_ALGORITHMS).map(([k, v]) => [v, k as KeyType]),
);
const TYPE_PREFIX = new Map<KeyType, Buffer>([...TYPE_BY_ALGORITHM.values()].map((t) => [t, sshString(t)]));

/** The certificate algorithm name for a certified key type. */
export function certAlgorithm(keyType: KeyType): string {
  return CERT_ALGORITHMS[keyType];
}

/**
 * Encodes everything the CA signs: the certificate from its type name up to and
 * including the signature key. Options must already be sorted and unique.
 */
export function encodeToBeSigned(fields: CertificateFields, caKey: PublicKey): Buffer {
  const w = new SshWriter(fields.key.type === 'ssh-rsa' || caKey.type === 'ssh-rsa' ? 2048 : 512);
  w.string(certAlgorithm(fields.key.type));
  w.string(fields.nonce);
  writeKeyFields(w, fields.key);
  w.uint64(fields.serial);
  w.uint32(CERT_TYPE_CODE[fields.certType]);
  w.string(fields.keyId);
  w.nested((inner) => {
    for (const p of fields.principals) inner.string(p);
  });
  w.uint64(fields.validAfter);
  w.uint64(fields.validBefore);
  writeOptions(w, fields.criticalOptions);
  writeOptions(w, fields.extensions);
  w.string(fields.reserved ?? Buffer.alloc(0));
  w.string(caKey.blob);
  return w.finish();
}

/** Appends the signature blob to the signed bytes, giving the certificate blob. */
export function assembleCertificate(toBeSigned: Buffer, signature: Buffer): Buffer {
  const out = Buffer.allocUnsafe(toBeSigned.length + 4 + signature.length);
  toBeSigned.copy(out, 0);
  out.writeUInt32BE(signature.length, toBeSigned.length);
  signature.copy(out, toBeSigned.length + 4);
  return out;
}

/**
 * Parses a certificate blob strictly: known certificate type, certified key fields
 * valid, type 1 or 2, at most 256 principals without NULs, options sorted and
 * unique, a plain (non-certificate) CA key of a supported type, a signature whose
 * algorithm fits the CA key, and no trailing bytes. Does NOT check the signature or
 * validity: that is `verifyCertificate`.
 */
export function parseCertificate(blob: Buffer): Certificate {
  // Work on a private copy so that later changes to the caller's buffer cannot alter the result.
  return parseOwnedCertificate(Buffer.from(blob));
}

/** `parseCertificate` over a buffer the caller hands over (no copy is made; it must not change later). */
export function parseOwnedCertificate(copy: Buffer): Certificate {
  if (copy.length > MAX_CERT_BYTES) throw malformed(WHAT, `larger than ${MAX_CERT_BYTES} bytes`);
  const r = new SshReader(copy, WHAT);
  const type = r.text('certificate type', 64);
  const keyType = TYPE_BY_ALGORITHM.get(type);
  if (!keyType) {
    if (type.startsWith('rsa-sha2-'))
      throw malformed(
        WHAT,
        `${type} is a signature algorithm name, not a certificate type (accepted in the blob: ssh-rsa-cert-v01@openssh.com)`,
      );
    if (type.endsWith('-cert-v01@openssh.com')) refuseKeyType(type.slice(0, -'-cert-v01@openssh.com'.length));
    throw malformed(
      WHAT,
      `type ${JSON.stringify(type)} is not a certificate type (accepted: ${[...TYPE_BY_ALGORITHM.keys()].join(', ')})`,
    );
  }
  const nonce = r.string('nonce', 256);
  const keyStart = r.offset;
  const keyFields = readKeyFields(r, keyType);
  // The certified key's own blob is its type name followed by the same field bytes.
  const key = {
    ...keyFields,
    blob: Buffer.concat([TYPE_PREFIX.get(keyType)!, copy.subarray(keyStart, r.offset)]),
  } as PublicKey;
  const serial = r.uint64('serial');
  const typeCode = r.uint32('certificate type code');
  const certType: CertType | undefined = typeCode === 1 ? 'user' : typeCode === 2 ? 'host' : undefined;
  if (!certType) throw malformed(WHAT, `type code ${typeCode} (accepted: 1 user, 2 host)`);
  const keyId = r.text('key id', 4096);
  const principalList = new SshReader(r.string('principals'), `${WHAT} principals`);
  const principals: string[] = [];
  while (principalList.remaining > 0) {
    if (principals.length === MAX_PRINCIPALS)
      throw caError('CA_INVALID_PRINCIPAL', `${WHAT}: more than ${MAX_PRINCIPALS} principals`);
    principals.push(principalList.text('principal', 1024));
  }
  const validAfter = r.uint64('valid after');
  const validBefore = r.uint64('valid before');
  const criticalOptions = readOptions(r, 'critical option');
  const extensions = readOptions(r, 'extension');
  const reserved = r.string('reserved', 1024);
  const signedEnd = r.offset + 4;
  const caBlob = r.string('signature key', 2100);
  const signedLength = signedEnd + caBlob.length;
  const signature = r.string('signature', 2200);
  r.end();
  const caType = new SshReader(caBlob, 'signature key').text('key type', 64);
  if (caType.endsWith('-cert-v01@openssh.com'))
    throw caError(
      'CA_UNTRUSTED_CA',
      `${WHAT}: the signing CA key is itself a certificate (${caType}); chained certificates are not supported`,
    );
  if (!isKeyType(caType)) refuseKeyType(caType);
  const signatureKey = parsePublicKeyBlob(caBlob, 'signature key', false);
  const signatureAlgorithm = parseSignatureBlob(signature).algorithm;
  return {
    type,
    certType,
    key,
    nonce,
    serial,
    keyId,
    principals,
    validAfter,
    validBefore,
    criticalOptions,
    extensions,
    reserved,
    signatureKey,
    signature,
    signatureAlgorithm,
    signedData: copy.subarray(0, signedLength),
    blob: copy,
  };
}

/** Parses the one-line OpenSSH form (`TYPE BASE64 [COMMENT]`); the line's type must match the blob. */
export function parseCertificateLine(text: string): { certificate: Certificate; comment: string } {
  const line = splitKeyLine(text, 'certificate line');
  const certificate = parseCertificate(line.blob);
  if (certificate.type !== line.type)
    throw malformed(
      'certificate line',
      `line says ${JSON.stringify(line.type.slice(0, 64))} but the blob is ${certificate.type}`,
    );
  return { certificate, comment: line.comment };
}

/** The one-line OpenSSH form of a certificate (what `ssh-keygen -s` writes to `*-cert.pub`). */
export function formatCertificateLine(certificate: Pick<Certificate, 'type' | 'blob'>, comment = ''): string {
  return formatAuthorizedKey(certificate, comment);
}
