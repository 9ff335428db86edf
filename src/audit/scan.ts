import { MAX_DEPTH } from './canonical';
import { TIME_RE } from './entry';

/** What a canonical entry line holds, found without building the parsed value. */
export interface ScannedEntry {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
  readonly type: string;
  /** Index of the `"hash":…,` member, which the hash input leaves out. */
  readonly hashMemberAt: number;
}

/**
 * A single pass over a stored line that succeeds only when the line is exactly the
 * canonical JSON (RFC 8785 style, see canonical.ts) of a well-shaped entry: members in
 * canonical order with the right types, no whitespace, numbers in ECMAScript form,
 * strings escaped as JSON.stringify does, keys strictly increasing, no lone surrogates.
 * Returns null for anything else — including canonical lines it does not handle fast
 * (escaped characters in keys, a string member needing decoding) — and the caller then
 * takes the slow path (JSON.parse and canonicalize), which is the reference. Never
 * accepts what the slow path would refuse (a property test checks this).
 */
export function scanCanonicalEntry(line: string): ScannedEntry | null {
  const s = new Scanner(line);
  if (!s.lit('{"actor":') || !s.nonEmptyString()) return null;
  if (!s.lit(',"data":') || !s.object(0)) return null;
  const hashMemberAt = s.pos + 1;
  if (!s.lit(',"hash":"')) return null;
  const hash = s.hex64();
  if (hash === null || !s.lit('"')) return null;
  if (s.lit(',"policy_version":') && s.string() === 0) return null;
  if (!s.lit(',"prev":"')) return null;
  const prev = s.hex64();
  if (prev === null || !s.lit('"') || !s.lit(',"seq":')) return null;
  const seq = s.number();
  if (seq === null || !Number.isSafeInteger(seq) || seq < 1) return null;
  if (s.lit(',"target":') && s.string() === 0) return null;
  if (!s.lit(',"time":')) return null;
  const timeStart = s.pos + 1;
  if (s.plainString() < 0 || !TIME_RE.test(line.slice(timeStart, s.pos - 1))) return null;
  if (!s.lit(',"type":')) return null;
  const typeStart = s.pos + 1;
  if (s.plainString() <= 0) return null;
  const type = line.slice(typeStart, s.pos - 1);
  if (!s.lit('}') || s.pos !== line.length) return null;
  return { seq, prev, hash, type, hashMemberAt };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

class Scanner {
  pos = 0;
  constructor(private readonly text: string) {}

  lit(token: string): boolean {
    if (!this.text.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }

  /** 64 lowercase hex digits. */
  hex64(): string | null {
    const start = this.pos;
    const end = start + 64;
    if (end > this.text.length) return null;
    for (let i = start; i < end; i++) {
      const c = this.text.charCodeAt(i);
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return null;
    }
    this.pos = end;
    return this.text.slice(start, end);
  }

  /** A canonical string that is not empty. */
  nonEmptyString(): boolean {
    const start = this.pos;
    return this.string() !== 0 && this.pos - start > 2;
  }

  /** A canonical string without escapes (its text is its value); returns its length, or -1. */
  plainString(): number {
    const start = this.pos;
    const len = this.string();
    return len === 1 ? this.pos - start - 2 : -1;
  }

  /**
   * A canonical JSON string at pos. Returns 1 when it has no escapes, 2 when it has
   * (canonical ones), 0 when it is not a canonical string.
   */
  string(): 0 | 1 | 2 {
    const t = this.text;
    if (t.charCodeAt(this.pos) !== QUOTE) return 0;
    let escaped = false;
    for (let i = this.pos + 1; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === QUOTE) {
        this.pos = i + 1;
        return escaped ? 2 : 1;
      }
      if (c < 0x20) return 0; // raw control character: JSON.stringify escapes it
      if (c === BACKSLASH) {
        const e = t.charCodeAt(i + 1);
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
        if (e !== 0x75 || t.charCodeAt(i + 2) !== 0x30 || t.charCodeAt(i + 3) !== 0x30) return 0;
        const hi = t.charCodeAt(i + 4);
        const lo = t.charCodeAt(i + 5);
        if (hi !== 0x30 && hi !== 0x31) return 0;
        const loVal = lo >= 0x30 && lo <= 0x39 ? lo - 0x30 : lo >= 0x61 && lo <= 0x66 ? lo - 0x57 : -1;
        if (loVal < 0) return 0;
        const v = (hi - 0x30) * 16 + loVal;
        if (v === 8 || v === 9 || v === 10 || v === 12 || v === 13) return 0;
        i += 5;
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        if (c >= 0xdc00) return 0; // a low surrogate without its high one
        const next = t.charCodeAt(i + 1);
        if (!(next >= 0xdc00 && next <= 0xdfff)) return 0;
        i++;
      }
    }
    return 0;
  }

  /** A canonical number (ECMAScript Number::toString form); returns its value or null. */
  number(): number | null {
    const t = this.text;
    const start = this.pos;
    let i = start;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (!((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x65 || c === 0x2b)) break;
    }
    if (i === start) return null;
    const token = t.slice(start, i);
    const value = Number(token);
    if (!Number.isFinite(value) || String(value) !== token) return null;
    this.pos = i;
    return value;
  }

  value(depth: number): boolean {
    const c = this.text.charCodeAt(this.pos);
    if (c === QUOTE) return this.string() !== 0;
    if (c === 0x7b) return this.object(depth);
    if (c === 0x5b) return this.array(depth);
    if (c === 0x74) return this.lit('true');
    if (c === 0x66) return this.lit('false');
    if (c === 0x6e) return this.lit('null');
    return this.number() !== null;
  }

  array(depth: number): boolean {
    if (depth >= MAX_DEPTH || !this.lit('[')) return false;
    if (this.lit(']')) return true;
    for (;;) {
      if (!this.value(depth + 1)) return false;
      if (this.lit(']')) return true;
      if (!this.lit(',')) return false;
    }
  }

  /** An object whose keys are strictly increasing (UTF-16 code units) and unescaped. */
  object(depth: number): boolean {
    if (depth >= MAX_DEPTH || !this.lit('{')) return false;
    if (this.lit('}')) return true;
    let prevStart = -1;
    let prevEnd = -1;
    for (;;) {
      const start = this.pos + 1;
      if (this.string() !== 1) return false; // escaped keys: order needs decoding, leave to the slow path
      const end = this.pos - 1;
      if (prevStart >= 0 && !this.before(prevStart, prevEnd, start, end)) return false;
      prevStart = start;
      prevEnd = end;
      if (!this.lit(':') || !this.value(depth + 1)) return false;
      if (this.lit('}')) return true;
      if (!this.lit(',')) return false;
    }
  }

  /** Whether text[a..aEnd) < text[b..bEnd), comparing UTF-16 code units (no allocation). */
  private before(a: number, aEnd: number, b: number, bEnd: number): boolean {
    const t = this.text;
    const n = Math.min(aEnd - a, bEnd - b);
    for (let i = 0; i < n; i++) {
      const d = t.charCodeAt(a + i) - t.charCodeAt(b + i);
      if (d !== 0) return d < 0;
    }
    return aEnd - a < bEnd - b;
  }
}
