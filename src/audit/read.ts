import type { Store } from '../store';
import { decodeCheckpoint, checkpointOf, type Checkpoint } from './checkpoint';
import type { AuditEntry } from './entry';
import { CHECKPOINT_TYPE } from './events';

const PAGE = 10_000;

type LogReader = Pick<Store, 'readLog' | 'head'>;

/** The stored lines (canonical JSON entries) from `fromSeq` on, in order, page by page. */
export async function* readAuditLines(
  store: LogReader,
  storeLog: string,
  fromSeq = 1,
): AsyncGenerator<string> {
  let next = Math.max(1, fromSeq);
  for (;;) {
    const page = await store.readLog(storeLog, next, PAGE);
    for (const e of page) yield e.data;
    if (page.length < PAGE) return;
    next = page[page.length - 1]!.seq + 1;
  }
}

export interface TailFilter {
  type?: string;
  actor?: string;
  /** Most entries returned (the latest ones). */
  limit: number;
}

function parse(line: string): AuditEntry | null {
  try {
    return JSON.parse(line) as AuditEntry;
  } catch {
    return null;
  }
}

/**
 * The latest `limit` entries matching the filter, oldest first, reading backwards
 * from the head. Lines that are not JSON are returned as null entries with their seq
 * so the caller can say so (verify tells what is wrong).
 */
export async function tailAuditLog(
  store: LogReader,
  storeLog: string,
  filter: TailFilter,
): Promise<Array<{ seq: number; entry: AuditEntry | null; line: string }>> {
  const head = await store.head(storeLog);
  const out: Array<{ seq: number; entry: AuditEntry | null; line: string }> = [];
  let upTo = head.seq;
  while (upTo >= 1 && out.length < filter.limit) {
    const from = Math.max(1, upTo - PAGE + 1);
    const page = await store.readLog(storeLog, from, upTo - from + 1);
    for (let i = page.length - 1; i >= 0 && out.length < filter.limit; i--) {
      const stored = page[i]!;
      const entry = parse(stored.data);
      if (entry && filter.type !== undefined && entry.type !== filter.type) continue;
      if (entry && filter.actor !== undefined && entry.actor !== filter.actor) continue;
      if (!entry && (filter.type !== undefined || filter.actor !== undefined)) continue;
      out.push({ seq: stored.seq, entry, line: stored.data });
    }
    upTo = from - 1;
  }
  return out.reverse();
}

/** The latest checkpoint written into the stored log, or null (searches backwards). */
export async function latestStoredCheckpoint(store: LogReader, storeLog: string): Promise<Checkpoint | null> {
  const [found] = await tailAuditLog(store, storeLog, { type: CHECKPOINT_TYPE, limit: 1 });
  const jws = found?.entry?.data.jws;
  if (typeof jws !== 'string') return null;
  const decoded = decodeCheckpoint(jws);
  return typeof decoded === 'string' ? null : checkpointOf(decoded);
}
