import { LONE_SURROGATE, MAX_DEPTH } from './canonical';

/** What a canonical entry line holds, found without building the parsed value. */
export interface ScannedEntry {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
  readonly type: string;
  /** Byte offset (from the line's start) of the `"hash":…,` member, which the hash input leaves out. */
  readonly hashMemberAt: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const ACTOR = bytes('{"actor":');
const DATA = bytes(',"data":');
const HASH = bytes(',"hash":"');
const POLICY = bytes(',"policy_version":');
const PREV = bytes(',"prev":"');
const SEQ = bytes(',"seq":');
const TARGET = bytes(',"target":');
const TIME = bytes(',"time":"');
const TYPE = bytes(',"type":');
const TRUE = bytes('true');
const FALSE = bytes('false');
const NULL = bytes('null');
/** `YYYY-MM-DDTHH:MM:SS.mmmZ`: 0 where a digit goes, otherwise the byte itself. */
const TIME_SHAPE = bytes('0000-00-00T00:00:00.000Z');

// Byte classes, looked up in a table: range tests on bytes such as hex digits, half
// letters and half digits, mispredict a branch for every other byte.
const NOT_HEX = 1; // not a lowercase hex digit
const NOT_PLAIN = 2; // not a byte that stands for itself in a canonical string (printable ASCII but " and \)
const NUMBER_BYTE = 4; // can continue a number token: 0-9 - + . e
const CLASS = new Uint8Array(256).map((_, c) => {
  let k = 0;
  if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) k |= NOT_HEX;
  if (c < 0x20 || c >= 0x80 || c === QUOTE || c === BACKSLASH) k |= NOT_PLAIN;
  if ((c >= 0x30 && c <= 0x39) || c === MINUS || c === 0x2b || c === 0x2e || c === 0x65) k |= NUMBER_BYTE;
  return k;
});

/**
 * A single pass over the UTF-8 bytes of a stored line that succeeds only when the line
 * is exactly the canonical JSON (RFC 8785 style, see canonical.ts) of a well-shaped
 * entry: members in canonical order with the right types, no whitespace, numbers in
 * ECMAScript form, strings escaped as JSON.stringify does, keys strictly increasing in
 * UTF-16 code unit order, and strictly valid UTF-8 (no overlong forms, no encoded
 * surrogates, nothing above U+10FFFF, no truncated sequences). It fails for anything
 * else — including canonical lines it does not handle (escaped characters in keys) —
 * and the caller then takes the slow path (JSON.parse and canonicalize), which is the
 * reference. Never accepts what the slow path would refuse (a property test checks this).
 *
 * One instance is reused line after line; after `scan` returns true its fields describe
 * the line (offsets are absolute positions in the scanned buffer). Allocates nothing
 * except for numbers that are not plain integers.
 */
export class EntryScanner {
  /** The entry's seq. */
  seq = 0;
  /** Where the `"hash":…,` member starts (the hash input leaves out its 74 bytes). */
  hashMemberAt = 0;
  /** Where the 64 hex digits of the hash and of prev start. */
  hashAt = 0;
  prevAt = 0;
  /** The type's text (no escapes): [typeStart, typeEnd). */
  typeStart = 0;
  typeEnd = 0;

  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;

  scan(buf: Buffer, start: number, end: number): boolean {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    if (!this.lit(ACTOR) || !this.nonEmptyString()) return false;
    if (!this.lit(DATA) || !this.object(0)) return false;
    this.hashMemberAt = this.pos + 1;
    if (!this.lit(HASH)) return false;
    this.hashAt = this.pos;
    if (!this.hex64() || !this.byte(QUOTE)) return false;
    if (this.lit(POLICY) && this.string() === 0) return false;
    if (!this.lit(PREV)) return false;
    this.prevAt = this.pos;
    if (!this.hex64() || !this.byte(QUOTE) || !this.lit(SEQ)) return false;
    const seq = this.number();
    if (!Number.isSafeInteger(seq) || seq < 1) return false;
    this.seq = seq;
    if (this.lit(TARGET) && this.string() === 0) return false;
    if (!this.lit(TIME) || !this.time() || !this.byte(QUOTE)) return false;
    if (!this.lit(TYPE)) return false;
    this.typeStart = this.pos + 1;
    if (this.string() !== 1) return false;
    this.typeEnd = this.pos - 1;
    if (this.typeEnd === this.typeStart) return false;
    return this.byte(0x7d) && this.pos === end;
  }

  private byte(b: number): boolean {
    if (this.pos >= this.end || this.buf[this.pos] !== b) return false;
    this.pos++;
    return true;
  }

