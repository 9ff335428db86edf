import { LONE_SURROGATE, MAX_DEPTH } from './canonical';
import {
  entryHash,
  entryShapeProblem,
  HASH_DOMAIN,
  prepareEntry,
  sealLine,
  sha256Hex,
  type EntryDraft,
} from './entry';
import { CHECKPOINT_TYPE } from './events';
import { EntryScanner, type ScannedEntry } from './scan';

/** What one line says about itself, before its place in the chain is looked at. */
export type LineCheck =
  | { readonly ok: true; readonly entry: CheckedEntry | ScannedEntry }
  /** Not JSON at all (possibly a torn last line). */
  | { readonly ok: false; readonly json: false }
  | { readonly ok: false; readonly json: true; readonly message: string; readonly claimed: number | null };

export interface CheckedEntry extends EntryDraft {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
}

/** Hash inputs shorter than this (nearly every entry) reuse a view of the scratch buffer. */
const VIEWS = 4096;
const HASH_MEMBER = ',"hash":"';
const HASH_MEMBER_LENGTH = HASH_MEMBER.length - 1 + 64 + 2; // `"hash":"<64 hex>",`
const DOMAIN = Buffer.from(HASH_DOMAIN, 'utf8');
const CHECKPOINT = Buffer.from(CHECKPOINT_TYPE, 'utf8');
// ignoreBOM: a leading U+FEFF stays in the text (and makes it not JSON) instead of being dropped.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Checks stored lines one at a time: each is an entry, byte-for-byte the canonical
 * JSON of what it holds, valid UTF-8, and its hash is right. Pure; one instance is
 * reused for many lines (it keeps a scanner and a scratch buffer for the hash input).
 *
 * Fast path, on the line's bytes: a single pass (`EntryScanner`) that accepts only
 * canonical entry lines; the hash input is then HASH_DOMAIN and the line with its hash
 * member cut out, copied together into the scratch buffer — no string is made of the
 * line. Checkpoint entries (whose data the verifier needs) and anything the scan does
 * not accept take the slow path: the line is decoded (refused when it is not valid
 * UTF-8), JSON.parse, then either `JSON.stringify` reproduces the line with keys already
 * in order, or the entry is canonicalized again — which also names what is wrong.
 */
export class LineChecker {
  private readonly scanner = new EntryScanner();
  private readonly types = new TextCache();
  private scratch = Buffer.allocUnsafe(0);
  /** scratch.subarray(0, n) by n below VIEWS: made once per length, not once per line. */
  private views = new Array<Buffer | undefined>(VIEWS);

  /** Checks buf[start, end): one line without its newline. `text`: the same line as a string, when the caller has it. */
  check(buf: Buffer, start: number, end: number, text?: string): LineCheck {
    const s = this.scanner;
    if (s.scan(buf, start, end) && !isCheckpoint(buf, s.typeStart, s.typeEnd)) {
      const hash = this.bodyHash(buf, start, s.hashMemberAt, end);
      if (sameText(hash, buf, s.hashAt)) {
        const entry: ScannedEntry = {
          seq: s.seq,
          prev: buf.toString('latin1', s.prevAt, s.prevAt + 64),
          hash,
          type: this.types.text(buf, s.typeStart, s.typeEnd),
          hashMemberAt: s.hashMemberAt - start,
        };
        return { ok: true, entry };
      }
      return {
        ok: false,
        json: true,
        message: `entry ${s.seq}: its content does not match its hash`,
        claimed: s.seq,
      };
    }
    if (text !== undefined) return this.checkText(text);
    let decoded: string;
    try {
      decoded = UTF8.decode(buf.subarray(start, end));
    } catch {
      return notUtf8(buf.toString('utf8', start, end));
    }
    return this.checkText(decoded);
  }

