import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNotifier } from '../../../src/access';
import { loadConfig } from '../../../src/config';
import { systemClock, systemRandom } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';

let server: Server;
let url: string;
const hits = new Map<string, number>();
/** Bodies received per path. */
const bodies = new Map<string, string[]>();
const hanging: Array<() => void> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => bodies.set(req.url!, [...(bodies.get(req.url!) ?? []), body]));
    if (req.url === '/hang') {
      hanging.push(() => res.destroy());
      return;
    }
    res.statusCode = req.url === '/down' ? 500 : 204;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const h of hanging) h();
  await new Promise<void>((r) => server.close(() => r()));
});

function notifier(webhooks: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  const config = loadConfig({
    overrides: {
      access: {
        notifications: {
          webhooks,
          initial_backoff: '10ms',
          max_backoff: '40ms',
          max_attempts: 4,
          timeout: '200ms',
          ...extra,
        },
      },
    },
  });
  return createNotifier({
    config: config.access.notifications,
    logger: createSilentLogger(),
    clock: systemClock,
    random: systemRandom,
  });
}

describe('webhook notifications', () => {
  it('retry a failing target with backoff, at most max_attempts times, then give up', async () => {
    const n = notifier([{ name: 'down', url: `${url}/down` }]);
    n.notify({ event: 'grant.revoked', data: { request_id: 'r1' } });
    await n.idle();
    expect(hits.get('/down')).toBe(4);
    expect(n.stats()).toMatchObject({ delivered: 0, failed: 1, retried: 3 });
    await n.close();
  });

  it('never block the caller or other targets: notify returns before any delivery while a target hangs, and close stops it', async () => {
    const n = notifier([
      { name: 'hang', url: `${url}/hang` },
      { name: 'ok', url: `${url}/ok`, events: ['host.tainted'] },
    ]);
    for (let i = 0; i < 50; i++)
      expect(n.notify({ event: 'host.tainted', data: { host: `h${i}` } })).toBeUndefined();
    // Synchronous so far: nothing has been sent, everything is queued.
    expect([hits.get('/ok'), hits.get('/hang')]).toEqual([undefined, undefined]);
    expect(n.stats().queued).toBe(100);
    // Every notification reaches the other target. Delivery is at least once: on a loaded
    // machine a delivery slower than the 200 ms timeout is sent again, so count ids.
    const deliveredOk = () =>
      new Set((bodies.get('/ok') ?? []).map((b) => (JSON.parse(b) as { id: string }).id)).size;
    for (let i = 0; i < 500 && (deliveredOk() < 50 || n.stats().delivered < 50); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(deliveredOk()).toBe(50);
    expect(n.stats().delivered).toBe(50);
    expect(n.stats().queued).toBeGreaterThan(0);
    await n.close();
    expect(n.stats().queued).toBe(0);
  });

  it('deliver emergency activations to the targets a policy names even when they subscribe to nothing, and only to subscribers otherwise', async () => {
    const n = notifier([
      { name: 'pager', url: `${url}/pager`, events: [] },
      { name: 'all', url: `${url}/all` },
    ]);
    n.notify({ event: 'request.created', data: {} });
    n.notify({ event: 'emergency.activated', targets: ['pager', 'not-configured'], data: {} });
    await n.idle();
    expect([hits.get('/pager'), hits.get('/all')]).toEqual([1, 2]);
    await n.close();
  });
});
