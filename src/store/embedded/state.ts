import type { Op } from './codec';

export interface Rec {
  value: string;
  version: number;
  expiresAt: number | null;
}

interface Counter {
  value: number;
  expiresAt: number | null;
}

export type PutOutcome = { ok: true; op: Op & { t: 'put' } } | { ok: false; current: number };
export type DeleteOutcome = { ok: true; op: (Op & { t: 'del' }) | null } | { ok: false; current: number };

/**
 * The embedded store's in-memory state: records by namespace and key, and counters.
 * Pure (time comes in as `now`); every change is described by an absolute `Op` that
 * the caller writes to the write-ahead log, and replay applies the same ops.
 */
export class MemoryState {
  private readonly records = new Map<string, Map<string, Rec>>();
  private readonly counters = new Map<string, Counter>();

  /** Applies one operation from the log or a snapshot. */
  apply(op: Op): void {
    switch (op.t) {
      case 'put': {
        let ns = this.records.get(op.ns);
        if (!ns) this.records.set(op.ns, (ns = new Map()));
        ns.set(op.key, { value: op.value, version: op.version, expiresAt: op.expiresAt });
        return;
      }
      case 'del': {
        const ns = this.records.get(op.ns);
        if (ns && ns.delete(op.key) && ns.size === 0) this.records.delete(op.ns);
        return;
      }
      case 'counter':
        this.counters.set(op.name, { value: op.value, expiresAt: op.expiresAt });
        return;
    }
  }

  /** The live record, dropping it from memory when it has expired. */
  get(ns: string, key: string, now: number): Rec | null {
    const map = this.records.get(ns);
    const rec = map?.get(key);
    if (!map || !rec) return null;
    if (rec.expiresAt !== null && rec.expiresAt <= now) {
      map.delete(key);
      if (map.size === 0) this.records.delete(ns);
      return null;
    }
    return rec;
  }

  put(
    ns: string,
    key: string,
    value: string,
    ifVersion: number | undefined,
    ttlMs: number | undefined,
    now: number,
  ): PutOutcome {
    const current = this.get(ns, key, now)?.version ?? 0;
    if (ifVersion !== undefined && ifVersion !== current) return { ok: false, current };
    const op = {
      t: 'put',
      ns,
      key,
      version: current + 1,
      expiresAt: ttlMs === undefined ? null : now + ttlMs,
      value,
    } as const;
    this.apply(op);
    return { ok: true, op };
  }

  delete(ns: string, key: string, ifVersion: number | undefined, now: number): DeleteOutcome {
    const current = this.get(ns, key, now)?.version ?? 0;
    if (ifVersion !== undefined && ifVersion !== current) return { ok: false, current };
    if (current === 0) return { ok: true, op: null };
    const op = { t: 'del', ns, key } as const;
    this.apply(op);
    return { ok: true, op };
  }

  increment(name: string, windowMs: number | undefined, now: number): Op & { t: 'counter' } {
    const c = this.counters.get(name);
    const live = c && (c.expiresAt === null || c.expiresAt > now);
    const op = live
      ? ({ t: 'counter', name, value: c.value + 1, expiresAt: c.expiresAt } as const)
      : ({
          t: 'counter',
          name,
          value: 1,
          expiresAt: windowMs === undefined ? null : now + windowMs,
        } as const);
    this.apply(op);
    return op;
  }

  list(ns: string, prefix: string, limit: number, now: number): Array<{ key: string } & Rec> {
    const map = this.records.get(ns);
    if (!map) return [];
    const keys: string[] = [];
    for (const [key, rec] of map) {
      if (key.startsWith(prefix) && (rec.expiresAt === null || rec.expiresAt > now)) keys.push(key);
    }
    // Names are ASCII, so UTF-16 order is byte order.
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.slice(0, limit).map((key) => ({ key, ...map.get(key)! }));
  }

  /** Drops expired records and counters from memory; returns how many. */
  sweep(now: number): number {
    let dropped = 0;
    for (const [ns, map] of this.records) {
      for (const [key, rec] of map) {
        if (rec.expiresAt !== null && rec.expiresAt <= now) {
          map.delete(key);
          dropped++;
        }
      }
      if (map.size === 0) this.records.delete(ns);
    }
    for (const [name, c] of this.counters) {
      if (c.expiresAt !== null && c.expiresAt <= now) {
        this.counters.delete(name);
        dropped++;
      }
    }
    return dropped;
  }

  /** Every live record and counter as ops (for a snapshot). */
  *snapshotOps(now: number): Generator<Op> {
    for (const [name, c] of this.counters) {
      if (c.expiresAt === null || c.expiresAt > now)
        yield { t: 'counter', name, value: c.value, expiresAt: c.expiresAt };
    }
    for (const [ns, map] of this.records) {
      for (const [key, rec] of map) {
        if (rec.expiresAt === null || rec.expiresAt > now) {
          yield { t: 'put', ns, key, version: rec.version, expiresAt: rec.expiresAt, value: rec.value };
        }
      }
    }
  }
}
