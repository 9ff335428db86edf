import { checkpointSignatureProblem, decodeCheckpoint, type DecodedCheckpoint } from './checkpoint';
import { GENESIS_PREV, type EntryDraft } from './entry';
import { CHECKPOINT_TYPE } from './events';
import type { PublicKeys } from './keys';
import { LineChecker } from './line-check';
import { findInsertedEntry } from './localize';
import { LONE_SURROGATE } from './canonical';

/**
 * What is wrong with a log:
 * - `modified`: an entry's content does not match its hash, is not in canonical form, is
 *   not an entry at all, or does not link to the entry after it;
 * - `deleted`: entries are missing (a gap in seq);
 * - `inserted`: an entry that is not part of the chain (a repeated seq, or one found
 *   by a signed checkpoint after the hashes were recomputed);
 * - `reordered`: entries are out of order;
 * - `bad_signature`: a checkpoint's signature does not verify with the given keys;
 * - `bad_checkpoint`: a checkpoint entry is malformed or belongs to another log;
 * - `checkpoint_mismatch`: the chain is internally consistent but disagrees with a
 *   signed checkpoint: entries in the named range were changed and hashes recomputed;
 * - `truncated`: the log ends before the given checkpoint (cut tail or older copy);
 * - `rolled_back`: the log differs from the given checkpoint at its seq (rolled back to
 *   an older copy and rewritten, or changed with hashes recomputed);
 * - `unsigned`: (strict mode) entries not covered by a valid signed checkpoint;
 * - `unverifiable`: the given checkpoint commits to an entry before the first line.
 */
export type ProblemKind =
  | 'modified'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'bad_signature'
  | 'bad_checkpoint'
  | 'checkpoint_mismatch'
  | 'truncated'
  | 'rolled_back'
  | 'unsigned'
  | 'unverifiable';

export interface VerifyProblem {
  readonly kind: ProblemKind;
  /** The first bad seq. */
  readonly seq: number;
  /** 1-based line of the file where it was found (0: the given checkpoint). */
  readonly line: number;
  readonly message: string;
  /** For problems found through checkpoints: the seqs within which the change lies. */
  readonly range?: { from: number; to: number };
}

export interface VerifiedCheckpoint {
  /** The seq and hash the checkpoint commits to. */
  readonly seq: number;
  readonly hash: string;
  readonly time: string;
  readonly log_id: string;
  readonly kid: string;
  /** Seq of the audit.checkpoint entry that carries it. */
  readonly entrySeq: number;
  readonly signatureChecked: boolean;
}

export interface VerifyResult {
  readonly ok: boolean;
  /** Entries verified (before the first problem). */
  readonly entries: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** Hash of the last verified entry. */
  readonly head: string | null;
  /** The last checkpoint in the log that agrees with the chain (signature checked when keys were given). */
  readonly lastCheckpoint: VerifiedCheckpoint | null;
  /** Entries (other than checkpoint entries) after the last signature-checked checkpoint. */
  readonly uncovered: { from: number; to: number; count: number } | null;
  /** A torn final line (crash while writing): reported, not counted, not tampering. */
  readonly torn: { line: number; bytes: number } | null;
  /** Outcome for the checkpoint given from outside, if any. */
  readonly given: { seq: number; hash: string; time: string; matched: boolean } | null;
  readonly problem: VerifyProblem | null;
}

export interface VerifyOptions {
  /** Keys to check checkpoint signatures with; without them signatures are not checked. */
  keys?: PublicKeys;
  /** A checkpoint kept outside the log (detects truncation and rollback). */
  checkpoint?: DecodedCheckpoint;
  /** Fail when entries are not covered by a signed checkpoint (needs keys). */
  strict?: boolean;
  /** Expected log id; otherwise taken from the given or the first checkpoint. */
  logId?: string;
}

export interface Verifier {
  /** Feeds the next line (without its newline). `unterminated`: the file's last line, with no newline after it. */
  push(line: string, unterminated?: boolean): void;
  /**
   * Feeds the next line as its UTF-8 bytes: buf[start, end), without its newline. The
   * verifier keeps a reference to `buf` (to localize an inserted entry later): the
   * caller must not write into it afterwards.
   */
  pushBytes(buf: Buffer, start: number, end: number, unterminated?: boolean): void;
  /**
   * Feeds the next line (as for `pushBytes`) whose own check (`LineChecker`) already
   * passed elsewhere (a worker thread), with what it found. Never used for checkpoint entries.
   */
  pushChecked(buf: Buffer, start: number, end: number, entry: PreChecked): void;
  end(): VerifyResult;
}

/** What `checkLine` found in a line that passed it (enough to place it in the chain). */
export interface PreChecked {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
}