  private lit(token: Uint8Array): boolean {
    const b = this.buf;
    const p = this.pos;
    const n = token.length;
    if (p + n > this.end) return false;
    for (let i = 0; i < n; i++) if (b[p + i] !== token[i]) return false;
    this.pos = p + n;
    return true;
  }

  /** 64 lowercase hex digits. */
  private hex64(): boolean {
    const b = this.buf;
    const start = this.pos;
    const end = start + 64;
    if (end > this.end) return false;
    let bad = 0;
    for (let i = start; i < end; i++) bad |= CLASS[b[i]!]!;
    if ((bad & NOT_HEX) !== 0) return false;
    this.pos = end;
    return true;
  }

  /** The 24 characters of an ISO 8601 UTC time with milliseconds (what TIME_RE matches). */
  private time(): boolean {
    const b = this.buf;
    const p = this.pos;
    if (p + 24 > this.end) return false;
    for (let i = 0; i < 24; i++) {
      const want = TIME_SHAPE[i]!;
      const c = b[p + i]!;
      if (want === ZERO ? c < ZERO || c > NINE : c !== want) return false;
    }
    this.pos = p + 24;
    return true;
  }

  /** A canonical string that is not empty. */
  private nonEmptyString(): boolean {
    const start = this.pos;
    return this.string() !== 0 && this.pos - start > 2;
  }

  /**
   * A canonical JSON string at pos. Returns 1 when it has no escapes, 2 when it has
   * (canonical ones), 0 when it is not a canonical string or not valid UTF-8.
   */
  private string(): 0 | 1 | 2 {
    const b = this.buf;
    const end = this.end;
    if (this.pos >= end || b[this.pos] !== QUOTE) return 0;
    let escaped = false;
    for (let i = this.pos + 1; i < end; i++) {
      const c = b[i]!;
      if ((CLASS[c]! & NOT_PLAIN) === 0) continue;
      if (c === QUOTE) {
        this.pos = i + 1;
        return escaped ? 2 : 1;
      }
      if (c < 0x20) return 0; // raw control character: JSON.stringify escapes it
      if (c === BACKSLASH) {
        if (i + 1 >= end) return 0;
        const e = b[i + 1];
        escaped = true;
        if (
          e === QUOTE ||
          e === BACKSLASH ||
          e === 0x62 ||
          e === 0x66 ||
          e === 0x6e ||
          e === 0x72 ||
          e === 0x74
        ) {
          i++;
          continue;
        }
        // \u00xx, lowercase, only for controls without a short form
        if (i + 5 >= end || e !== 0x75 || b[i + 2] !== ZERO || b[i + 3] !== ZERO) return 0;
        const hi = b[i + 4]!;
        const lo = b[i + 5]!;
        if (hi !== ZERO && hi !== 0x31) return 0;
        const loVal = lo >= ZERO && lo <= NINE ? lo - ZERO : lo >= 0x61 && lo <= 0x66 ? lo - 0x57 : -1;
        if (loVal < 0) return 0;
        const v = (hi - ZERO) * 16 + loVal;
        if (v === 8 || v === 9 || v === 10 || v === 12 || v === 13) return 0;
        i += 5;
        continue;
      }
      if (c >= 0x80) {
        const n = utf8SequenceLength(b, i, end);
        if (n === 0) return 0;
        i += n - 1;
      }
    }
    return 0;
  }

  /** A canonical number (ECMAScript Number::toString form); returns its value, or NaN. */
  private number(): number {
    const b = this.buf;
    const end = this.end;
    const start = this.pos;
    let i = start;
    // Plain integers (the usual case) without building a string: at most 15 digits, no
    // leading zero, not -0; anything else is compared with String(Number(token)).
    const negative = i < end && b[i] === MINUS;
    if (negative) i++;
    let value = 0;
    const digitsAt = i;
    while (i < end && b[i]! >= ZERO && b[i]! <= NINE) value = value * 10 + (b[i++]! - ZERO);
    const digits = i - digitsAt;
    if (i >= end || (CLASS[b[i]!]! & NUMBER_BYTE) === 0) {
      if (digits === 0) return NaN;
      if (digits <= 15 && (b[digitsAt] !== ZERO || (digits === 1 && !negative))) {
        this.pos = i;
        return negative ? -value : value;
      }
    }
    while (i < end && (CLASS[b[i]!]! & NUMBER_BYTE) !== 0) i++;
    if (i === start) return NaN;
    const token = b.toString('latin1', start, i);
    const v = Number(token);
    if (!Number.isFinite(v) || String(v) !== token) return NaN;
    this.pos = i;
    return v;
  }

