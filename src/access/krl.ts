import { createHash } from 'node:crypto';
import { encodeKrl, writeFileAtomic, type PublicKey } from '../ca';
import type { Clock, Random } from '../core';
import { BreakglassError } from '../errors';
import type { Logger } from '../logging';
import { updateRecord, type Store } from '../store';
import { NS } from './repository';
import type { IssuedRecord } from './types';

/** Store counter of KRL versions (never reused). */
export const KRL_VERSION_COUNTER = 'access.krl.version';
/** Pub/sub channel telling every replica the KRL changed. */
export const KRL_CHANNEL = 'krl.changed';

interface KrlMeta {
  version: number;
  generatedAt: number;
}

interface RevokedGrant {
  grant: string;
  revokedAt: number;
  /** The grant's end: its certificates are invalid after it, so the entry can go then. */
  endsAt: number;
}

export interface KrlSnapshot {
  readonly bytes: Buffer;
  readonly version: number;
  readonly sha256: string;
  /** Revoked serials in it. */
  readonly serials: number;
}

export interface KrlPublisher {
  /** Records a grant as revoked (durable), bumps the KRL version, rebuilds and writes the file. */
  revokeGrant(grant: string, endsAt: number): Promise<KrlSnapshot>;
  /** The KRL as the store says now (rebuilt when another replica changed it). */
  current(): Promise<KrlSnapshot>;
  /** Rebuilds from the store and rewrites the file when the bytes changed. */
  refresh(): Promise<KrlSnapshot>;
  /** Drops entries of grants whose certificates have all expired. */
  prune(now: number): Promise<number>;
}

export function certKey(grant: string, serial: bigint | string): string {
  return `${grant}/${String(serial).padStart(20, '0')}`;
}

/**
 * The KRL is a pure function of the store (revoked grants, their certificates, the
 * version record), so every replica serves the same bytes. Each replica writes it to
 * its configured file atomically (temporary file, fsync, rename).
 */
export function createKrlPublisher(deps: {
  store: Store;
  caKeys: () => Partial<Record<'user' | 'host-access', PublicKey>>;
  clock: Clock;
  random: Random;
  logger: Logger;
  file?: string;
  /** Extra time after a grant's end before its entries leave the KRL. */
  pruneMarginMs?: number;
}): KrlPublisher {
  const { store, clock, random, logger } = deps;
  const margin = deps.pruneMarginMs ?? 3_600_000;
  let cached: KrlSnapshot | null = null;
  let written: string | null = null;
  let chain: Promise<unknown> = Promise.resolve();

  async function readMeta(): Promise<KrlMeta> {
    const rec = await store.get(NS.krl, 'meta');
    return rec ? (JSON.parse(rec.value) as KrlMeta) : { version: 0, generatedAt: 0 };
  }

  async function bump(): Promise<void> {
    const v = await store.increment(KRL_VERSION_COUNTER);
    const now = clock.now();
    await updateRecord(store, NS.krl, 'meta', (cur) => {
      const meta = cur ? (JSON.parse(cur.value) as KrlMeta) : { version: 0, generatedAt: 0 };
      return meta.version >= v ? null : JSON.stringify({ version: v, generatedAt: now });
    });
  }

  async function build(): Promise<KrlSnapshot> {
    const meta = await readMeta();
    const revoked = (await store.list(NS.revoked)).map((r) => JSON.parse(r.value) as RevokedGrant);
    const byCa = new Map<'user' | 'host-access', bigint[]>();
    for (const g of revoked) {
      for (const row of await store.list(NS.certs, { prefix: `${g.grant}/` })) {
        const c = JSON.parse(row.value) as IssuedRecord;
        const list = byCa.get(c.ca) ?? [];
        list.push(BigInt(c.serial));
        byCa.set(c.ca, list);
      }
    }
    const keys = deps.caKeys();
    const certificates = [...byCa.entries()]
      .filter(([ca]) => keys[ca] !== undefined)
      .map(([ca, serials]) => ({ ca: keys[ca]!, serials }));
    const bytes = encodeKrl({
      version: meta.version,
      generatedAt: meta.generatedAt,
      comment: 'breakglass',
      certificates,
    });
    const serials = certificates.reduce((n, c) => n + c.serials.length, 0);
    return {
      bytes,
      version: meta.version,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      serials,
    };
  }

  function writeFile(snap: KrlSnapshot): void {
    if (!deps.file || written === snap.sha256) return;
    try {
      writeFileAtomic(deps.file, snap.bytes, 0o644, random);
      written = snap.sha256;
    } catch (err) {
      logger.error('could not write the KRL file', { file: deps.file, error: (err as Error).message });
      throw new BreakglassError(
        'ACCESS_KRL_WRITE_FAILED',
        `the KRL could not be written to ${deps.file}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Serialises rebuilds so the file is never written out of order. */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  }

  const refresh = () =>
    serial(async () => {
      const snap = await build();
      cached = snap;
      writeFile(snap);
      return snap;
    });

  return {
    async revokeGrant(grant, endsAt) {
      const entry: RevokedGrant = { grant, revokedAt: clock.now(), endsAt };
      await store.put(NS.revoked, grant, JSON.stringify(entry));
      await bump();
      return refresh();
    },
    async current() {
      const meta = await readMeta();
      if (cached && cached.version === meta.version) return cached;
      return refresh();
    },
    refresh,
    async prune(now) {
      let dropped = 0;
      for (const row of await store.list(NS.revoked)) {
        const g = JSON.parse(row.value) as RevokedGrant;
        if (g.endsAt + margin < now) {
          await store.delete(NS.revoked, row.key, { ifVersion: row.version }).catch(() => false);
          dropped++;
        }
      }
      if (dropped > 0) {
        await bump();
        await refresh();
      }
      return dropped;
    },
  };
}
