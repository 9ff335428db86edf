import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  createAuditLog,
  createForwarderFromConfig,
  createKeySigner,
  loadOrCreateAuditKey,
  parsePublicKeys,
  verifyText,
  type AuditForwarder,
  type AuditLog,
} from '../../../src/audit';
import { loadConfig } from '../../../src/config';
import { systemClock } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';
import { createStore, type Store } from '../../../src/store';
import { tmpDir } from '../../helpers/tmp';

let dir: ReturnType<typeof tmpDir>;
let store: Store;
beforeAll(async () => {
  dir = tmpDir('bg-audit-forward-');
  store = await createStore(loadConfig({ overrides: { data_dir: join(dir.path, 'data') } }), {
    logger: createSilentLogger(),
    clock: systemClock,
  });
});
afterAll(async () => {
  await store.close();
  dir.cleanup();
});

let logCounter = 0;
/** An audit log on the real embedded store forwarding with the given `audit.forward` settings. */
function auditWith(forward: Record<string, unknown>): {
  log: AuditLog;
  forwarder: AuditForwarder;
  lines: () => Promise<string[]>;
} {
  const config = loadConfig({
    overrides: { certs_dir: join(dir.path, 'certs'), audit: { log_id: `fwd-${++logCounter}`, forward } },
  });
  const logger = createSilentLogger();
  const forwarder = createForwarderFromConfig(config.audit.forward, logger)!;
  expect(forwarder).not.toBeNull();
  const signer = createKeySigner(loadOrCreateAuditKey({ certsDir: config.certs_dir, keyFile: 'audit_key' }));
  const log = createAuditLog({
    store,
    signer,
    clock: systemClock,
    logger,
    config: config.audit,
    forwarders: [forwarder],
  });
  const lines = async () => (await store.readLog(log.storeLog, 1, 10_000)).map((e) => e.data);
  return { log, forwarder, lines };
}

const event = (i: number) =>
  i % 2 === 0
    ? { type: 'login' as const, actor: `user:u${i}@example.com`, data: { method: 'oidc', groups: ['ops'] } }
    : {
        type: 'emergency.activated' as const,
        actor: `user:u${i}@example.com`,
        target: 'db-1',
        data: { request_id: `r${i}`, reason: 'pager: db down' },
      };

const RFC5424 = /^<(\d+)>1 (\S+) (\S+) (\S+) (\d+) (\S+) - (.*)$/s;

