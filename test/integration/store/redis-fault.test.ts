import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { systemClock } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';
import { RedisStore, type LogHead, type Store } from '../../../src/store';
import { startRedis, type RedisServer } from '../../helpers/redis';

const TIMEOUT_MS = 500;
/** Generous bound for "fails within the timeout, never hangs" (not a speed measurement). */
const NEVER_HANGS_MS = TIMEOUT_MS + 4000;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis({ aof: true, appendfsync: 'always' });
});
afterAll(async () => {
  await redis.stop();
});

function connect(prefix: string): Promise<RedisStore> {
  return RedisStore.connect({
    url: redis.url,
    keyPrefix: prefix,
    commandTimeoutMs: TIMEOUT_MS,
    connectTimeoutMs: TIMEOUT_MS,
    maxBackoffMs: 100,
    appendRetries: 50,
    logger: createSilentLogger(),
    clock: systemClock,
  });
}

/** The error code the call settles with, or 'hung' when it does not settle in time. */
async function settle(p: Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<string>((r) => (timer = setTimeout(() => r('hung'), NEVER_HANGS_MS)));
  const outcome = p.then(
    () => 'resolved',
    (err: { code?: string }) => err.code ?? String(err),
  );
  try {
    return await Promise.race([outcome, hung]);
  } finally {
    clearTimeout(timer);
  }
}

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const chained = (label: string) => (head: LogHead) => {
  const data = JSON.stringify({ prev: head.hash, label });
  return { data, hash: sha(`${head.hash ?? ''}|${data}`) };
};

async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not happen within ${ms} ms`);
}

describe('redis store when redis-server is killed and restarted', () => {
  it('fails cleanly while Redis is down, recovers by itself, and loses no acknowledged write (AOF always)', async () => {
    const store = await connect('fault:');
    const peer = await connect('fault:');
    const received: string[] = [];
    await peer.subscribe('revocations', (m) => received.push(m));

    const acked = {
      puts: new Map<string, number>(),
      serials: [] as number[],
      entries: new Map<number, string>(),
    };
    const codes = new Set<string>();
    let stop = false;
    let n = 0;
    const worker = async (s: Store) => {
      while (!stop) {
        const i = n++;
        const key = `k${i}`;
        try {
          const [version, serial, entry] = await Promise.all([
            s.put('w', key, `v${i}`),
            s.increment('serial'),
            s.append('audit', chained(key)),
          ]);
          acked.puts.set(key, version);
          acked.serials.push(serial);
          acked.entries.set(entry.seq, entry.hash);
        } catch (err) {
          codes.add((err as { code?: string }).code ?? String(err));
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, i) => worker(i % 2 ? peer : store));
    await until('some writes', async () => acked.entries.size >= 100);

    await redis.kill();
    const during = await Promise.all([
      settle(store.get('w', 'k0')),
      settle(store.put('w', 'down', 'x')),
      settle(store.increment('serial')),
      settle(store.append('audit', chained('down'))),
      settle(store.readLog('audit', 1)),
      settle(store.publish('revocations', 'while down')),
      settle(store.subscribe('other', () => undefined)),
    ]);
    expect(during).toEqual(Array(7).fill('STORE_UNAVAILABLE'));
    expect(await store.health()).toMatchObject({ ok: false, driver: 'redis' });
    const ackedWhileDown = acked.entries.size;

    await redis.restart();
    await until('writes succeed again', async () => acked.entries.size > ackedWhileDown + 50);
    await until('health ok', async () => (await store.health()).ok && (await peer.health()).ok);
    stop = true;
    await Promise.all(workers);
    expect([...codes]).toEqual(['STORE_UNAVAILABLE']);

    // Nothing acknowledged was lost.
    for (const [key, version] of acked.puts)
      expect(await store.get('w', key)).toMatchObject({ value: `v${key.slice(1)}`, version });
    expect(new Set(acked.serials).size).toBe(acked.serials.length);
    expect(await store.increment('serial')).toBeGreaterThan(Math.max(...acked.serials));
    const head = await store.head('audit');
    const entries = [];
    for (let from = 1; from <= head.seq; from += 10_000)
      entries.push(...(await store.readLog('audit', from, 10_000)));
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: head.seq }, (_, i) => i + 1));
    let prev: string | null = null;
    for (const e of entries) {
      expect((JSON.parse(e.data) as { prev: string | null }).prev).toBe(prev);
      prev = e.hash;
    }
    for (const [seq, hash] of acked.entries) expect(entries[seq - 1]?.hash).toBe(hash);

    // The subscription came back with the connection.
    await until('a message after the restart', async () => {
      await store.publish('revocations', 'after restart');
      await new Promise((r) => setTimeout(r, 50));
      return received.includes('after restart');
    });

    await Promise.all([store.close(), peer.close()]);
  });

  it('fails with STORE_UNAVAILABLE within the timeout when Redis was never reachable, and says so in health', async () => {
    const store = await RedisStore.connect({
      url: 'redis://127.0.0.1:1/0',
      keyPrefix: 'none:',
      commandTimeoutMs: TIMEOUT_MS,
      connectTimeoutMs: TIMEOUT_MS,
      maxBackoffMs: 100,
      appendRetries: 5,
      logger: createSilentLogger(),
      clock: systemClock,
    });
    expect(await settle(store.put('ns', 'k', 'v'))).toBe('STORE_UNAVAILABLE');
    expect(await settle(store.append('audit', chained('x')))).toBe('STORE_UNAVAILABLE');
    const health = await store.health();
    expect(health).toMatchObject({
      ok: false,
      driver: 'redis',
      reason: expect.stringMatching(/not reachable/),
    });
    await store.close();
  });

  it('sets a Redis-side expiry on records with a TTL, so Redis reclaims them', async () => {
    const store = await connect('ttl:');
    await store.put('ns', 'short', 'v', { ttlMs: 60_000 });
    await store.put('ns', 'forever', 'v');
    const raw = new Redis(redis.url);
    try {
      const ttl = await raw.pttl('ttl:r|ns|short');
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      expect(await raw.pttl('ttl:r|ns|forever')).toBe(-1);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});
