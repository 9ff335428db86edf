import { createHash } from 'node:crypto';
import type { FakeClock } from '../../../src/core';
import type { ErrorCode } from '../../../src/errors';
import {
  MAX_VALUE_BYTES,
  updateRecord,
  type LogEntryBuilder,
  type LogHead,
  type Store,
} from '../../../src/store';

/** What the suite runs against: a fresh, empty store per test. */
export interface StoreHarness {
  store: Store;
  /** A second handle on the same state: another replica (Redis) or the same store (embedded, one process). */
  peer: Store;
  /** The clock both handles use for expiry. */
  clock: FakeClock;
  close(): Promise<void>;
}

export type HarnessFactory = () => Promise<StoreHarness>;

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'resolved' | 'other'> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return ((err as { code?: ErrorCode }).code ?? 'other') as ErrorCode;
  }
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** A hash chain entry as the audit log will build it: it names the previous hash. */
const chained =
  (label: string): LogEntryBuilder =>
  (head: LogHead) => {
    const data = JSON.stringify({ prev: head.hash, n: head.seq + 1, label });
    return { data, hash: sha(`${head.hash ?? ''}|${data}`) };
  };

/**
 * The store contract (src/store/types.ts), run unchanged against every implementation.
 */
export function describeStoreConformance(name: string, open: HarnessFactory): void {
  describe(`${name} store conformance`, () => {
    let h: StoreHarness;
    let store: Store;
    let peer: Store;
    let clock: FakeClock;

    beforeEach(async () => {
      h = await open();
      ({ store, peer, clock } = h);
    });
    afterEach(async () => {
      await h.close();
    });

    describe('records', () => {
      it('returns null for a record that was never written', async () => {
        expect(await store.get('ns', 'missing')).toBeNull();
      });

      it('creates a record at version 1 and increases the version by one on every write', async () => {
        expect(await store.put('ns', 'k', 'a')).toBe(1);
        expect(await store.put('ns', 'k', 'b')).toBe(2);
        expect(await peer.put('ns', 'k', 'c')).toBe(3);
        expect(await store.get('ns', 'k')).toEqual({ value: 'c', version: 3, expiresAt: null });
      });

      it.each([
        ['ifVersion 0 on a missing record creates it', [], 0, 'resolved', 'new', 1],
        ['ifVersion 0 on an existing record conflicts', ['x'], 0, 'STORE_CONFLICT', 'x', 1],
        ['the current version writes', ['x', 'y'], 2, 'resolved', 'new', 3],
        ['a stale version conflicts and changes nothing', ['x', 'y'], 1, 'STORE_CONFLICT', 'y', 2],
        ['a future version conflicts', ['x'], 5, 'STORE_CONFLICT', 'x', 1],
        ['a version on a missing record conflicts', [], 1, 'STORE_CONFLICT', null, 0],
      ] as const)('compare-and-set: %s', async (_label, before, ifVersion, outcome, value, version) => {
        for (const v of before) await store.put('cas', 'k', v);
        expect(await codeOf(store.put('cas', 'k', 'new', { ifVersion }))).toBe(outcome);
        const rec = await peer.get('cas', 'k');
        expect(rec?.value ?? null).toBe(value);
        expect(rec?.version ?? 0).toBe(version);
      });

      it('names the current version in a conflict', async () => {
        await store.put('cas', 'k', 'x');
        await expect(store.put('cas', 'k', 'y', { ifVersion: 7 })).rejects.toMatchObject({
          code: 'STORE_CONFLICT',
          details: { ns: 'cas', key: 'k', expected: 7, current: 1 },
        });
      });

      it('lets exactly one of many concurrent create-if-absent writes win', async () => {
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            codeOf((i % 2 ? peer : store).put('race', 'k', `w${i}`, { ifVersion: 0 })),
          ),
        );
        expect(results.filter((r) => r === 'resolved')).toHaveLength(1);
        expect(results.filter((r) => r === 'STORE_CONFLICT')).toHaveLength(39);
        expect((await store.get('race', 'k'))?.version).toBe(1);
      });

      it.each([
        ['deletes an existing record', true, undefined, 'resolved'],
        ['deletes with the current version', true, 1, 'resolved'],
        ['refuses a stale version and keeps the record', true, 2, 'STORE_CONFLICT'],
        ['reports false for a missing record', false, undefined, 'resolved'],
      ] as const)('delete %s', async (_label, exists, ifVersion, outcome) => {
        if (exists) await store.put('del', 'k', 'v');
        const p = store.delete('del', 'k', ifVersion === undefined ? undefined : { ifVersion });
        if (outcome === 'resolved') expect(await p).toBe(exists);
        else expect(await codeOf(p)).toBe(outcome);
        expect((await peer.get('del', 'k')) !== null).toBe(outcome !== 'resolved' && exists);
      });

      it('starts again at version 1 after a delete', async () => {
        await store.put('del', 'k', 'a');
        await store.put('del', 'k', 'b');
        await store.delete('del', 'k');
        expect(await store.put('del', 'k', 'c', { ifVersion: 0 })).toBe(1);
      });

      it.each([
        ['empty', ''],
        ['JSON', JSON.stringify({ a: [1, 'two', null], b: { c: true } })],
        ['unicode', 'Grüße, 世界 🔐 \u0000 \n\t"\\'],
        ['spaces and newlines', '  a b\nc  '],
        ['1 MiB', 'x'.repeat(1 << 20)],
      ])('stores a %s value exactly', async (_label, value) => {
        await store.put('vals', 'k', value);
        expect((await peer.get('vals', 'k'))?.value).toBe(value);
      });

      it('accepts a value of exactly 16 MiB', async () => {
        const value = 'é'.repeat(MAX_VALUE_BYTES / 2);
        await store.put('vals', 'big', value);
        expect((await store.get('vals', 'big'))?.value.length).toBe(value.length);
      });
    });

    describe('expiry', () => {
      it('keeps a record until its TTL has passed, then it no longer exists', async () => {
        const t0 = clock.now();
        await store.put('ttl', 'k', 'v', { ttlMs: 1000 });
        expect(await store.get('ttl', 'k')).toEqual({ value: 'v', version: 1, expiresAt: t0 + 1000 });
        clock.advance(999);
        expect(await peer.get('ttl', 'k')).not.toBeNull();
        clock.advance(1);
        expect(await store.get('ttl', 'k')).toBeNull();
        expect(await peer.get('ttl', 'k')).toBeNull();
        expect(await store.list('ttl')).toEqual([]);
      });

      it('treats an expired record as absent for compare-and-set and delete, restarting at version 1', async () => {
        await store.put('ttl', 'k', 'a');
        await store.put('ttl', 'k', 'b', { ttlMs: 10 });
        clock.advance(10);
        expect(await codeOf(store.put('ttl', 'k', 'c', { ifVersion: 2 }))).toBe('STORE_CONFLICT');
        expect(await store.delete('ttl', 'k')).toBe(false);
        expect(await store.put('ttl', 'k', 'c', { ifVersion: 0 })).toBe(1);
      });

      it('sets the TTL anew on each put, and a put without TTL keeps the record forever', async () => {
        await store.put('ttl', 'k', 'a', { ttlMs: 100 });
        clock.advance(60);
        await store.put('ttl', 'k', 'b', { ttlMs: 100 });
        clock.advance(60);
        expect((await store.get('ttl', 'k'))?.value).toBe('b');
        await store.put('ttl', 'k', 'c');
        clock.advance(1_000_000);
        expect(await store.get('ttl', 'k')).toEqual({ value: 'c', version: 3, expiresAt: null });
      });

      it('restarts a windowed counter at 1 once its window (from the first increment) has passed', async () => {
        expect(await store.increment('rate:alice', { windowMs: 1000 })).toBe(1);
        clock.advance(600);
        expect(await peer.increment('rate:alice', { windowMs: 1000 })).toBe(2);
        clock.advance(400);
        expect(await store.increment('rate:alice', { windowMs: 1000 })).toBe(1);
        expect(await store.increment('rate:alice', { windowMs: 1000 })).toBe(2);
      });
    });

    describe('listing', () => {
      const keys = ['b', 'a', 'A', 'a/1', 'a:2', 'a.3', '0', 'ab', 'a-4', 'z@x', '_u'];

      it('lists live records of one namespace in byte order of their keys', async () => {
        for (const k of keys) await store.put('list', k, `v-${k}`);
        await store.put('other', 'a', 'elsewhere');
        const listed = await peer.list('list');
        expect(listed.map((r) => r.key)).toEqual(
          [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
        );
        expect(listed.find((r) => r.key === 'a/1')).toEqual({
          key: 'a/1',
          value: 'v-a/1',
          version: 1,
          expiresAt: null,
        });
      });

      it.each([
        [{ prefix: 'a' }, ['a', 'a-4', 'a.3', 'a/1', 'a:2', 'ab']],
        [{ prefix: 'a/' }, ['a/1']],
        [{ prefix: 'nothing' }, []],
        [{ limit: 3 }, ['0', 'A', '_u']],
        [{ prefix: 'a', limit: 2 }, ['a', 'a-4']],
        [{}, ['0', 'A', '_u', 'a', 'a-4', 'a.3', 'a/1', 'a:2', 'ab', 'b', 'z@x']],
      ])('lists with %j', async (options, expected) => {
        for (const k of keys) await store.put('list', k, 'v');
        expect((await store.list('list', options)).map((r) => r.key)).toEqual(expected);
      });

      it('leaves out expired and deleted records, and fills the limit with live ones', async () => {
        await store.put('list', 'a', 'v', { ttlMs: 5 });
        await store.put('list', 'b', 'v');
        await store.put('list', 'c', 'v');
        await store.put('list', 'd', 'v');
        await store.delete('list', 'b');
        clock.advance(5);
        expect((await store.list('list', { limit: 2 })).map((r) => r.key)).toEqual(['c', 'd']);
      });

      it('returns an empty list for an unknown namespace', async () => {
        expect(await store.list('never')).toEqual([]);
      });
    });

    describe('read-modify-write (updateRecord)', () => {
      it('applies every one of many concurrent updates exactly once', async () => {
        const bump = (cur: { value: string } | null) =>
          JSON.stringify({ n: cur ? (JSON.parse(cur.value) as { n: number }).n + 1 : 1 });
        await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            updateRecord(i % 2 ? peer : store, 'upd', 'count', bump, { maxAttempts: 40, clock }),
          ),
        );
        const rec = await store.get('upd', 'count');
        expect(JSON.parse(rec!.value)).toEqual({ n: 12 });
        expect(rec!.version).toBe(12);
      });

      it('leaves the record alone when the function returns null', async () => {
        await store.put('upd', 'k', 'same');
        const out = await updateRecord(store, 'upd', 'k', () => null, { clock });
        expect(out).toEqual({ value: 'same', version: 1, expiresAt: null });
      });

      it('keeps the remaining lifetime of the record by default', async () => {
        const t0 = clock.now();
        await store.put('upd', 'k', 'v', { ttlMs: 1000 });
        clock.advance(400);
        const out = await updateRecord(store, 'upd', 'k', (c) => `${c!.value}+`, { clock });
        expect(out).toEqual({ value: 'v+', version: 2, expiresAt: t0 + 1000 });
        expect((await store.get('upd', 'k'))?.expiresAt).toBe(t0 + 1000);
      });

      it('gives up with STORE_CONFLICT when the record keeps changing', async () => {
        await store.put('upd', 'k', '0');
        let calls = 0;
        const meddle = async () => {
          calls++;
          await peer.put('upd', 'k', `meddled ${calls}`);
          return 'mine';
        };
        await expect(
          updateRecord(store, 'upd', 'k', meddle, { maxAttempts: 3, clock }),
        ).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
        expect(calls).toBe(3);
        expect((await store.get('upd', 'k'))?.value).toBe('meddled 3');
      });
    });

    describe('counters', () => {
      it('starts at 1 and counts up', async () => {
        expect(await store.increment('serial')).toBe(1);
        expect(await store.increment('serial')).toBe(2);
        expect(await store.increment('other')).toBe(1);
      });

      it('hands out unique, non-zero, gap-free values to many concurrent callers', async () => {
        const values = await Promise.all(
          Array.from({ length: 400 }, (_, i) => (i % 2 ? peer : store).increment('serial')),
        );
        expect(new Set(values).size).toBe(400);
        expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
      });
    });

    describe('append-only logs', () => {
      it('has an empty head and no entries before the first append', async () => {
        expect(await store.head('audit')).toEqual({ seq: 0, hash: null });
        expect(await store.readLog('audit', 1)).toEqual([]);
      });

      it('numbers entries from 1 and shows each builder the head before it', async () => {
        const seen: LogHead[] = [];
        const spy: LogEntryBuilder = (head) => {
          seen.push(head);
          return chained('x')(head);
        };
        const e1 = await store.append('audit', spy);
        const e2 = await peer.append('audit', spy);
        expect(e1.seq).toBe(1);
        expect(e2.seq).toBe(2);
        expect(seen[0]).toEqual({ seq: 0, hash: null });
        expect(seen[seen.length - 1]).toEqual({ seq: 1, hash: e1.hash });
        expect(await store.head('audit')).toEqual({ seq: 2, hash: e2.hash });
        expect(await peer.readLog('audit', 1)).toEqual([e1, e2]);
      });

      it('forms one gap-free chain from many concurrent appenders, each built on the true previous head', async () => {
        const results = await Promise.all(
          Array.from({ length: 300 }, (_, i) => (i % 3 ? store : peer).append('audit', chained(`c${i}`))),
        );
        const entries = await store.readLog('audit', 1, 10_000);
        expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
        let prev: string | null = null;
        for (const e of entries) {
          const data = JSON.parse(e.data) as { prev: string | null; n: number };
          expect(data.prev).toBe(prev);
          expect(data.n).toBe(e.seq);
          expect(e.hash).toBe(sha(`${prev ?? ''}|${e.data}`));
          prev = e.hash;
        }
        // What each caller was told is exactly what was stored.
        for (const r of results) expect(entries[r.seq - 1]).toEqual(r);
        expect(await peer.head('audit')).toEqual({ seq: 300, hash: prev });
      });

      it('pages through a log with readLog(fromSeq, limit)', async () => {
        for (let i = 0; i < 25; i++) await store.append('pages', chained(`p${i}`));
        const seqs = async (from: number, limit?: number) =>
          (await peer.readLog('pages', from, limit)).map((e) => e.seq);
        expect(await seqs(1, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(await seqs(11, 10)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
        expect(await seqs(21, 10)).toEqual([21, 22, 23, 24, 25]);
        expect(await seqs(26, 10)).toEqual([]);
        expect(await seqs(24)).toEqual([24, 25]);
        expect(await seqs(0, 2)).toEqual([1, 2]);
      });

      it('keeps logs apart and stores entry data exactly', async () => {
        const data = 'line one\nline two with  spaces \u{1F510}';
        await store.append('log-a', () => ({ data, hash: 'sha256:abc' }));
        await store.append('log-b', () => ({ data: '', hash: 'h2' }));
        expect(await store.readLog('log-a', 1)).toEqual([{ seq: 1, hash: 'sha256:abc', data }]);
        expect(await store.readLog('log-b', 1)).toEqual([{ seq: 1, hash: 'h2', data: '' }]);
      });

      it.each([
        [
          'throws',
          () => {
            throw new Error('builder failed');
          },
          'other',
        ],
        ['returns a hash with a space', () => ({ data: 'd', hash: 'a b' }), 'STORE_INVALID_ARGUMENT'],
        ['returns an empty hash', () => ({ data: 'd', hash: '' }), 'STORE_INVALID_ARGUMENT'],
        ['returns non-string data', () => ({ data: 42, hash: 'h' }), 'STORE_INVALID_ARGUMENT'],
        ['returns nothing', () => undefined, 'STORE_INVALID_ARGUMENT'],
      ])('rejects an append whose builder %s and leaves the log as it was', async (_label, build, code) => {
        const first = await store.append('bad', chained('ok'));
        expect(await codeOf(store.append('bad', build as unknown as LogEntryBuilder))).toBe(code);
        expect(await store.head('bad')).toEqual({ seq: 1, hash: first.hash });
        const next = await store.append('bad', chained('ok2'));
        expect(next.seq).toBe(2);
      });
    });

    describe('publish/subscribe', () => {
      const nextMessage = (s: Store, channel: string) =>
        new Promise<string>((resolve) => {
          void s.subscribe(channel, resolve);
        });

      it('delivers a message to every subscriber, on another instance too', async () => {
        const got: string[] = [];
        await peer.subscribe('events', (m) => got.push(`peer:${m}`));
        await store.subscribe('events', (m) => got.push(`store:${m}`));
        const done = new Promise<void>((resolve) => {
          void peer.subscribe('events', () => resolve());
        });
        await new Promise((r) => setTimeout(r, 10));
        await store.publish('events', 'grant.revoked {"id":"g1"}');
        await done;
        await new Promise((r) => setTimeout(r, 20));
        expect(got.sort()).toEqual(['peer:grant.revoked {"id":"g1"}', 'store:grant.revoked {"id":"g1"}']);
      });

      it('stops delivering after unsubscribe, and keeps channels apart', async () => {
        const got: string[] = [];
        let first!: () => void;
        const firstArrived = new Promise<void>((r) => (first = r));
        const off = await peer.subscribe('a', (m) => {
          got.push(`a:${m}`);
          first();
        });
        const marker = nextMessage(peer, 'b');
        await new Promise((r) => setTimeout(r, 10));
        await store.publish('a', '1');
        await firstArrived;
        await off();
        await store.publish('a', '2');
        await store.publish('b', 'end');
        expect(await marker).toBe('end');
        expect(got).toEqual(['a:1']);
      });

      it('keeps delivering to other handlers when one throws', async () => {
        await peer.subscribe('x', () => {
          throw new Error('handler bug');
        });
        const got = nextMessage(peer, 'x');
        await new Promise((r) => setTimeout(r, 10));
        await store.publish('x', 'still here');
        expect(await got).toBe('still here');
      });
    });

    describe('bad input', () => {
      const big = 'x'.repeat(MAX_VALUE_BYTES + 1);
      const cases: Array<[string, (s: Store) => Promise<unknown>]> = [
        ['an empty namespace', (s) => s.put('', 'k', 'v')],
        ['a namespace with a space', (s) => s.get('a b', 'k')],
        ['a key with a newline', (s) => s.put('ns', 'k\n', 'v')],
        ['a key of 201 characters', (s) => s.put('ns', 'k'.repeat(201), 'v')],
        ['a non-ASCII key', (s) => s.put('ns', 'clé', 'v')],
        ['a key with a pipe', (s) => s.delete('ns', 'a|b')],
        ['a value over 16 MiB', (s) => s.put('ns', 'k', big)],
        ['a value with a lone surrogate', (s) => s.put('ns', 'k', 'a\uD800b')],
        ['a value with a surrogate pair in the wrong order', (s) => s.put('ns', 'k', 'a\uDE25\uD83D')],
        ['a non-string value', (s) => s.put('ns', 'k', 42 as unknown as string)],
        ['a TTL of 0', (s) => s.put('ns', 'k', 'v', { ttlMs: 0 })],
        ['a fractional TTL', (s) => s.put('ns', 'k', 'v', { ttlMs: 1.5 })],
        ['a negative ifVersion', (s) => s.put('ns', 'k', 'v', { ifVersion: -1 })],
        ['a NaN ifVersion', (s) => s.delete('ns', 'k', { ifVersion: NaN })],
        ['a list limit of 0', (s) => s.list('ns', { limit: 0 })],
        ['a list limit over 10,000', (s) => s.list('ns', { limit: 10_001 })],
        ['a list prefix with a space', (s) => s.list('ns', { prefix: 'a b' })],
        ['a counter window of 0', (s) => s.increment('c', { windowMs: 0 })],
        ['an invalid counter name', (s) => s.increment('c*')],
        ['an invalid log name', (s) => s.append('log#1', chained('x'))],
        ['a builder that is not a function', (s) => s.append('log', 'x' as unknown as LogEntryBuilder)],
        ['a negative fromSeq', (s) => s.readLog('log', -1)],
        ['a readLog limit over 10,000', (s) => s.readLog('log', 1, 10_001)],
        ['an invalid channel', (s) => s.publish('chan nel', 'm')],
        ['a message over 16 MiB', (s) => s.publish('chan', big)],
        ['a handler that is not a function', (s) => s.subscribe('chan', null as unknown as () => void)],
      ];

      it.each(cases)('rejects %s with STORE_INVALID_ARGUMENT and changes nothing', async (_label, call) => {
        await store.put('ns', 'k', 'before');
        expect(await codeOf(call(store))).toBe('STORE_INVALID_ARGUMENT');
        expect(await store.get('ns', 'k')).toEqual({ value: 'before', version: 1, expiresAt: null });
        expect(await store.head('log')).toEqual({ seq: 0, hash: null });
      });
    });

    describe('health and close', () => {
      it('reports healthy while open', async () => {
        expect(await store.health()).toEqual({ ok: true, driver: store.driver });
      });

      it('finishes writes already started, then rejects every call with STORE_CLOSED', async () => {
        const started = [store.put('ns', 'k', 'v'), store.increment('c'), store.append('log', chained('x'))];
        await store.close();
        await expect(Promise.all(started)).resolves.toHaveLength(3);
        const calls: Array<Promise<unknown>> = [
          store.get('ns', 'k'),
          store.put('ns', 'k', 'v'),
          store.delete('ns', 'k'),
          store.list('ns'),
          store.increment('c'),
          store.append('log', chained('y')),
          store.readLog('log', 1),
          store.head('log'),
          store.publish('chan', 'm'),
          store.subscribe('chan', () => undefined),
        ];
        for (const call of calls) expect(await codeOf(call)).toBe('STORE_CLOSED');
        expect((await store.health()).ok).toBe(false);
        await store.close();
      });
    });
  });
}
