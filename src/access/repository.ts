import type { Clock, Random } from '../core';
import { BreakglassError, hasCode } from '../errors';
import type { Store } from '../store';
import { nextDeadline, transition } from './machine';
import type { AccessEvent, AuditDraft, Transition } from './transition';
import type { AccessRecord } from './types';

export const NS = {
  requests: 'access.requests',
  /** Index of records that still need the sweeper: key = request id, value = deadline. */
  open: 'access.open',
  certs: 'access.certs',
  revoked: 'access.revoked',
  krl: 'access.krl',
  joinTokens: 'access.join-tokens',
  hosts: 'access.hosts',
  taints: 'access.taints',
} as const;

export interface AuditAppender {
  append(
    event:
      | AuditDraft
      | {
          type: string;
          actor: string;
          target?: string;
          data: Record<string, unknown>;
          policy_version?: string;
        },
  ): Promise<unknown>;
}

export interface RepositoryDeps {
  store: Store;
  audit: AuditAppender;
  clock: Clock;
  random: Random;
  /** Lease lifetime: a change that takes longer than this loses its lease. */
  leaseMs: number;
}

export interface Applied {
  /** The record after the event (as found, when nothing changed). */
  readonly record: AccessRecord;
  /** Null when the event changed nothing. */
  readonly transition: Transition | null;
}

export interface Repository {
  get(id: string): Promise<AccessRecord | null>;
  /** Every request, oldest first (ids sort by creation time); at most `limit`. */
  list(limit?: number): Promise<AccessRecord[]>;
  /** Ids of requests that are pending or active (or revoked and not yet in the KRL). */
  openIds(): Promise<string[]>;
  /** Files a new request: audit first, then the record (see docs/access.md, "Audit before state"). */
  create(event: Extract<AccessEvent, { type: 'create' }>): Promise<Applied>;
  /**
   * Applies an event to an existing request under a lease: CAS-take the lease, append
   * the audit entries (durable), CAS-write the next record. A failed audit append
   * gives the lease back and leaves the record as it was.
   */
  apply(id: string, build: (record: AccessRecord) => AccessEvent): Promise<Applied>;
  /** Read-modify-write without a state transition (bookkeeping such as `revocationPublished`). */
  patch(id: string, fn: (record: AccessRecord) => AccessRecord | null): Promise<AccessRecord | null>;
  /** Removes a request from the sweeper's index when nothing is left to do for it. */
  settle(record: AccessRecord): Promise<void>;
}

function parse(value: string): AccessRecord {
  return JSON.parse(value) as AccessRecord;
}

function withoutLease(r: AccessRecord): AccessRecord {
  if (!r.lease) return r;
  const copy = { ...r };
  delete (copy as { lease?: unknown }).lease;
  return copy;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createRepository(deps: RepositoryDeps): Repository {
  const { store, audit, clock, random, leaseMs } = deps;
  // Parsed records by id, reused while the stored text is unchanged (certificate
  // issuance reads the same grant thousands of times).
  const parsed = new Map<string, { value: string; record: AccessRecord }>();
  function decode(id: string, value: string): AccessRecord {
    const hit = parsed.get(id);
    if (hit && hit.value === value) return hit.record;
    const record = withoutLease(parse(value));
    if (parsed.size >= 4096) parsed.clear();
    parsed.set(id, { value, record });
    return record;
  }

  async function appendAll(drafts: readonly AuditDraft[]): Promise<void> {
    for (const d of drafts) await audit.append(d);
  }

  async function index(record: AccessRecord): Promise<void> {
    const deadline = nextDeadline(record);
    if (deadline !== null || (record.status === 'revoked' && !record.revocationPublished)) {
      await store.put(NS.open, record.id, String(deadline ?? 0));
    }
  }

  async function settle(record: AccessRecord): Promise<void> {
    if (nextDeadline(record) === null && !(record.status === 'revoked' && !record.revocationPublished))
      await store.delete(NS.open, record.id);
  }

  return {
    async get(id) {
      const rec = await store.get(NS.requests, id);
      return rec ? decode(id, rec.value) : null;
    },
    async list(limit = 10_000) {
      const rows = await store.list(NS.requests, { limit });
      return rows.map((r) => withoutLease(parse(r.value)));
    },
    async openIds() {
      return (await store.list(NS.open)).map((r) => r.key);
    },
    async create(event) {
      const t = transition(null, event, clock.now())!;
      await appendAll(t.audit);
      // The index entry goes first: a record that needs the sweeper always has one.
      await index(t.record);
      await store.put(NS.requests, event.id, JSON.stringify(t.record), { ifVersion: 0 });
      return { record: t.record, transition: t };
    },
    async apply(id, build) {
      const giveUp = Date.now() + leaseMs;
      for (let attempt = 0; ; attempt++) {
        const cur = await store.get(NS.requests, id);
        if (!cur)
          throw new BreakglassError('ACCESS_NOT_FOUND', `no request ${id}`, { details: { request_id: id } });
        const stored = parse(cur.value);
        const now = clock.now();
        if (stored.lease && stored.lease.until > now) {
          if (Date.now() > giveUp)
            throw new BreakglassError(
              'ACCESS_BUSY',
              `request ${id} is being changed by someone else; try again`,
              {
                details: { request_id: id },
              },
            );
          await sleep(2 + Math.floor(random.bytes(1)[0]! / 16) + Math.min(attempt, 20));
          continue;
        }
        const record = withoutLease(stored);
        const t = transition(record, build(record), now);
        if (!t) return { record, transition: null };
        const leased: AccessRecord = {
          ...record,
          lease: { token: random.bytes(9).toString('base64url'), until: now + leaseMs },
        };
        try {
          await store.put(NS.requests, id, JSON.stringify(leased), { ifVersion: cur.version });
        } catch (err) {
          if (hasCode(err, 'STORE_CONFLICT')) continue;
          throw err;
        }
        try {
          await appendAll(t.audit);
        } catch (err) {
          // Nothing happened: give the lease back (best effort; it also lapses by itself).
          await store
            .put(NS.requests, id, JSON.stringify(record), { ifVersion: cur.version + 1 })
            .catch(() => undefined);
          throw err;
        }
        await index(t.record);
        try {
          await store.put(NS.requests, id, JSON.stringify(t.record), { ifVersion: cur.version + 1 });
        } catch (err) {
          if (hasCode(err, 'STORE_CONFLICT'))
            throw new BreakglassError(
              'ACCESS_BUSY',
              `the change to request ${id} took longer than its lease and was not applied; try again`,
              {
                details: { request_id: id },
              },
            );
          throw err;
        }
        await settle(t.record);
        return { record: t.record, transition: t };
      }
    },
    async patch(id, fn) {
      for (let attempt = 0; attempt < 50; attempt++) {
        const cur = await store.get(NS.requests, id);
        if (!cur) return null;
        const stored = parse(cur.value);
        if (stored.lease && stored.lease.until > clock.now()) {
          await sleep(5 + attempt);
          continue;
        }
        const next = fn(withoutLease(stored));
        if (next === null) return withoutLease(stored);
        try {
          await store.put(NS.requests, id, JSON.stringify(next), { ifVersion: cur.version });
          return next;
        } catch (err) {
          if (!hasCode(err, 'STORE_CONFLICT')) throw err;
        }
      }
      throw new BreakglassError('ACCESS_BUSY', `request ${id} kept changing; try again`, {
        details: { request_id: id },
      });
    },
    settle,
  };
}