const RING = 1 << 16; // hashes kept for checking checkpoints (they commit to a recent entry)
const LINES = 1 << 12; // lines kept for localizing an inserted entry
const LOOKAHEAD = 10_000; // lines searched for a missing seq before calling it deleted

/**
 * Verifies a log line by line (pure; constant memory). Stops at the first problem and
 * names its seq and kind. See docs/audit.md for what is guaranteed with and without
 * keys and an outside checkpoint.
 */
export function createVerifier(options: VerifyOptions = {}): Verifier {
  const keys = options.keys;
  const given = options.checkpoint;
  const hashes: string[] = new Array<string>(RING);
  // The recent lines, as views into the buffers they were read into (decoded only when needed).
  const lineBufs: Array<Buffer | undefined> = new Array<Buffer | undefined>(LINES);
  const lineStarts = new Float64Array(LINES);
  const lineEnds = new Float64Array(LINES);
  const checker = new LineChecker();
  const checkpointEntries: number[] = [];
  let logId = options.logId ?? given?.payload.log_id;
  let lineNo = 0;
  let count = 0;
  let firstSeq: number | null = null;
  let lastSeq = 0;
  let head: string | null = null;
  let problem: VerifyProblem | null = null;
  let torn: VerifyResult['torn'] = null;
  let lastCheckpoint: VerifiedCheckpoint | null = null;
  let covered = 0; // highest seq committed to by a signature-checked checkpoint
  let agreed = 0; // highest seq committed to by any checkpoint that agrees with the chain
  let agreedBeforeGiven = 0; // same, for checkpoints signed no later than the given one
  let givenMatched = false;
  let gap: { missing: number; found: number; line: number; scanned: number } | null = null;
  let firstFailure: { kind: ProblemKind; message: string; claimed: number | null } | null = null;

  const fail = (p: VerifyProblem): void => {
    if (!problem) problem = p;
  };
  const hashAt = (seq: number): string | undefined =>
    firstSeq !== null && seq >= firstSeq && seq <= lastSeq && seq > lastSeq - RING
      ? hashes[seq & (RING - 1)]
      : undefined;
  const lineAt = (seq: number): string | undefined => {
    if (firstSeq === null || seq < firstSeq || seq > lastSeq || seq <= lastSeq - LINES) return undefined;
    const k = seq & (LINES - 1);
    return lineBufs[k]?.toString('utf8', lineStarts[k], lineEnds[k]);
  };

  if (given && keys) {
    const why = checkpointSignatureProblem(given, keys);
    if (why)
      fail({
        kind: 'bad_signature',
        seq: given.payload.seq,
        line: 0,
        message: `the given checkpoint (seq ${given.payload.seq}): ${why}`,
      });
  }
  if (given && options.logId && given.payload.log_id !== options.logId) {
    fail({
      kind: 'bad_checkpoint',
      seq: given.payload.seq,
      line: 0,
      message: `the given checkpoint is for log "${given.payload.log_id}", not "${options.logId}"`,
    });
  }

  function resolveGap(found: boolean): void {
    const g = gap!;
    gap = null;
    if (found) {
      fail({
        kind: 'reordered',
        seq: g.missing,
        line: g.line,
        message: `entry ${g.missing} comes after entry ${g.found}: entries were reordered`,
      });
    } else {
      const span =
        g.found - 1 > g.missing ? `entries ${g.missing}..${g.found - 1} are` : `entry ${g.missing} is`;
      fail({
        kind: 'deleted',
        seq: g.missing,
        line: g.line,
        message: `${span} missing: entry ${g.found} follows entry ${g.missing - 1}`,
      });
    }
  }

  function resolveFirst(nextSeq: number | null): void {
    const f = firstFailure!;
    firstFailure = null;
    const seq = nextSeq !== null && nextSeq > 1 ? nextSeq - 1 : (f.claimed ?? 1);
    fail({ kind: f.kind, seq, line: 1, message: f.message });
  }

  /**
   * One line: buf[start, end), or `text` alone when it has no UTF-8 form (a string
   * holding a lone surrogate, which is refused). `text` is the line as given, if it was
   * given as a string; otherwise it is decoded only when needed (off the fast path).
   */
  function push(
    buf: Buffer | null,
    start: number,
    end: number,
    text: string | null,
    unterminated: boolean,
    pre?: PreChecked,
  ): void {
    lineNo++;
    if (problem) return;
    if (gap) {
      const seq = claimedSeq(text ?? buf!.toString('utf8', start, end));
      if (seq === gap.missing) resolveGap(true);
      else if (++gap.scanned >= LOOKAHEAD) resolveGap(false);
      return;
    }
    if (firstFailure) {
      resolveFirst(claimedSeq(text ?? buf!.toString('utf8', start, end)));
      return;
    }
    let o: PreChecked & { type?: string; data?: EntryDraft['data'] };
    if (pre) {
      o = pre;
    } else {
      const check = buf ? checker.check(buf, start, end, text ?? undefined) : checker.checkText(text!);
      if (!check.ok) {
        if (!check.json) {
          if (unterminated && isTornPrefix(text ?? buf!.toString('utf8', start, end))) {
            torn = { line: lineNo, bytes: buf ? end - start : Buffer.byteLength(text!) };
            return;
          }
          return bad('modified', `line ${lineNo} is not a JSON entry (damaged or edited)`, null);
        }
        return bad('modified', `line ${lineNo}: ${check.message}`, check.claimed);
      }
      o = check.entry;
    }

    if (firstSeq === null) {
      if (o.seq === 1 && o.prev !== GENESIS_PREV)
        return bad('modified', 'entry 1: prev is not the genesis value', 1);
      firstSeq = o.seq;
    } else {
      const expected = lastSeq + 1;
      if (o.seq > expected) {
        gap = { missing: expected, found: o.seq, line: lineNo, scanned: 0 };
        return;
      }
      if (o.seq < expected) {
        return fail({
          kind: 'inserted',
          seq: o.seq,
          line: lineNo,
          message: `seq ${o.seq} appears again after seq ${lastSeq}: an entry was inserted or copied`,
        });
      }
      if (o.prev !== head) {
        return fail({
          kind: 'modified',
          seq: lastSeq,
          line: lineNo - 1,
          message: `entry ${lastSeq}'s hash is not the prev recorded by entry ${o.seq}: entry ${lastSeq} was replaced`,
        });
      }
    }
    lastSeq = o.seq;
    head = o.hash;
    count++;
    hashes[o.seq & (RING - 1)] = o.hash;
    const k = o.seq & (LINES - 1);
    const kept = buf ?? Buffer.from(text!, 'utf8'); // (a line without UTF-8 form never gets here)
    lineBufs[k] = kept;
    lineStarts[k] = buf ? start : 0;
    lineEnds[k] = buf ? end : kept.length;
    if (o.type === CHECKPOINT_TYPE) checkpointEntry(o as unknown as EntryDraft & { seq: number });
    if (given && o.seq === given.payload.seq && !problem) compareGiven(o.hash, lineNo);
  }

  function bad(kind: ProblemKind, message: string, claimed: number | null): void {
    if (firstSeq === null) {
      firstFailure = { kind, message, claimed };
      return;
    }
    fail({ kind, seq: lastSeq + 1, line: lineNo, message });
  }

  function checkpointEntry(e: EntryDraft & { seq: number }): void {
    const d = e.data as Record<string, unknown>;
    const badCp = (kind: ProblemKind, message: string): void =>
      fail({ kind, seq: e.seq, line: lineNo, message: `checkpoint entry ${e.seq}: ${message}` });
    const cp = decodeCheckpoint(d.jws as string);
    if (typeof cp === 'string') return badCp('bad_checkpoint', cp);
    const p = cp.payload;
    if (d.seq !== p.seq || d.hash !== p.hash || d.log_id !== p.log_id)
      return badCp('bad_checkpoint', 'its seq/hash/log_id differ from its signed payload');
    if (keys) {
      const why = checkpointSignatureProblem(cp, keys);
      if (why) return badCp('bad_signature', why);
    }
    if (logId === undefined) logId = p.log_id;
    if (p.log_id !== logId) return badCp('bad_checkpoint', `belongs to log "${p.log_id}", not "${logId}"`);
    if (p.seq >= e.seq)
      return badCp('bad_checkpoint', `commits to seq ${p.seq}, not before its own position`);
    checkpointEntries.push(e.seq);
    if (p.seq < firstSeq!) return; // commits to an entry before this file starts: nothing to compare
    const actual = hashAt(p.seq);
    if (actual === undefined)
      return badCp('bad_checkpoint', `commits to seq ${p.seq}, more than ${RING} entries back (not checked)`);
    if (actual !== p.hash) return mismatch(cp, e.seq);
    agreed = Math.max(agreed, p.seq);
    if (given && p.time <= given.payload.time && p.seq <= given.payload.seq)
      agreedBeforeGiven = Math.max(agreedBeforeGiven, p.seq);
    if (keys) covered = Math.max(covered, p.seq);
    lastCheckpoint = { ...p, kid: cp.kid, entrySeq: e.seq, signatureChecked: keys !== undefined };
  }

  function mismatch(cp: DecodedCheckpoint, entrySeq: number): void {
    const p = cp.payload;
    const from = Math.max(agreed + 1, firstSeq!);
    const inserted = findInsertedEntry(from, p.seq, p.hash, lineAt, hashAt);
    if (inserted !== null) {
      return fail({
        kind: 'inserted',
        seq: inserted,
        line: lineNo - (lastSeq - inserted),
        range: { from, to: p.seq },
        message: `entry ${inserted} was inserted and the hashes after it recomputed: without it the chain matches the signed checkpoint for seq ${p.seq} (in entry ${entrySeq})`,
      });
    }
    fail({
      kind: 'checkpoint_mismatch',
      seq: from,
      line: lineNo - (lastSeq - from),
      range: { from, to: p.seq },
      message: `the chain disagrees with the signed checkpoint for seq ${p.seq} (in entry ${entrySeq}): an entry in ${from}..${p.seq} was modified, inserted or deleted and the hashes recomputed`,
    });
  }

  function compareGiven(hash: string, at: number): void {
    const g = given!.payload;
    if (hash === g.hash) {
      givenMatched = true;
      return;
    }
    const from = Math.max(agreedBeforeGiven + 1, firstSeq!);
    fail({
      kind: 'rolled_back',
      seq: from,
      line: at - (g.seq - from),
      range: { from, to: g.seq },
      message: `entry ${g.seq} differs from the given checkpoint (signed ${g.time}): the log was rolled back to an older copy and rewritten, or an entry in ${from}..${g.seq} was changed and the hashes recomputed`,
    });
  }

  function end(): VerifyResult {
    if (gap) resolveGap(false);
    if (firstFailure) resolveFirst(null);
    if (!problem && given) {
      const g = given.payload;
      if (logId !== undefined && g.log_id !== logId) {
        fail({
          kind: 'bad_checkpoint',
          seq: g.seq,
          line: 0,
          message: `the given checkpoint is for log "${g.log_id}", this log is "${logId}"`,
        });
      } else if (firstSeq === null || g.seq > lastSeq) {
        const ends = firstSeq === null ? 'the log is empty' : `the log ends at seq ${lastSeq}`;
        fail({
          kind: 'truncated',
          seq: lastSeq + 1,
          line: lineNo + 1,
          range: { from: lastSeq + 1, to: g.seq },
          message: `${ends} but the given checkpoint (signed ${g.time}) commits to seq ${g.seq}: entries were cut off or an older copy was restored`,
        });
      } else if (g.seq < firstSeq) {
        fail({
          kind: 'unverifiable',
          seq: g.seq,
          line: 0,
          message: `the given checkpoint commits to seq ${g.seq}, before the first entry (${firstSeq}) of this file`,
        });
      }
    }
    const uncovered = uncoveredRange();
    if (!problem && options.strict && uncovered) {
      fail({
        kind: 'unsigned',
        seq: uncovered.from,
        line: 0,
        range: { from: uncovered.from, to: uncovered.to },
        message: `${uncovered.count} entries from seq ${uncovered.from} on are not covered by a signed checkpoint`,
      });
    }
    return {
      ok: problem === null,
      entries: count,
      firstSeq,
      lastSeq: firstSeq === null ? null : lastSeq,
      head,
      lastCheckpoint,
      uncovered,
      torn,
      given: given ? { ...given.payload, matched: givenMatched } : null,
      problem,
    };
  }

  function uncoveredRange(): VerifyResult['uncovered'] {
    if (firstSeq === null) return null;
    let from = Math.max(covered + 1, firstSeq);
    const cps = new Set(checkpointEntries.filter((s) => s >= from));
    while (from <= lastSeq && cps.has(from)) from++;
    if (from > lastSeq) return null;
    let to = lastSeq;
    while (to > from && cps.has(to)) to--;
    const count = lastSeq - from + 1 - [...cps].filter((s) => s >= from).length;
    return { from, to, count };
  }

  return {
    push: (line, unterminated = false) => {
      if (LONE_SURROGATE.test(line)) return push(null, 0, 0, line, unterminated);
      const buf = Buffer.from(line, 'utf8');
      push(buf, 0, buf.length, line, unterminated);
    },
    pushBytes: (buf, start, end, unterminated = false) => push(buf, start, end, null, unterminated),
    pushChecked: (buf, start, end, entry) => push(buf, start, end, null, false, entry),
    end,
  };
}

/**
 * Whether an unterminated last line looks like what a crash leaves: the start of an
 * entry cut short (possibly padded with NUL bytes by the file system), with no complete
 * JSON value followed by anything else in it.
 */
function isTornPrefix(line: string): boolean {
  const cut = line.replace(/\0+$/, '');
  if (cut !== '' && !'{"actor":"'.startsWith(cut.slice(0, 10))) return false;
  for (let i = cut.indexOf('}'); i >= 0; i = cut.indexOf('}', i + 1)) {
    try {
      JSON.parse(cut.slice(0, i + 1));
      return false; // a complete value, then more bytes: edited, not torn
    } catch {
      // keep looking
    }
  }
  return true;
}

function claimedSeq(line: string): number | null {
  try {
    const v = (JSON.parse(line) as { seq?: unknown }).seq;
    return Number.isSafeInteger(v) ? (v as number) : null;
  } catch {
    return null;
  }
}
