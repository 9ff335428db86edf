/**
 * The few pieces of the SSH wire format (RFC 4251 §5) the upstream client needs to build
 * a signature blob and to read the key embedded in a certificate. Deliberately tiny: the
 * full codec (certificates, KRLs, validation) lives in `src/ca`.
 */

/** `uint32 length ‖ bytes`. */
export function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** A non-negative integer given as an unsigned big-endian magnitude, as an SSH `mpint`. */
export function sshMpint(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  // A set top bit would read as negative: prefix a zero byte.
  const body =
    trimmed.length > 0 && (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
  return sshString(body);
}

/** Reads consecutive `string` fields from a buffer, refusing lengths past the end. */
export class WireCursor {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  /** The next `string` field's contents, or `undefined` when it would run past the end. */
  next(): Buffer | undefined {
    if (this.pos + 4 > this.buf.length) return undefined;
    const len = this.buf.readUInt32BE(this.pos);
    if (this.pos + 4 + len > this.buf.length) return undefined;
    const body = this.buf.subarray(this.pos + 4, this.pos + 4 + len);
    this.pos += 4 + len;
    return body;
  }

  /** Offset of the next unread byte. */
  get offset(): number {
    return this.pos;
  }
}
