import { createPublicKey } from 'node:crypto';
import {
  auditStoreLog,
  createVerifier,
  readAuditLines,
  type AuditEntry,
  type AuditLog,
  type VerifyResult,
} from '../../audit';
import type { Store } from '../../store';

export interface AuditFilter {
  readonly type?: string;
  /** Part of the actor (case-insensitive). */
  readonly actor?: string;
  /** Part of the target or of a data value (a request, session or host id). */
  readonly subject?: string;
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly limit: number;
}

export interface AuditRow {
  readonly seq: number;
  readonly entry: AuditEntry | null;
  readonly line: string;
}

const PAGE = 2000;
/** Entries looked at per query at most (newest first), so a browser query stays cheap on a huge log. */
const SCAN_LIMIT = 200_000;

/** Whether an entry passes the filter (pure). */
export function matchesFilter(e: AuditEntry, f: AuditFilter): boolean {
  if (f.type && e.type !== f.type) return false;
  if (f.actor && !e.actor.toLowerCase().includes(f.actor.toLowerCase())) return false;
  const t = Date.parse(e.time);
  if (f.fromMs !== undefined && t < f.fromMs) return false;
  if (f.toMs !== undefined && t > f.toMs) return false;
  if (f.subject) {
    const needle = f.subject.toLowerCase();
    const hay = [e.target ?? '', ...Object.values(e.data ?? {}).map((v) => (typeof v === 'string' ? v : ''))];
    if (!hay.some((h) => h.toLowerCase().includes(needle))) return false;
  }
  return true;
}

/** The newest `limit` entries matching the filter, newest first, reading the stored log backwards. */
export async function queryAudit(
  store: Pick<Store, 'readLog' | 'head'>,
  logId: string,
  f: AuditFilter,
): Promise<{ rows: AuditRow[]; scanned: number; head: number }> {
  const log = auditStoreLog(logId);
  const head = (await store.head(log)).seq;
  const rows: AuditRow[] = [];
  let scanned = 0;
  let upTo = head;
  outer: while (upTo >= 1 && rows.length < f.limit && scanned < SCAN_LIMIT) {
    const from = Math.max(1, upTo - PAGE + 1);
    const page = await store.readLog(log, from, upTo - from + 1);
    for (let i = page.length - 1; i >= 0; i--) {
      const stored = page[i]!;
      scanned++;
      let entry: AuditEntry | null = null;
      try {
        entry = JSON.parse(stored.data) as AuditEntry;
      } catch {
        entry = null;
      }
      if (entry && f.fromMs !== undefined && Date.parse(entry.time) < f.fromMs) break outer;
      if (entry ? matchesFilter(entry, f) : !f.type && !f.actor && !f.subject) {
        rows.push({ seq: stored.seq, entry, line: stored.data });
        if (rows.length >= f.limit) break outer;
      }
    }
    upTo = from - 1;
  }
  return { rows, scanned, head };
}

export interface ChainStatus {
  readonly result: VerifyResult;
  readonly headSeq: number;
  readonly checkedAt: number;
}

/**
 * Verifies the whole stored chain (hashes, links, checkpoint signatures with this node's
 * audit key). The result is kept until the log grows (and for at least `minIntervalMs`),
 * so reloading the page is cheap; the page says when it was checked and up to which entry.
 */
export function createChainChecker(deps: {
  store: Pick<Store, 'readLog' | 'head'>;
  audit: Pick<AuditLog, 'publicKey'>;
  logId: string;
  clock: { now(): number };
  /** Shortest time between two verifications of a growing log (default 10 s). */
  minIntervalMs?: number;
}) {
  let last: ChainStatus | null = null;
  let running: Promise<ChainStatus> | null = null;
  const log = auditStoreLog(deps.logId);
  const run = async (): Promise<ChainStatus> => {
    const head = await deps.store.head(log);
    if (last && last.headSeq === head.seq) return last;
    // A busy log changes all the time: verify it again at most every few seconds.
    if (last && deps.clock.now() - last.checkedAt < (deps.minIntervalMs ?? 10_000)) return last;
    const jwk = deps.audit.publicKey();
    const keys = new Map([[jwk.kid, createPublicKey({ key: { ...jwk }, format: 'jwk' })]]);
    const verifier = createVerifier({ keys, logId: deps.logId });
    let seq = 0;
    for await (const line of readAuditLines(deps.store, log)) {
      verifier.push(line);
      if (++seq >= head.seq) break;
    }
    last = { result: verifier.end(), headSeq: head.seq, checkedAt: deps.clock.now() };
    return last;
  };
  return {
    status(): Promise<ChainStatus> {
      running ??= run().finally(() => {
        running = null;
      });
      return running;
    },
  };
}
