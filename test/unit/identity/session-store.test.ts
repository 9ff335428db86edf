import session from 'express-session';
import { createFakeClock } from '../../../src/core';
import { BreakglassSessionStore, WEB_SESSIONS_NS } from '../../../src/web';
import { memoryStore } from '../../fixtures/identity/memory-store';

const MIN = 60_000;

function setup() {
  const clock = createFakeClock(Date.UTC(2026, 0, 1));
  const store = memoryStore(clock);
  const sessions = new BreakglassSessionStore({ store, clock, idleTimeoutMs: 30 * MIN, touchEveryMs: MIN });
  const cb = <T>(fn: (done: (err?: unknown, v?: T) => void) => void) =>
    new Promise<T | undefined>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
  const data = (expiresInMs: number, loginEnd?: number) =>
    ({
      cookie: { expires: new Date(clock.now() + expiresInMs), originalMaxAge: expiresInMs },
      ...(loginEnd ? { login: { sid: 's', sub: 'u', expiresAt: loginEnd } } : {}),
    }) as unknown as session.SessionData;
  return { clock, store, sessions, cb, data };
}

describe('the session store adapter', () => {
  it('keeps a session as long as its cookie lives, and not a moment longer', async () => {
    const { clock, store, sessions, cb, data } = setup();
    await cb((d) => sessions.set('sid1', data(30 * MIN), d));
    expect((await store.get(WEB_SESSIONS_NS, 'sid1'))!.expiresAt).toBe(clock.now() + 30 * MIN);
    clock.advance(30 * MIN);
    expect(await cb((d) => sessions.get('sid1', d))).toBeNull();
  });

  it("caps the lifetime at the login's absolute end", async () => {
    const { clock, store, sessions, cb, data } = setup();
    await cb((d) => sessions.set('sid2', data(30 * MIN, clock.now() + 5 * MIN), d));
    expect((await store.get(WEB_SESSIONS_NS, 'sid2'))!.expiresAt).toBe(clock.now() + 5 * MIN);
  });

  it('deletes instead of writing a session whose time is up', async () => {
    const { clock, store, sessions, cb, data } = setup();
    await cb((d) => sessions.set('sid3', data(30 * MIN), d));
    await cb((d) => sessions.set('sid3', data(30 * MIN, clock.now() - 1), d));
    expect(await store.get(WEB_SESSIONS_NS, 'sid3')).toBeNull();
  });

  it('extends an active session on touch, at most once per minute, and never revives a destroyed one', async () => {
    const { clock, store, sessions, cb, data } = setup();
    await cb((d) => sessions.set('sid4', data(30 * MIN), d));
    const v1 = (await store.get(WEB_SESSIONS_NS, 'sid4'))!.version;
    clock.advance(10_000);
    await cb((d) => sessions.touch('sid4', data(30 * MIN), d));
    expect((await store.get(WEB_SESSIONS_NS, 'sid4'))!.version).toBe(v1); // throttled
    clock.advance(MIN);
    await cb((d) => sessions.touch('sid4', data(30 * MIN), d));
    expect((await store.get(WEB_SESSIONS_NS, 'sid4'))!.expiresAt).toBe(clock.now() + 30 * MIN);
    await cb((d) => sessions.destroy('sid4', d));
    clock.advance(2 * MIN);
    await cb((d) => sessions.touch('sid4', data(30 * MIN), d));
    expect(await store.get(WEB_SESSIONS_NS, 'sid4')).toBeNull();
  });

  it('passes store failures on (the request fails closed)', async () => {
    const { sessions, store, cb } = setup();
    store.get = async () => {
      throw Object.assign(new Error('down'), { code: 'STORE_UNAVAILABLE' });
    };
    await expect(cb((d) => sessions.get('x', d))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
