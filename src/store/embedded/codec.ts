/**
 * Binary encoding of what the embedded store writes inside frames. Pure; no I/O.
 *
 * Write-ahead log and snapshot operations (absolute, so replaying one twice is harmless):
 *   1 put:     ns, key, version f64, expiresAt f64 (-1 = none), value
 *   2 delete:  ns, key
 *   3 counter: name, value f64, expiresAt f64 (-1 = none)
 * Names are `u8 length ‖ ASCII`, values `u32 length ‖ UTF-8`.
 */

export type Op =
  | { t: 'put'; ns: string; key: string; version: number; expiresAt: number | null; value: string }
  | { t: 'del'; ns: string; key: string }
  | { t: 'counter'; name: string; value: number; expiresAt: number | null };

const PUT = 1;
const DEL = 2;
const COUNTER = 3;

export class DecodeError extends Error {}

/** Grows a buffer as fields are appended. */
export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
    return this;
  }

  f64(v: number): this {
    this.room(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** An ASCII name of at most 255 characters. */
  name(s: string): this {
    this.room(1 + s.length);
    this.buf[this.pos++] = s.length;
    this.pos += this.buf.write(s, this.pos, 'latin1');
    return this;
  }

  /** A UTF-8 string of any length. */
  text(s: string): this {
    const bytes = Buffer.byteLength(s, 'utf8');
    this.room(4 + bytes);
    this.buf.writeUInt32LE(bytes, this.pos);
    this.pos += 4;
    this.pos += this.buf.write(s, this.pos, bytes, 'utf8');
    return this;
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written (a view; do not write further afterwards). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class Reader {
  pos: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
  ) {
    this.pos = start;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length)
      throw new DecodeError(`record ends early at byte ${this.pos} (needs ${n} more)`);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  name(): string {
    const n = this.u8();
    this.need(n);
    const s = this.buf.toString('latin1', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  text(): string {
    const n = this.u32();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

const noExpiry = (v: number | null) => (v === null ? -1 : v);
const fromExpiry = (v: number) => (v < 0 ? null : v);

export function writeOp(w: Writer, op: Op): void {
  switch (op.t) {
    case 'put':
      w.u8(PUT).name(op.ns).name(op.key).f64(op.version).f64(noExpiry(op.expiresAt)).text(op.value);
      return;
    case 'del':
      w.u8(DEL).name(op.ns).name(op.key);
      return;
    case 'counter':
      w.u8(COUNTER).name(op.name).f64(op.value).f64(noExpiry(op.expiresAt));
      return;
  }
}

export function readOp(r: Reader): Op {
  const tag = r.u8();
  switch (tag) {
    case PUT: {
      const ns = r.name();
      const key = r.name();
      const version = r.f64();
      const expiresAt = fromExpiry(r.f64());
      return { t: 'put', ns, key, version, expiresAt, value: r.text() };
    }
    case DEL:
      return { t: 'del', ns: r.name(), key: r.name() };
    case COUNTER: {
      const name = r.name();
      const value = r.f64();
      return { t: 'counter', name, value, expiresAt: fromExpiry(r.f64()) };
    }
    default:
      throw new DecodeError(`unknown operation tag ${tag} at byte ${r.pos - 1}`);
  }
}

export function encodeOps(ops: readonly Op[]): Buffer {
  const w = new Writer();
  for (const op of ops) writeOp(w, op);
  return w.finish();
}

export function decodeOps(payload: Buffer, start = 0): Op[] {
  const r = new Reader(payload, start);
  const ops: Op[] = [];
  while (!r.done) ops.push(readOp(r));
  return ops;
}

/** A log entry as stored in a segment frame. */
export interface EncodedEntry {
  seq: number;
  hash: string;
  data: string;
}

/** Segment frame payload: `u8 kind=E ‖ f64 firstSeq ‖ u32 count ‖ count × (hash as name ‖ data as text)`. */
export function writeEntries(
  w: Writer,
  firstSeq: number,
  entries: ReadonlyArray<{ hash: string; data: string }>,
): void {
  w.u8(ENTRIES).f64(firstSeq).u32(entries.length);
  for (const e of entries) w.name(e.hash).text(e.data);
}

export const ENTRIES = 0x45; // 'E'
export const HEADER = 0x48; // 'H'

/** Reads a segment frame's entry batch header without decoding the entries. */
export function peekEntries(payload: Buffer): { firstSeq: number; count: number } {
  const r = new Reader(payload);
  const kind = r.u8();
  if (kind !== ENTRIES) throw new DecodeError(`expected an entry batch, found kind ${kind}`);
  return { firstSeq: r.f64(), count: r.u32() };
}

export function readEntries(payload: Buffer): EncodedEntry[] {
  const r = new Reader(payload);
  const kind = r.u8();
  if (kind !== ENTRIES) throw new DecodeError(`expected an entry batch, found kind ${kind}`);
  const firstSeq = r.f64();
  const count = r.u32();
  const out: EncodedEntry[] = [];
  for (let i = 0; i < count; i++) out.push({ seq: firstSeq + i, hash: r.name(), data: r.text() });
  if (!r.done) throw new DecodeError(`${payload.length - r.pos} stray bytes after ${count} entries`);
  return out;
}

/** File header frame: `u8 kind=H ‖ name magic ‖ text JSON` (what file this is, and its parameters). */
export function encodeHeader(magic: string, meta: Record<string, unknown>): Buffer {
  return new Writer().u8(HEADER).name(magic).text(JSON.stringify(meta)).finish();
}

export function decodeHeader(payload: Buffer, magic: string): Record<string, unknown> {
  const r = new Reader(payload);
  if (r.u8() !== HEADER) throw new DecodeError('missing file header');
  const found = r.name();
  if (found !== magic) throw new DecodeError(`file header says ${JSON.stringify(found)}, expected ${magic}`);
  const meta: unknown = JSON.parse(r.text());
  if (typeof meta !== 'object' || meta === null) throw new DecodeError('file header is not an object');
  return meta as Record<string, unknown>;
}