  /**
   * The slow path for a line as a string (the reference). A string holding a lone
   * surrogate is refused: it has no UTF-8 form, so it cannot be a stored line.
   */
  checkText(line: string): LineCheck {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      return { ok: false, json: false };
    }
    const shape = entryShapeProblem(obj);
    const o = obj as CheckedEntry;
    const claimed = Number.isSafeInteger(o?.seq) ? o.seq : null;
    if (shape) return { ok: false, json: true, message: `not a valid entry: ${shape}`, claimed };
    if (JSON.stringify(o) === line && inCanonicalOrder(o, 0)) {
      const at = line.lastIndexOf(HASH_MEMBER) + 1; // the top-level member: only flat members follow it
      const body = line.slice(0, at) + line.slice(at + HASH_MEMBER_LENGTH);
      if (entryHash(body) === o.hash) return { ok: true, entry: o };
      return {
        ok: false,
        json: true,
        message: `entry ${o.seq}: its content does not match its hash`,
        claimed,
      };
    }
    let sealed: { line: string; hash: string };
    try {
      sealed = sealLine(prepareEntry(o), o.seq, o.prev);
    } catch (err) {
      return { ok: false, json: true, message: (err as Error).message, claimed };
    }
    if (sealed.hash !== o.hash)
      return {
        ok: false,
        json: true,
        message: `entry ${o.seq}: its content does not match its hash`,
        claimed,
      };
    if (sealed.line !== line)
      return {
        ok: false,
        json: true,
        message: `entry ${o.seq}: not in canonical form (the text was edited)`,
        claimed,
      };
    return { ok: true, entry: o };
  }

  /** hex(SHA-256(HASH_DOMAIN ‖ buf[start, at) ‖ buf[at + 74, end))): the hash the line should hold. */
  private bodyHash(buf: Buffer, start: number, at: number, end: number): string {
    const d = DOMAIN.length;
    const n = d + (end - start) - HASH_MEMBER_LENGTH;
    if (n + HASH_MEMBER_LENGTH > this.scratch.length) {
      this.scratch = Buffer.allocUnsafe(Math.max(n + HASH_MEMBER_LENGTH, VIEWS));
      DOMAIN.copy(this.scratch);
      this.views = new Array<Buffer | undefined>(VIEWS);
    }
    const scratch = this.scratch;
    // One copy of the line, then the part after the hash member moved over it (no view is made for that).
    buf.copy(scratch, d, start, end);
    scratch.copyWithin(d + (at - start), d + (at - start) + HASH_MEMBER_LENGTH, d + (end - start));
    const view = n < VIEWS ? (this.views[n] ??= scratch.subarray(0, n)) : scratch.subarray(0, n);
    return sha256Hex(view);
  }
}

/**
 * Checks one line given as a string (see LineChecker). A string holding a lone
 * surrogate has no UTF-8 form and no canonical form: it is refused, never encoded
 * (`Buffer.from` would turn the surrogate into U+FFFD silently).
 */
export function checkLine(line: string): LineCheck {
  const checker = new LineChecker();
  if (LONE_SURROGATE.test(line)) return checker.checkText(line);
  const buf = Buffer.from(line, 'utf8');
  return checker.check(buf, 0, buf.length, line);
}

/** A line whose bytes are not UTF-8: still named by its seq when the rest of it parses. */
function notUtf8(lenient: string): LineCheck {
  let claimed: number | null = null;
  try {
    const seq = (JSON.parse(lenient) as { seq?: unknown } | null)?.seq;
    if (Number.isSafeInteger(seq)) claimed = seq as number;
  } catch {
    return { ok: false, json: false }; // not JSON either (possibly a torn last line cut inside a character)
  }
  const entry = claimed === null ? '' : `entry ${claimed}: `;
  return { ok: false, json: true, message: `${entry}not valid UTF-8 (the bytes were edited)`, claimed };
}

/** Whether buf[at, at + text.length) holds the ASCII `text`. */
function sameText(text: string, buf: Buffer, at: number): boolean {
  for (let i = 0; i < text.length; i++) if (buf[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * The strings of short byte strings seen again and again (entry types): one string
 * each instead of one a line. Holds at most 64; others are decoded each time.
 */
class TextCache {
  private readonly keys: Buffer[] = [];
  private readonly texts: string[] = [];

  text(buf: Buffer, start: number, end: number): string {
    const n = end - start;
    const keys = this.keys;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      if (key.length !== n) continue;
      let i = 0;
      while (i < n && key[i] === buf[start + i]) i++;
      if (i === n) return this.texts[k]!;
    }
    const text = buf.toString('utf8', start, end);
    if (keys.length < 64) {
      keys.push(Buffer.from(buf.subarray(start, end)));
      this.texts.push(text);
    }
    return text;
  }
}

function isCheckpoint(buf: Buffer, start: number, end: number): boolean {
  return end - start === CHECKPOINT.length && buf.compare(CHECKPOINT, 0, CHECKPOINT.length, start, end) === 0;
}

/** Whether every object's own key order is already sorted, strings are well-formed and nesting is within bounds. */
function inCanonicalOrder(v: unknown, depth: number): boolean {
  if (typeof v === 'string') return !LONE_SURROGATE.test(v);
  if (typeof v !== 'object' || v === null) return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (!inCanonicalOrder(x, depth + 1)) return false;
    return true;
  }
  let previous: string | null = null;
  for (const key in v) {
    if (previous !== null && !(previous < key)) return false;
    if (LONE_SURROGATE.test(key) || !inCanonicalOrder((v as Record<string, unknown>)[key], depth + 1))
      return false;
    previous = key;
  }
  return true;
}
