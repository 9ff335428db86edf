import { BreakglassError } from '../../../src/errors';
import type { LogEntry, LogEntryBuilder, LogHead, Store } from '../../../src/store';

/**
 * The log part of the store contract in memory, for unit tests of the audit log's own
 * logic (failure injection, checkpoint timing). Integration tests use the real stores.
 */
export function memoryLogStore(): Pick<Store, 'append' | 'head' | 'readLog'> & {
  entries: LogEntry[];
  failNext: (n?: number) => void;
  builds: number;
} {
  const logs = new Map<string, LogEntry[]>();
  let failures = 0;
  const state = {
    entries: [] as LogEntry[],
    builds: 0,
    failNext(n = 1) {
      failures = n;
    },
    async append(log: string, build: LogEntryBuilder): Promise<LogEntry> {
      await Promise.resolve();
      const list = logs.get(log) ?? [];
      logs.set(log, list);
      const last = list[list.length - 1];
      const head: LogHead = { seq: last?.seq ?? 0, hash: last?.hash ?? null };
      const built = build(head);
      state.builds++;
      if (failures > 0) {
        failures--;
        throw new BreakglassError('STORE_UNAVAILABLE', 'disk on fire');
      }
      const entry = { seq: head.seq + 1, hash: built.hash, data: built.data };
      list.push(entry);
      if (log.startsWith('audit/')) state.entries = list;
      return entry;
    },
    async readLog(log: string, fromSeq: number, limit = 1000): Promise<LogEntry[]> {
      return (logs.get(log) ?? []).filter((e) => e.seq >= fromSeq).slice(0, limit);
    },
    async head(log: string): Promise<LogHead> {
      const last = (logs.get(log) ?? []).at(-1);
      return { seq: last?.seq ?? 0, hash: last?.hash ?? null };
    },
  };
  return state;
}
