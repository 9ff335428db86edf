import { fingerprint, keyLabel } from '../keys';
import type { Certificate } from './model';
import { optionString } from './options';
import { FOREVER } from './model';
import { formatTime } from './verify';

/** Replaces control and non-ASCII characters with escapes so hostile text cannot drive a terminal. */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, (c) => {
    const cp = c.codePointAt(0)!;
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });
}

/**
 * One option or extension: a flag by its name; a value (one SSH string in the data,
 * like force-command or a vendor extension such as `grant-id@breakglass`) as
 * `name value`; other data in hex as `ssh-keygen -L` prints it.
 */
function optionText(o: { name: string; data: Buffer }): string {
  if (o.data.length === 0) return printable(o.name);
  try {
    return `${printable(o.name)} ${printable(optionString(o))}`;
  } catch {
    return `${printable(o.name)} UNKNOWN OPTION: ${o.data.toString('hex')} (len ${o.data.length})`;
  }
}

/** Every field of a certificate as text, laid out like `ssh-keygen -L` (times in UTC). */
export function describeCertificate(cert: Certificate, title: string): string {
  const lines = [
    `${printable(title)}:`,
    `        Type: ${cert.type} ${cert.certType} certificate`,
    `        Public key: ${keyLabel(cert.type)} ${fingerprint(cert.key)}`,
    `        Signing CA: ${keyLabel(cert.signatureKey.type)} ${fingerprint(cert.signatureKey)} (using ${printable(cert.signatureAlgorithm)})`,
    `        Key ID: "${printable(cert.keyId)}"`,
    `        Serial: ${cert.serial}`,
    `        Valid: ${validityText(cert)}`,
    `        Principals: ${cert.principals.length === 0 ? '(none)' : ''}`,
    ...cert.principals.map((p) => `                ${printable(p)}`),
    `        Critical Options: ${cert.criticalOptions.length === 0 ? '(none)' : ''}`,
    ...cert.criticalOptions.map((o) => `                ${optionText(o)}`),
    `        Extensions: ${cert.extensions.length === 0 ? '(none)' : ''}`,
    ...cert.extensions.map((o) => `                ${optionText(o)}`),
  ];
  return `${lines.join('\n')}\n`;
}

function validityText(cert: Certificate): string {
  if (cert.validAfter === 0n && cert.validBefore === FOREVER) return 'forever';
  if (cert.validAfter === 0n) return `before ${formatTime(cert.validBefore)}`;
  if (cert.validBefore === FOREVER) return `after ${formatTime(cert.validAfter)}`;
  return `from ${formatTime(cert.validAfter)} to ${formatTime(cert.validBefore)}`;
}

/** The certificate as plain JSON (bigints as decimal strings, binary as base64). */
export function certificateToJson(cert: Certificate): Record<string, unknown> {
  const opt = (o: { name: string; data: Buffer }) => {
    if (o.data.length === 0) return { name: o.name, value: null };
    try {
      return { name: o.name, value: optionString(o) };
    } catch {
      return { name: o.name, data: o.data.toString('base64') };
    }
  };
  return {
    type: cert.type,
    certType: cert.certType,
    publicKey: { type: cert.key.type, fingerprint: fingerprint(cert.key) },
    signingCa: {
      type: cert.signatureKey.type,
      fingerprint: fingerprint(cert.signatureKey),
      algorithm: cert.signatureAlgorithm,
    },
    keyId: cert.keyId,
    serial: cert.serial.toString(),
    validAfter: cert.validAfter.toString(),
    validBefore: cert.validBefore.toString(),
    validAfterIso: formatTime(cert.validAfter),
    validBeforeIso: formatTime(cert.validBefore),
    principals: [...cert.principals],
    criticalOptions: cert.criticalOptions.map(opt),
    extensions: cert.extensions.map(opt),
    nonce: cert.nonce.toString('base64'),
  };
}
