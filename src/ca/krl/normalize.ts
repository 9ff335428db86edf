import { caError } from '../errors';
import { keyHash, type PublicKey } from '../keys';
import { FOREVER } from '../cert';
import type { Krl, KrlCertificates, KrlInput, SerialRange } from './model';

/** Sorts and merges overlapping or adjacent ranges. */
export function mergeRanges(ranges: readonly SerialRange[]): SerialRange[] {
  const sorted = [...ranges].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const out: SerialRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1n) {
      if (r.to > last.to) out[out.length - 1] = { from: last.from, to: r.to };
    } else out.push({ from: r.from, to: r.to });
  }
  return out;
}

function toRange(s: bigint | number | SerialRange): SerialRange {
  const r = typeof s === 'object' ? s : { from: BigInt(s), to: BigInt(s) };
  if (r.from < 1n || r.to > FOREVER || r.from > r.to) {
    throw caError(
      'CA_INVALID_SERIAL',
      `serial range ${r.from}-${r.to} is invalid (accepted: 1 <= A <= B <= 2^64-1; serial 0 cannot be revoked)`,
    );
  }
  return r;
}

function validKeyId(id: string): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 4096 || id.includes('\0')) {
    throw caError('CA_INVALID_KEY_ID', 'a revoked key id must be 1-4096 characters without NUL');
  }
  return id;
}

function sortUnique(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function sortHashes(hashes: Iterable<Buffer>): Buffer[] {
  const sorted = [...hashes].sort(Buffer.compare);
  return sorted.filter((h, i) => i === 0 || !h.equals(sorted[i - 1]!));
}

/** Brings writer input into the normal form the writer encodes (and the reader returns). */
export function normalizeKrl(input: KrlInput): Krl {
  const byCa = new Map<string, { ca: PublicKey | null; ranges: SerialRange[]; ids: Set<string> }>();
  for (const section of input.certificates ?? []) {
    const tag = section.ca ? section.ca.blob.toString('base64') : '';
    const entry = byCa.get(tag) ?? { ca: section.ca, ranges: [], ids: new Set<string>() };
    byCa.set(tag, entry);
    for (const s of section.serials ?? []) entry.ranges.push(toRange(s));
    for (const id of section.keyIds ?? []) entry.ids.add(validKeyId(id));
  }
  const certificates: KrlCertificates[] = [...byCa.values()]
    .filter((e) => e.ranges.length > 0 || e.ids.size > 0)
    .map((e) => ({ ca: e.ca, serials: mergeRanges(e.ranges), keyIds: sortUnique(e.ids) }))
    .sort((a, b) => Buffer.compare(a.ca?.blob ?? Buffer.alloc(0), b.ca?.blob ?? Buffer.alloc(0)));
  for (const h of input.sha256 ?? []) {
    if (h.length !== 32)
      throw caError('CA_MALFORMED', `KRL: a SHA-256 key hash must be 32 bytes, got ${h.length}`);
  }
  const version = BigInt(input.version);
  if (version < 0n || version > FOREVER)
    throw caError('CA_MALFORMED', 'KRL: version out of range (accepted: 0 to 2^64-1)');
  if (!Number.isFinite(input.generatedAt) || input.generatedAt < 0)
    throw new TypeError('generatedAt must be a time in ms');
  return {
    version,
    generatedAt: BigInt(Math.floor(input.generatedAt / 1000)),
    comment: input.comment ?? '',
    certificates,
    sha256: sortHashes([...(input.keys ?? []).map(keyHash), ...(input.sha256 ?? [])]),
  };
}
