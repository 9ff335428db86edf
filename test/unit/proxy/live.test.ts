import { createFakeClock, systemRandom } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';
import { createLiveHub, type LiveHub } from '../../../src/proxy';
import { LineQueue } from '../../../src/proxy/sessions/line-queue';

/** Pub/sub shared by "replicas" in one process (what Redis does between processes). */
function bus() {
  const subs = new Map<string, Set<(m: string) => void>>();
  return {
    async publish(channel: string, message: string) {
      for (const h of subs.get(channel) ?? []) queueMicrotask(() => h(message));
    },
    async subscribe(channel: string, handler: (m: string) => void) {
      const set = subs.get(channel) ?? new Set();
      subs.set(channel, set);
      set.add(handler);
      return async () => {
        set.delete(handler);
      };
    },
    listeners: (channel: string) => subs.get(channel)?.size ?? 0,
  };
}

/** A fake live session: lines pushed by the test, the header sent to each new subscriber first. */
function source(header = '{"version":2,"width":80,"height":24}\n') {
  const listeners = new Set<(l: string) => void>();
  return {
    subscribe(l: (line: string) => void) {
      l(header);
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit(line: string) {
      for (const l of listeners) l(line);
    },
    get count() {
      return listeners.size;
    },
  };
}

const clock = createFakeClock();

async function hub(
  b: ReturnType<typeof bus>,
  over: Partial<Parameters<typeof createLiveHub>[0]> = {},
): Promise<LiveHub> {
  return createLiveHub({
    store: b,
    clock,
    random: systemRandom,
    logger: createSilentLogger(),
    maxViewers: 4,
    bufferLines: 100,
    leaseMs: 15_000,
    findTimeoutMs: 300,
    ...over,
  });
}

async function take(it: AsyncIterableIterator<string>, n: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('live session viewing', () => {
  it('streams a local session: header first, then events, and finishes when the session ends', async () => {
    const h = await hub(bus());
    const s = source();
    const end = h.register('c1-1', s);
    const it = h.watch('c1-1', { viewer: 'sec@example.com' });
    s.emit('[0.1, "o", "hi"]\n');
    expect(await take(it, 2)).toEqual(['{"version":2,"width":80,"height":24}', '[0.1, "o", "hi"]']);
    expect(h.viewers('c1-1')).toBe(1);
    end();
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect(s.count).toBe(0);
    await h.close();
  });

  it('streams a session running on another replica through pub/sub, and ends with it', async () => {
    const b = bus();
    const owner = await hub(b);
    const viewer = await hub(b);
    const s = source();
    const end = owner.register('c2-1', s);
    const it = viewer.watch('c2-1');
    const first = await take(it, 1);
    expect(first).toEqual(['{"version":2,"width":80,"height":24}']);
    s.emit('[0.2, "o", "remote"]\n');
    expect(await take(it, 1)).toEqual(['[0.2, "o", "remote"]']);
    expect(owner.viewers('c2-1')).toBe(1);
    end();
    expect(await it.next()).toEqual({ value: undefined, done: true });
    await owner.close();
    await viewer.close();
  });

  it('stops the owner streaming when a remote viewer stops renewing its lease', async () => {
    const b = bus();
    const owner = await hub(b, { leaseMs: 1000 });
    const viewer = await hub(b, { leaseMs: 1000 });
    const s = source();
    owner.register('c3-1', s);
    const it = viewer.watch('c3-1');
    await take(it, 1);
    await it.return!();
    clock.advance(2000);
    await new Promise((r) => setTimeout(r, 400)); // the owner's sweep runs every lease/3 (at least 250 ms)
    expect(owner.viewers('c3-1')).toBe(0);
    expect(s.count).toBe(0);
    await owner.close();
    await viewer.close();
  });

  it('says so when no replica runs the session', async () => {
    const h = await hub(bus());
    await expect(h.watch('nope-1').next()).rejects.toMatchObject({ code: 'PROXY_SESSION_NOT_FOUND' });
    await h.close();
  });

  it('refuses viewers beyond the limit, and all viewers when live viewing is off', async () => {
    const b = bus();
    const h = await hub(b, { maxViewers: 1 });
    h.register('c4-1', source());
    h.watch('c4-1');
    expect(() => h.watch('c4-1')).toThrow(expect.objectContaining({ code: 'PROXY_TOO_MANY_VIEWERS' }));
    const off = await hub(b, { maxViewers: 0 });
    expect(() => off.watch('c4-1')).toThrow(expect.objectContaining({ code: 'PROXY_LIVE_DISABLED' }));
    await h.close();
    await off.close();
  });

  it('disconnects a viewer that falls too far behind instead of buffering without bound', async () => {
    let closed = 0;
    const q = new LineQueue(3, () => closed++);
    for (let i = 0; i < 10; i++) q.push(`line ${i}`);
    await expect(q.next()).rejects.toMatchObject({ code: 'PROXY_VIEWER_TOO_SLOW' });
    expect(closed).toBe(1);
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('stops watching when the viewer aborts', async () => {
    const h = await hub(bus());
    const s = source();
    h.register('c5-1', s);
    const ac = new AbortController();
    const it = h.watch('c5-1', { signal: ac.signal });
    await take(it, 1);
    ac.abort();
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect(s.count).toBe(0);
    await h.close();
  });
});
