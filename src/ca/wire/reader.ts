import { malformed } from '../errors';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes strict UTF-8 without NUL bytes (CA_MALFORMED otherwise); plain ASCII takes a fast path. */
export function decodeText(bytes: Buffer, what: string, field: string): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0) throw malformed(what, `${field} contains a NUL byte`);
    if (b > 0x7f) ascii = false;
  }
  if (ascii) return bytes.toString('latin1');
  try {
    return UTF8.decode(bytes);
  } catch {
    throw malformed(what, `${field} is not valid UTF-8`);
  }
}
const U64_MAX = (1n << 64n) - 1n;

/**
 * Strict reader of RFC 4251 data types over one buffer. Every read checks that the
 * bytes are present; a length field that points past the end, an mpint that is
 * negative or not minimal, or a string with a NUL where text is expected throws
 * CA_MALFORMED naming `what` (e.g. "certificate") and the field. `end()` rejects
 * trailing bytes.
 */
export class SshReader {
  private pos = 0;

  constructor(
    private readonly buf: Buffer,
    readonly what = 'SSH data',
  ) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, field: string): void {
    if (n > this.buf.length - this.pos) {
      throw malformed(this.what, `truncated ${field}: needs ${n} bytes, ${this.buf.length - this.pos} left`);
    }
  }

  byte(field = 'byte'): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  boolean(field = 'boolean'): boolean {
    const b = this.byte(field);
    if (b > 1) throw malformed(this.what, `${field} is ${b}, accepted: 0 or 1`);
    return b === 1;
  }

  uint32(field = 'uint32'): number {
    this.need(4, field);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint64(field = 'uint64'): bigint {
    this.need(8, field);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Raw bytes without a length prefix. */
  raw(n: number, field = 'bytes'): Buffer {
    this.need(n, field);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A length-prefixed byte string (a view into the input, not a copy). */
  string(field = 'string', maxLength = this.buf.length): Buffer {
    const len = this.uint32(`length of ${field}`);
    if (len > maxLength)
      throw malformed(this.what, `${field} is ${len} bytes, accepted: at most ${maxLength}`);
    return this.raw(len, field);
  }

  /** A string that must be valid UTF-8 without NUL characters. */
  text(field = 'text', maxLength?: number): string {
    return decodeText(this.string(field, maxLength), this.what, field);
  }

  /**
   * A non-negative mpint, returned as its unsigned big-endian magnitude without
   * leading zeros (empty for zero). Negative and non-minimal encodings are refused.
   */
  mpint(field = 'mpint', maxBytes = 16_385): Buffer {
    const bytes = this.string(field, maxBytes + 1);
    if (bytes.length === 0) return bytes;
    if (bytes[0]! & 0x80) throw malformed(this.what, `${field} is negative`);
    if (bytes[0] === 0) {
      if (bytes.length === 1 || !(bytes[1]! & 0x80))
        throw malformed(this.what, `${field} has a needless leading zero`);
      return bytes.subarray(1);
    }
    return bytes;
  }

  /** A comma-separated name-list (RFC 4251 §5): ASCII, no empty names. */
  nameList(field = 'name-list'): string[] {
    const bytes = this.string(field);
    if (bytes.length === 0) return [];
    for (const b of bytes) {
      if (b < 0x21 || b > 0x7e)
        throw malformed(this.what, `${field} contains a byte outside printable ASCII`);
    }
    const names = bytes.toString('latin1').split(',');
    if (names.some((n) => n.length === 0)) throw malformed(this.what, `${field} contains an empty name`);
    return names;
  }

  /** Throws when bytes are left over. */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw malformed(this.what, `${this.buf.length - this.pos} trailing bytes after the last field`);
    }
  }
}

export { U64_MAX };
