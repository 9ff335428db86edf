import * as crypto from 'node:crypto';
import { canonicalize, type JsonValue } from './canonical';

/** Domain-separation tag hashed before every entry (format version 1). */
export const HASH_DOMAIN = 'breakglass-audit-v1\0';
/** `prev` of the first entry of a log. */
export const GENESIS_PREV = '0'.repeat(64);

export const HASH_RE = /^[0-9a-f]{64}$/;
export const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * One entry of the audit log. `hash = hex(SHA-256(HASH_DOMAIN ‖ canonical JSON of the
 * entry without its hash member))`; `prev` is the hash of the entry before (GENESIS_PREV
 * for seq 1). Stored and exported as the canonical JSON of the whole entry, one a line.
 */
export interface AuditEntry {
  readonly seq: number;
  /** ISO 8601 UTC with milliseconds, e.g. `2026-01-01T00:00:00.000Z`. */
  readonly time: string;
  readonly type: string;
  readonly actor: string;
  readonly target?: string;
  readonly data: Readonly<Record<string, JsonValue>>;
  readonly policy_version?: string;
  readonly prev: string;
  readonly hash: string;
}

/** An entry before it has a place in the log. */
export interface EntryDraft {
  readonly time: string;
  readonly type: string;
  readonly actor: string;
  readonly target?: string;
  readonly data: Readonly<Record<string, JsonValue>>;
  readonly policy_version?: string;
}

/**
 * A draft with its canonical text computed up to the position-dependent members
 * (`prev`, `seq`), so that sealing it under the store's append lock is cheap.
 */
export interface PreparedEntry {
  readonly draft: EntryDraft;
  /** Canonical JSON of `draft.data`. */
  readonly dataText: string;
  /** `{"actor":…,"data":…,` */
  readonly head: string;
  /** `"policy_version":…,` or empty. */
  readonly policy: string;
  /** `"target":…,"time":…,"type":…}` (target only when present). */
  readonly tail: string;
}

export interface SealedEntry {
  readonly entry: AuditEntry;
  /** Canonical JSON of the whole entry, hash included (what is stored and exported). */
  readonly line: string;
  readonly hash: string;
}

/** Canonicalizes the draft's members; throws AUDIT_NOT_JSON when one has no canonical form. */
export function prepareEntry(draft: EntryDraft): PreparedEntry {
  const dataText = canonicalize(draft.data);
  const head = `{"actor":${canonicalize(draft.actor)},"data":${dataText},`;
  const policy =
    draft.policy_version === undefined ? '' : `"policy_version":${canonicalize(draft.policy_version)},`;
  const target = draft.target === undefined ? '' : `"target":${canonicalize(draft.target)},`;
  const tail = `${target}"time":${canonicalize(draft.time)},"type":${canonicalize(draft.type)}}`;
  return { draft, dataText, head, policy, tail };
}

/** Places a prepared entry after `head` (the log's current last entry): pure and cheap. */
export function sealEntry(p: PreparedEntry, head: { seq: number; hash: string | null }): SealedEntry {
  const seq = head.seq + 1;
  const prev = head.hash ?? GENESIS_PREV;
  const { line, hash } = sealLine(p, seq, prev);
  const d = p.draft;
  const entry: AuditEntry = {
    seq,
    time: d.time,
    type: d.type,
    actor: d.actor,
    ...(d.target === undefined ? {} : { target: d.target }),
    data: d.data,
    ...(d.policy_version === undefined ? {} : { policy_version: d.policy_version }),
    prev,
    hash,
  };
  return { entry, line, hash };
}

/** The canonical line and hash of a prepared entry at `seq` after `prev`. */
export function sealLine(p: PreparedEntry, seq: number, prev: string): { line: string; hash: string } {
  const rest = `${p.policy}"prev":"${prev}","seq":${seq},${p.tail}`;
  const hash = entryHash(p.head + rest);
  return { line: `${p.head}"hash":"${hash}",${rest}`, hash };
}

/** hex(SHA-256(data)); crypto.hash (Node >= 20.12) is about twice as fast as createHash for short inputs. */
export const sha256Hex: (data: string | Buffer) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'hex')
    : (data) => crypto.createHash('sha256').update(data).digest('hex');

/** hex(SHA-256(HASH_DOMAIN ‖ body)) where body is the canonical entry without its hash. */
export function entryHash(body: string): string {
  return sha256Hex(HASH_DOMAIN + body);
}

/** ISO 8601 UTC with milliseconds for an epoch-milliseconds time. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

const ENTRY_KEYS = new Set([
  'seq',
  'time',
  'type',
  'actor',
  'target',
  'data',
  'policy_version',
  'prev',
  'hash',
]);

/**
 * Checks that a parsed JSON value has the shape of an entry (members and their
 * types); returns what is wrong, or null. Says nothing about hashes or event fields.
 */
export function entryShapeProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!ENTRY_KEYS.has(key)) return `unexpected member "${key}"`;
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1) return 'seq is not a positive integer';
  if (typeof o.time !== 'string' || !TIME_RE.test(o.time))
    return 'time is not ISO 8601 UTC with milliseconds';
  if (typeof o.type !== 'string' || o.type === '') return 'type is not a non-empty string';
  if (typeof o.actor !== 'string' || o.actor === '') return 'actor is not a non-empty string';
  if (o.target !== undefined && typeof o.target !== 'string') return 'target is not a string';
  if (o.policy_version !== undefined && typeof o.policy_version !== 'string')
    return 'policy_version is not a string';
  if (typeof o.data !== 'object' || o.data === null || Array.isArray(o.data)) return 'data is not an object';
  if (typeof o.prev !== 'string' || !HASH_RE.test(o.prev)) return 'prev is not 64 lowercase hex digits';
  if (typeof o.hash !== 'string' || !HASH_RE.test(o.hash)) return 'hash is not 64 lowercase hex digits';
  return null;
}