describe('forwarding to a SIEM', () => {
  it('appends every entry to a file (mode 0600) that verifies as a log', async () => {
    const path = join(dir.path, 'siem.jsonl');
    const { log, forwarder, lines } = auditWith({ file: { path } });
    for (let i = 0; i < 30; i++) await log.append(event(i));
    await log.close(); // flushes the forwarders too
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).toBe((await lines()).map((l) => `${l}\n`).join(''));
    const keys = parsePublicKeys(readFileSync(join(dir.path, 'certs', 'audit_key.pub'), 'utf8'));
    expect(verifyText(text, { keys, strict: true })).toMatchObject({ ok: true, entries: 31 });
    expect(forwarder.stats()).toEqual({ file: { queued: 0, sent: 31, dropped: 0, failed: 0 } });
  });

  it('sends RFC 5424 messages over UDP, one entry a datagram, with severity by type', async () => {
    const server = createSocket('udp4');
    server.bind(0, '127.0.0.1');
    await once(server, 'listening');
    const got: string[] = [];
    server.on('message', (m) => got.push(m.toString('utf8')));
    const { log, lines } = auditWith({
      syslog: {
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        protocol: 'udp',
        app_name: 'bg-test',
      },
    });
    for (let i = 0; i < 6; i++) await log.append(event(i));
    await log.close();
    for (let t = 0; t < 100 && got.length < 7; t++) await new Promise((r) => setTimeout(r, 10));
    server.close();
    const stored = await lines();
    expect(got).toHaveLength(stored.length);
    const parsed = got
      .map((m) => RFC5424.exec(m))
      .sort((a, b) => JSON.parse(a![7]!).seq - JSON.parse(b![7]!).seq);
    parsed.forEach((m, i) => {
      expect(m).not.toBeNull();
      const entry = JSON.parse(m![7]!);
      expect(m![7]).toBe(stored[i]);
      expect([m![2], m![4], m![5], m![6]]).toEqual([entry.time, 'bg-test', String(process.pid), entry.type]);
      const severity = entry.type === 'emergency.activated' ? 2 : 6;
      expect(Number(m![1])).toBe(13 * 8 + severity);
    });
  });

  it('sends octet-counted RFC 5424 frames over TCP, in order', async () => {
    let buf = Buffer.alloc(0);
    const server = createTcpServer((sock) => sock.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d]))));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { log, lines } = auditWith({
      syslog: { host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'tcp' },
    });
    for (let i = 0; i < 20; i++) await log.append(event(i));
    await log.close();
    const stored = await lines();
    const frames: string[] = [];
    for (let t = 0; t < 100; t++) {
      frames.length = 0;
      let rest = buf;
      for (;;) {
        const sp = rest.indexOf(0x20);
        if (sp < 0) break;
        const len = Number(rest.subarray(0, sp).toString('ascii'));
        if (rest.length < sp + 1 + len) break;
        frames.push(rest.subarray(sp + 1, sp + 1 + len).toString('utf8'));
        rest = rest.subarray(sp + 1 + len);
      }
      if (frames.length === stored.length) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    server.close();
    expect(frames.map((f) => RFC5424.exec(f)?.[7])).toEqual(stored);
  });

  it('POSTs JSON batches with the Authorization header and retries a failed POST', async () => {
    const bodies: unknown[][] = [];
    const auth: Array<string | undefined> = [];
    let calls = 0;
    const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        calls++;
        auth.push(req.headers.authorization);
        if (calls === 1) {
          res.writeHead(503).end();
          return;
        }
        expect(req.headers['content-type']).toBe('application/json');
        bodies.push(JSON.parse(body) as unknown[]);
        res.writeHead(204).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
    const { log, forwarder, lines } = auditWith({
      http: { url, authorization: 'Splunk s3cret-token', batch_size: 4, retries: 2 },
    });
    for (let i = 0; i < 10; i++) await log.append(event(i));
    await log.close();
    server.close();
    const stored = (await lines()).map((l) => JSON.parse(l));
    expect(bodies.flat()).toEqual(stored);
    expect(bodies.every((b) => b.length <= 4)).toBe(true);
    expect(new Set(auth)).toEqual(new Set(['Splunk s3cret-token']));
    expect(forwarder.stats().http).toMatchObject({ sent: stored.length, failed: 0, dropped: 0 });
  });

  it('never makes an append wait for a hung collector: the queue is bounded, overflow is dropped and counted', async () => {
    let requests = 0;
    const hung: ServerResponse[] = [];
    const server = createHttpServer((_req, res) => {
      requests++;
      hung.push(res); // never answers
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const { log, forwarder, lines } = auditWith({
      max_queue: 5,
      http: { url, batch_size: 1, retries: 0, timeout: '60s' },
    });
    for (let i = 0; i < 40; i++) await log.append(event(i));
    // Every append resolved although the collector has not answered a single request.
    expect((await lines()).length).toBe(40);
    const stats = forwarder.stats().http!;
    expect(stats.sent).toBe(0);
    expect(stats.queued).toBeLessThanOrEqual(5);
    expect(stats.dropped).toBeGreaterThanOrEqual(40 - 5 - 1);
    expect(requests).toBeLessThanOrEqual(1);
    await forwarder.close(50);
    await log.close();
    for (const res of hung) res.destroy();
    server.close();
  });
});
