import express, { type NextFunction, type Request, type Response } from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { createFakeClock } from '../../../src/core';
import type { Store } from '../../../src/store';
import { rateLimit } from '../../../src/web';
import { LocalWindowCounters, localWindowCounters } from '../../../src/web/rate-limit';
import { memoryStore } from '../../fixtures/identity/memory-store';

const T0 = Date.UTC(2026, 0, 1);

/** An app behind one limiter; errors become `status code` lines. */
function appWith(limiter: ReturnType<typeof rateLimit>) {
  const app = express();
  app.get('/x', limiter, (_req, res) => {
    res.send('ok');
  });
  app.use((err: { status?: number; code?: string }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).send(String(err.code));
  });
  return app;
}

const statuses = async (app: express.Express, n: number) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await request(app).get('/x')).status);
  return out;
};

describe('in-process rate-limit windows (embedded store)', () => {
  it.each<[string, Array<[string, number]>, number[]]>([
    [
      'counts hits within a window',
      [
        ['a', 0],
        ['a', 10],
        ['a', 999],
      ],
      [1, 2, 3],
    ],
    [
      'starts again once the window has ended',
      [
        ['a', 0],
        ['a', 999],
        ['a', 1000],
        ['a', 1001],
      ],
      [1, 2, 1, 2],
    ],
    [
      'keeps one count per name',
      [
        ['a', 0],
        ['b', 1],
        ['a', 2],
        ['b', 3],
      ],
      [1, 1, 2, 2],
    ],
    [
      'keeps counting when the clock goes back',
      [
        ['a', 500],
        ['a', 0],
        ['a', 100],
      ],
      [1, 2, 3],
    ],
  ])('%s', (_name, hits, counts) => {
    const c = new LocalWindowCounters();
    expect(hits.map(([name, at]) => c.increment(name, 1000, T0 + at))).toEqual(counts);
  });

  it('counts exactly like the store counter with a window (property, against its reference model)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5000 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.nat(3000)), { maxLength: 80 }),
        async (windowMs, steps) => {
          const clock = createFakeClock(T0);
          const reference = memoryStore(clock);
          const local = new LocalWindowCounters();
          for (const [name, advance] of steps) {
            clock.advance(advance);
            expect(local.increment(name, windowMs, clock.now())).toBe(
              await reference.increment(name, { windowMs }),
            );
          }
        },
      ),
    );
  });

  it('forgets ended windows as new hits come (memory follows the live windows)', () => {
    const c = new LocalWindowCounters();
    for (let i = 0; i < 1000; i++) c.increment(`client-${i}`, 1000, T0);
    for (let i = 0; i < 200; i++) c.increment('late', 1000, T0 + 1000 + i);
    expect(c.size).toBe(1);
  });

  it('belong to the store object: shared by its users, never by another store, none for Redis', () => {
    const clock = createFakeClock(T0);
    const one = memoryStore(clock);
    expect(localWindowCounters(one)).toBe(localWindowCounters(one));
    expect(localWindowCounters(memoryStore(clock))).not.toBe(localWindowCounters(one));
    expect(localWindowCounters({ ...memoryStore(clock), driver: 'redis' } as Store)).toBeNull();
  });
});

describe('the rate limit middleware', () => {
  it('on the embedded store: one budget for every app on the store, no store write per request, 429 with Retry-After', async () => {
    const clock = createFakeClock(T0);
    const store = memoryStore(clock);
    const increment = jest.spyOn(store, 'increment');
    const limiter = () => rateLimit({ store, name: 'api', max: 3, windowMs: 60_000, clock });
    const [a, b] = [appWith(limiter()), appWith(limiter())];
    expect([...(await statuses(a, 2)), ...(await statuses(b, 2))]).toEqual([200, 200, 200, 429]);
    const limited = await request(a).get('/x');
    expect([limited.status, limited.text, limited.headers['retry-after']]).toEqual([
      429,
      'IDENTITY_RATE_LIMITED',
      '60',
    ]);
    expect(increment).not.toHaveBeenCalled();
    clock.advance(60_000);
    expect(await statuses(b, 1)).toEqual([200]);
  });

  it('on Redis: counts in the store (one INCR script shared by every replica), failing closed when it is down', async () => {
    const clock = createFakeClock(T0);
    const store = { ...memoryStore(clock), driver: 'redis' } as Store;
    const increment = jest.spyOn(store, 'increment');
    const app = appWith(rateLimit({ store, name: 'api', max: 2, windowMs: 60_000, clock }));
    expect(await statuses(app, 3)).toEqual([200, 200, 429]);
    expect(increment).toHaveBeenCalledTimes(3);
    increment.mockRejectedValueOnce(
      Object.assign(new Error('down'), { status: 503, code: 'STORE_UNAVAILABLE' }),
    );
    clock.advance(60_000);
    const down = await request(app).get('/x');
    expect([down.status, down.text]).toEqual([503, 'STORE_UNAVAILABLE']);
  });
});
