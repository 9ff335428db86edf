import { fingerprint, keyLabel } from '../keys';
import { formatTime, printable } from '../cert';
import type { Krl } from './model';

/** The KRL's contents as text (for `ca inspect`), one revocation per line. */
export function describeKrl(krl: Krl, title: string): string {
  const lines = [
    `${printable(title)}:`,
    `        KRL version: ${krl.version}`,
    `        Generated: ${formatTime(krl.generatedAt)}`,
    `        Comment: "${printable(krl.comment)}"`,
  ];
  for (const s of krl.certificates) {
    lines.push(
      `        Certificates signed by ${s.ca ? `${keyLabel(s.ca.type)} ${fingerprint(s.ca)}` : 'any CA'}:`,
    );
    for (const r of s.serials)
      lines.push(`                serial ${r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`}`);
    for (const id of s.keyIds) lines.push(`                key id "${printable(id)}"`);
  }
  if (krl.sha256.length > 0) {
    lines.push('        Keys (by SHA-256 hash):');
    for (const h of krl.sha256)
      lines.push(`                SHA256:${h.toString('base64').replace(/=+$/, '')}`);
  }
  for (const h of krl.sha1 ?? []) lines.push(`        Key (by SHA-1 hash): ${h.toString('hex')}`);
  for (const b of krl.explicitKeys ?? []) lines.push(`        Key: ${fingerprint(b)}`);
  return `${lines.join('\n')}\n`;
}

/** The KRL as plain JSON (bigints as decimal strings). */
export function krlToJson(krl: Krl): Record<string, unknown> {
  return {
    version: krl.version.toString(),
    generatedAt: krl.generatedAt.toString(),
    comment: krl.comment,
    certificates: krl.certificates.map((s) => ({
      ca: s.ca ? { type: s.ca.type, fingerprint: fingerprint(s.ca) } : null,
      serials: s.serials.map((r) => (r.from === r.to ? r.from.toString() : `${r.from}-${r.to}`)),
      keyIds: [...s.keyIds],
    })),
    sha256: krl.sha256.map((h) => `SHA256:${h.toString('base64').replace(/=+$/, '')}`),
  };
}