  private value(depth: number): boolean {
    if (this.pos >= this.end) return false;
    const c = this.buf[this.pos];
    if (c === QUOTE) return this.string() !== 0;
    if (c === 0x7b) return this.object(depth);
    if (c === 0x5b) return this.array(depth);
    if (c === 0x74) return this.lit(TRUE);
    if (c === 0x66) return this.lit(FALSE);
    if (c === 0x6e) return this.lit(NULL);
    return !Number.isNaN(this.number());
  }

  private array(depth: number): boolean {
    if (depth >= MAX_DEPTH || !this.byte(0x5b)) return false;
    if (this.byte(0x5d)) return true;
    for (;;) {
      if (!this.value(depth + 1)) return false;
      if (this.byte(0x5d)) return true;
      if (!this.byte(COMMA)) return false;
    }
  }

  /** An object whose keys are strictly increasing (UTF-16 code units) and unescaped. */
  private object(depth: number): boolean {
    if (depth >= MAX_DEPTH || !this.byte(0x7b)) return false;
    if (this.byte(0x7d)) return true;
    let prevStart = -1;
    let prevEnd = -1;
    for (;;) {
      const start = this.pos + 1;
      if (this.string() !== 1) return false; // escaped keys: order needs decoding, leave to the slow path
      const end = this.pos - 1;
      if (prevStart >= 0 && !this.before(prevStart, prevEnd, start, end)) return false;
      prevStart = start;
      prevEnd = end;
      if (!this.byte(COLON) || !this.value(depth + 1)) return false;
      if (this.byte(0x7d)) return true;
      if (!this.byte(COMMA)) return false;
    }
  }

  /**
   * Whether the valid UTF-8 text buf[a..aEnd) sorts before buf[b..bEnd) in UTF-16 code
   * unit order (JavaScript's string order, which canonical keys follow). Byte order is
   * code point order, which is the same except between U+E000..U+FFFF (lead byte EE or
   * EF) and U+10000 and above (lead byte F0..F4; a surrogate pair, D800..DFFF, in UTF-16).
   */
  private before(a: number, aEnd: number, b: number, bEnd: number): boolean {
    const t = this.buf;
    const n = Math.min(aEnd - a, bEnd - b);
    for (let i = 0; i < n; i++) {
      const x = t[a + i]!;
      const y = t[b + i]!;
      if (x === y) continue;
      if (x >= 0xee && y >= 0xee && x >= 0xf0 !== y >= 0xf0) return x >= 0xf0;
      return x < y;
    }
    return aEnd - a < bEnd - b;
  }
}

/**
 * Length of the well-formed UTF-8 sequence of a non-ASCII character at b[i] (before
 * `end`), or 0 when it is not one (Unicode table 3-7: no overlong forms, no surrogates
 * ED A0..BF, nothing above U+10FFFF, no truncated sequences).
 */
export function utf8SequenceLength(b: Uint8Array, i: number, end: number): number {
  const c = b[i]!;
  if (c < 0xc2) return 0; // ASCII is not asked about; 80..BF continue, C0/C1 are overlong
  if (c < 0xe0) return i + 1 < end && (b[i + 1]! & 0xc0) === 0x80 ? 2 : 0;
  if (c < 0xf0) {
    if (i + 2 >= end) return 0;
    const c1 = b[i + 1]!;
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return c1 >= lo && c1 <= hi && (b[i + 2]! & 0xc0) === 0x80 ? 3 : 0;
  }
  if (c < 0xf5) {
    if (i + 3 >= end) return 0;
    const c1 = b[i + 1]!;
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return c1 >= lo && c1 <= hi && (b[i + 2]! & 0xc0) === 0x80 && (b[i + 3]! & 0xc0) === 0x80 ? 4 : 0;
  }
  return 0;
}

/**
 * The scan of one line given as a string or as UTF-8 bytes, with its fields as strings
 * (for tests and callers outside the verifier's loop). A string holding a lone surrogate
 * is refused (it has no canonical form).
 */
export function scanCanonicalEntry(line: string | Uint8Array): ScannedEntry | null {
  if (typeof line === 'string' && LONE_SURROGATE.test(line)) return null;
  const buf =
    typeof line === 'string'
      ? Buffer.from(line, 'utf8')
      : Buffer.from(line.buffer, line.byteOffset, line.length);
  const s = new EntryScanner();
  if (!s.scan(buf, 0, buf.length)) return null;
  return {
    seq: s.seq,
    prev: buf.toString('latin1', s.prevAt, s.prevAt + 64),
    hash: buf.toString('latin1', s.hashAt, s.hashAt + 64),
    type: buf.toString('utf8', s.typeStart, s.typeEnd),
    hashMemberAt: s.hashMemberAt,
  };
}
