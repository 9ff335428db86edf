import { MAX_DEPTH } from './canonical';
import { entryHash, entryShapeProblem, prepareEntry, sealLine, type EntryDraft } from './entry';
import { CHECKPOINT_TYPE } from './events';
import { scanCanonicalEntry, type ScannedEntry } from './scan';

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

const LONE_SURROGATE = /\p{Cs}/u;
const HASH_MEMBER = ',"hash":"';
const HASH_MEMBER_LENGTH = HASH_MEMBER.length - 1 + 64 + 2; // `"hash":"<64 hex>",`

/**
 * Checks one stored line on its own: it is an entry, it is byte-for-byte the canonical
 * JSON of what it holds, and its hash is right. Pure.
 *
 * Fast path: a single pass (`scanCanonicalEntry`) that accepts only canonical entry
 * lines; the hash input is then the line with its hash member cut out. Checkpoint
 * entries (whose data the verifier needs) and anything the scan does not accept take
 * the slow path: JSON.parse, then either `JSON.stringify` reproduces the line with keys
 * already in order, or the entry is canonicalized again — which also names what is wrong.
 */
export function checkLine(line: string): LineCheck {
  const scanned = scanCanonicalEntry(line);
  if (scanned && scanned.type !== CHECKPOINT_TYPE) {
    const at = scanned.hashMemberAt;
    if (entryHash(line.slice(0, at) + line.slice(at + HASH_MEMBER_LENGTH)) === scanned.hash)
      return { ok: true, entry: scanned };
    return {
      ok: false,
      json: true,
      message: `entry ${scanned.seq}: its content does not match its hash`,
      claimed: scanned.seq,
    };
  }
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
    return { ok: false, json: true, message: `entry ${o.seq}: its content does not match its hash`, claimed };
  }
  let sealed: { line: string; hash: string };
  try {
    sealed = sealLine(prepareEntry(o), o.seq, o.prev);
  } catch (err) {
    return { ok: false, json: true, message: (err as Error).message, claimed };
  }
  if (sealed.hash !== o.hash)
    return { ok: false, json: true, message: `entry ${o.seq}: its content does not match its hash`, claimed };
  if (sealed.line !== line)
    return {
      ok: false,
      json: true,
      message: `entry ${o.seq}: not in canonical form (the text was edited)`,
      claimed,
    };
  return { ok: true, entry: o };
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
