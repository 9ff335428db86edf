const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;

/**
 * Writer of RFC 4251 data types into one growing buffer. Values out of range throw
 * TypeError: they are programmer errors, callers validate user input first.
 */
export class SshWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 512) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new TypeError(`byte out of range: ${v}`);
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  boolean(v: boolean): this {
    return this.byte(v ? 1 : 0);
  }

  uint32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > U32_MAX) throw new TypeError(`uint32 out of range: ${v}`);
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint64(v: bigint | number): this {
    const big = typeof v === 'bigint' ? v : BigInt(v);
    if (big < 0n || big > U64_MAX) throw new TypeError(`uint64 out of range: ${big}`);
    this.ensure(8);
    this.buf.writeBigUInt64BE(big, this.pos);
    this.pos += 8;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** A length-prefixed string; text is written as UTF-8 (directly, without an intermediate buffer). */
  string(v: Uint8Array | string): this {
    if (typeof v === 'string') {
      const len = Buffer.byteLength(v, 'utf8');
      this.uint32(len);
      this.ensure(len);
      this.buf.write(v, this.pos, len, 'utf8');
      this.pos += len;
      return this;
    }
    if (v.length > U32_MAX) throw new TypeError('string longer than 2^32-1 bytes');
    this.uint32(v.length);
    return this.raw(v);
  }

  /** Writes whatever `build` writes, prefixed with its length (a nested string). */
  nested(build: (w: SshWriter) => void): this {
    const start = this.pos;
    this.uint32(0);
    build(this);
    this.buf.writeUInt32BE(this.pos - start - 4, start);
    return this;
  }

  /** A non-negative mpint from its unsigned big-endian magnitude (leading zeros allowed in the input). */
  mpint(magnitude: Uint8Array): this {
    let i = 0;
    while (i < magnitude.length && magnitude[i] === 0) i++;
    const trimmed = magnitude.subarray(i);
    if (trimmed.length === 0) return this.uint32(0);
    const pad = trimmed[0]! & 0x80 ? 1 : 0;
    this.uint32(trimmed.length + pad);
    if (pad) this.byte(0);
    return this.raw(trimmed);
  }

  nameList(names: readonly string[]): this {
    for (const n of names) {
      if (n.length === 0 || n.includes(',') || !/^[\x21-\x7e]+$/.test(n))
        throw new TypeError(`invalid name in name-list: ${JSON.stringify(n)}`);
    }
    return this.string(names.join(','));
  }

  /**
   * The bytes written so far without copying; the writer must not be used
   * afterwards (for hot paths that build a buffer once and hand it over).
   */
  finish(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.alloc(0);
    this.pos = 0;
    return out;
  }

  /** A copy of the bytes written so far. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/** Convenience: one length-prefixed string as a buffer. */
export function sshString(v: Uint8Array | string): Buffer {
  const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  const out = Buffer.allocUnsafe(4 + bytes.length);
  out.writeUInt32BE(bytes.length, 0);
  out.set(bytes, 4);
  return out;
}
