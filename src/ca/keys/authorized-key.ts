import { caError } from '../errors';
import { replaceControlChars } from '../text';
import { parsePublicKeyBlob, type PublicKey } from './public-key';

const MAX_LINE = 16_384;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

export interface KeyLine {
  /** The type name written at the start of the line. */
  readonly type: string;
  /** The decoded base64 blob. */
  readonly blob: Buffer;
  /** Text after the blob (may be empty). */
  readonly comment: string;
}

/**
 * Splits one `TYPE BASE64 [COMMENT]` line (a `.pub` file, a certificate file or an
 * authorized_keys line without options). Strict base64; the blob's own type must be
 * checked by the caller's parser against `type`.
 */
export function splitKeyLine(text: string, what = 'public key line'): KeyLine {
  const line = text.replace(/\r?\n$/, '');
  if (line.length > MAX_LINE) throw caError('CA_MALFORMED', `${what}: longer than ${MAX_LINE} characters`);
  if (/[\r\n]/.test(line))
    throw caError('CA_MALFORMED', `${what}: contains more than one line (accepted: one key per file)`);
  const m = /^([A-Za-z0-9@._-]+)[ \t]+([^ \t]+)(?:[ \t]+(.*))?$/.exec(line.trim());
  if (!m) throw caError('CA_MALFORMED', `${what}: not in the form "TYPE BASE64 [COMMENT]"`);
  const [, type, b64, comment] = m;
  if (!BASE64_RE.test(b64!) || b64!.length % 4 !== 0)
    throw caError('CA_MALFORMED', `${what}: the key is not valid base64`);
  return { type: type!, blob: Buffer.from(b64!, 'base64'), comment: (comment ?? '').trim() };
}

/** Parses a public key line; the type on the line must match the blob's type. */
export function parseAuthorizedKey(
  text: string,
  what = 'public key line',
): { key: PublicKey; comment: string } {
  const line = splitKeyLine(text, what);
  const key = parsePublicKeyBlob(line.blob, what);
  if (key.type !== line.type) {
    throw caError(
      'CA_MALFORMED',
      `${what}: line says ${JSON.stringify(line.type.slice(0, 64))} but the key is ${key.type}`,
    );
  }
  return { key, comment: line.comment };
}

/** `TYPE BASE64 [COMMENT]` (no newline). Comments are restricted to one safe line. */
export function formatAuthorizedKey(key: PublicKey | { type: string; blob: Buffer }, comment = ''): string {
  const safe = replaceControlChars(comment).trim();
  return `${key.type} ${key.blob.toString('base64')}${safe ? ` ${safe}` : ''}`;
}
