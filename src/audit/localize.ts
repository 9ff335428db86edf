import {
  entryShapeProblem,
  GENESIS_PREV,
  prepareEntry,
  sealLine,
  type EntryDraft,
  type PreparedEntry,
} from './entry';

/** Longest stretch of entries searched for a single inserted entry (the search is quadratic). */
export const LOCALIZE_MAX = 2000;

/** Parses an already verified line back into a prepared entry (for re-sealing at another seq). */
export function preparedFromLine(line: string): PreparedEntry | null {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return null;
  }
  if (entryShapeProblem(obj) !== null) return null;
  const o = obj as EntryDraft;
  try {
    return prepareEntry({
      time: o.time,
      type: o.type,
      actor: o.actor,
      ...(o.target === undefined ? {} : { target: o.target }),
      data: o.data,
      ...(o.policy_version === undefined ? {} : { policy_version: o.policy_version }),
    });
  } catch {
    return null;
  }
}

/**
 * When a signed checkpoint says entry `cpSeq` has hash `cpHash` but the (internally
 * consistent) chain disagrees, tests the hypothesis "exactly one entry was inserted
 * and the hashes after it recomputed": for each candidate j in `from..cpSeq`, drop
 * entry j, renumber the rest and recompute; if the chain then reaches `cpHash` at
 * `cpSeq`, j is the inserted entry. `lineAt(seq)` gives the verified lines (seq
 * `from - 1` .. `cpSeq + 1`), `hashAt(seq)` their hashes. Returns j or null.
 */
export function findInsertedEntry(
  from: number,
  cpSeq: number,
  cpHash: string,
  lineAt: (seq: number) => string | undefined,
  hashAt: (seq: number) => string | undefined,
): number | null {
  const last = cpSeq + 1; // with one entry inserted, the original entry cpSeq now sits at cpSeq + 1
  if (last - from > LOCALIZE_MAX) return null;
  const prepared = new Map<number, PreparedEntry>();
  for (let s = from + 1; s <= last; s++) {
    const line = lineAt(s);
    const p = line === undefined ? null : preparedFromLine(line);
    if (!p) return null;
    prepared.set(s, p);
  }
  for (let j = from; j <= cpSeq; j++) {
    let prev = j === 1 ? GENESIS_PREV : hashAt(j - 1);
    if (prev === undefined) return null;
    for (let m = j + 1; m <= last; m++) prev = sealLine(prepared.get(m)!, m - 1, prev).hash;
    if (prev === cpHash) return j;
  }
  return null;
}
