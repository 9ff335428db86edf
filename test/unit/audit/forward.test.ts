import { formatSyslog, QueuedTransport, type AuditEntry, type ForwardRecord } from '../../../src/audit';

const entry = (seq: number, type = 'login'): AuditEntry => ({
  seq,
  time: '2026-01-01T00:00:00.000Z',
  type,
  actor: 'user:a',
  data: {},
  prev: '0'.repeat(64),
  hash: 'f'.repeat(64),
});

describe('RFC 5424 formatting', () => {
  const f = { facility: 13, hostname: 'gw-1', appName: 'breakglass', procId: '42' };
  it.each([
    ['login', 110],
    ['emergency.activated', 106],
    ['login.failed', 108],
    ['host.tainted', 109],
  ])('gives %s the priority facility*8+severity (%i)', (type, pri) => {
    expect(formatSyslog(entry(1, type), '{"x":1}', f)).toBe(
      `<${pri}>1 2026-01-01T00:00:00.000Z gw-1 breakglass 42 ${type} - {"x":1}`,
    );
  });

  it.each([
    ['a host name with a space', { hostname: 'my host' }, ' - breakglass 42 login'],
    ['an empty host name', { hostname: '' }, ' - breakglass 42 login'],
    ['a non-ASCII app name', { appName: 'bréak' }, ' gw-1 - 42 login'],
    ['a too long host name', { hostname: 'h'.repeat(256) }, ' - breakglass 42 login'],
  ])('writes the NILVALUE for %s', (_name, over, expected) => {
    expect(formatSyslog(entry(1), 'm', { ...f, ...over })).toContain(expected);
  });
});

class FakeTransport extends QueuedTransport {
  sent: number[][] = [];
  failures = 0;
  gate: Promise<void> = Promise.resolve();
  protected async send(batch: readonly ForwardRecord[]): Promise<void> {
    await this.gate;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('peer down');
    }
    this.sent.push(batch.map((r) => r.entry.seq));
  }
}

const rec = (seq: number): ForwardRecord => ({ entry: entry(seq), line: `{"seq":${seq}}` });

describe('the bounded forwarding queue', () => {
  it('sends in order and in batches', async () => {
    const t = new FakeTransport({ name: 'fake', maxQueue: 100, batchSize: 3 });
    for (let i = 1; i <= 7; i++) t.enqueue(rec(i));
    await t.flushAndStop(1000);
    expect(t.sent.flat()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(t.sent.every((b) => b.length <= 3)).toBe(true);
    expect(t.stats()).toEqual({ queued: 0, sent: 7, dropped: 0, failed: 0 });
  });

  it('drops and counts what does not fit while the peer is slow', async () => {
    const t = new FakeTransport({ name: 'fake', maxQueue: 4, batchSize: 1 });
    let open: () => void = () => undefined;
    t.gate = new Promise((r) => (open = r));
    for (let i = 1; i <= 20; i++) t.enqueue(rec(i));
    // one batch in flight, four waiting, fifteen dropped
    expect(t.stats()).toMatchObject({ queued: 4, dropped: 15 });
    open();
    await t.flushAndStop(1000);
    expect(t.sent.flat()).toEqual([1, 2, 3, 4, 5]);
  });

  it('retries a failed batch with back-off, then gives up and counts it', async () => {
    const reasons: string[] = [];
    const t = new FakeTransport({
      name: 'fake',
      maxQueue: 10,
      batchSize: 10,
      retries: 2,
      backoffMs: 1,
      onError: (r) => reasons.push(r),
    });
    t.failures = 2;
    t.enqueue(rec(1));
    await t.flushAndStop(1000);
    expect(t.stats()).toMatchObject({ sent: 1, failed: 0 });
    const u = new FakeTransport({
      name: 'fake',
      maxQueue: 10,
      batchSize: 10,
      retries: 1,
      backoffMs: 1,
      onError: (r) => reasons.push(r),
    });
    u.failures = 5;
    u.enqueue(rec(1));
    u.enqueue(rec(2));
    await u.flushAndStop(1000);
    expect(u.stats()).toMatchObject({ sent: 0, failed: 2 });
    expect(reasons).toEqual([
      'fake: gave up on 1 entries: peer down',
      'fake: gave up on 1 entries: peer down',
    ]);
  });

  it('drops what is still queued when the flush deadline passes, and takes nothing after', async () => {
    const t = new FakeTransport({ name: 'fake', maxQueue: 10, batchSize: 1 });
    t.gate = new Promise(() => undefined); // the peer never answers
    for (let i = 1; i <= 3; i++) t.enqueue(rec(i));
    await t.flushAndStop(20);
    t.enqueue(rec(4));
    expect(t.stats()).toMatchObject({ queued: 0, sent: 0, dropped: 3 });
  });
});
