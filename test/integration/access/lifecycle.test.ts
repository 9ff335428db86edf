import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { grantIdFromExtensions, signPayload } from '../../../src/access';
import { parseCertificateLine } from '../../../src/ca';
import { generateKey, krlRevokes, listCertificate } from '../../helpers/ssh-keygen';
import { startStack, type Stack, type Who } from '../../helpers/stack';
import { tmpDir } from '../../helpers/tmp';
import { startReceiver } from '../../fixtures/access/receiver';

type View = {
  id: string;
  status: string;
  summary: string;
  emergency: boolean;
  approvals: number;
  grant: { id: string; starts_at: string; ends_at: string } | null;
  post_review: { status: string } | null;
  history: Array<{ event: string; actor: string }>;
  decision: { effect: string; reasons: Array<{ message: string }> };
  error?: { code: string; message: string };
};
type Err = { error: { code: string; message: string } };

const HOUR = 3_600_000;

/** How `ssh-keygen -L` lists the grant id extension: its data (the id as an SSH string) in hex. */
function grantIdListing(grantId: string): string {
  const data = Buffer.concat([Buffer.alloc(4), Buffer.from(grantId)]);
  data.writeUInt32BE(grantId.length, 0);
  return `grant-id@breakglass UNKNOWN OPTION: ${data.toString('hex')} (len ${data.length})`;
}
const frank: Who = { sub: 'frank', email: 'frank@example.com', groups: ['approvers'] };
const erin: Who = { sub: 'erin', email: 'erin@example.com', groups: ['devs'] };
const olga: Who = { sub: 'olga', email: 'olga@example.com', groups: ['oncall'], amr: ['pwd'] };
const PAGER_SECRET = 'pager-secret-0123456789';

const clock = { offset: 0, now: () => Date.now() + clock.offset };
const keys = tmpDir('bg-access-keys-');
let stack: Stack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const tokens = new Map<string, string>();

async function token(who: Who): Promise<string> {
  const name = typeof who === 'string' ? who : who.sub;
  let t = tokens.get(name);
  if (!t) tokens.set(name, (t = await stack.tokenFor(who)));
  return t;
}
const call = async <T = View>(who: Who | null, method: string, path: string, body?: unknown) =>
  stack.api<T>(who === null ? null : await token(who), method, path, body);

async function auditTypes(): Promise<
  Array<{ type: string; target?: string; data: Record<string, unknown> }>
> {
  const entries = await stack.node.store.readLog(stack.node.audit.storeLog, 1, 10_000);
  return entries.map(
    (e) => JSON.parse(e.data) as { type: string; target?: string; data: Record<string, unknown> },
  );
}

beforeAll(async () => {
  receiver = await startReceiver({ failFirst: { '/pager': 2 } });
  stack = await startStack({
    policies: resolve(__dirname, '../../fixtures/access/policies'),
    clock,
    overrides: {
      access: {
        krl_file: 'hosts.krl',
        notifications: {
          initial_backoff: '20ms',
          max_backoff: '100ms',
          webhooks: [
            { name: 'pager', url: `${receiver.url}/pager`, secret: PAGER_SECRET, events: [] },
            {
              name: 'reviews',
              url: `${receiver.url}/reviews`,
              events: ['request.created', 'request.reviewed', 'grant.revoked', 'host.tainted'],
            },
            { name: 'chat', url: `${receiver.url}/chat`, format: 'slack', events: ['emergency.activated'] },
          ],
        },
      },
    },
  });
  generateKey(keys.path, 'alice');
  generateKey(keys.path, 'erin');
  generateKey(keys.path, 'rsa1024', 'rsa', 1024);
});

afterAll(async () => {
  await stack?.close();
  await receiver?.close();
  keys.cleanup();
});

const pub = (name: string) => readFileSync(join(keys.path, `${name}.pub`), 'utf8');

describe('requests and reviews', () => {
  let id: string;

  it('stores a policy denial with its reasons and shows the requester why', async () => {
    const r = await call('alice', 'POST', '/requests', {
      host: 'db-1',
      login: 'root',
      reason: 'look at the data',
    });
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('denied');
    expect(r.body.summary).toContain('use your own account on database hosts, never root');
    const again = await call('alice', 'GET', `/requests/${r.body.id}`);
    expect(again.body.status).toBe('denied');
  });

  it('files a request that needs 2 approvals from the approvers, and notifies the reviewers', async () => {
    const r = await call('alice', 'POST', '/requests', {
      host: 'dev-1',
      login: 'root',
      reason: 'rotate logs',
      ttl: '2h',
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'pending', approvals: 0, grant: null });
    expect(r.body.summary).toMatch(/^needs 2 approvals from role approvers; has 0/);
    id = r.body.id;
    const hook = await receiver.waitFor((x) => x.path === '/reviews' && x.body.includes(id));
    expect(JSON.parse(hook.body)).toMatchObject({
      event: 'request.created',
      data: { request_id: id, approvals_required: 2 },
    });
    const queue = await call<{ requests: View[] }>('bob', 'GET', '/requests?scope=review');
    expect(queue.body.requests.map((x) => x.id)).toContain(id);
  });

  it.each([
    ['the requester approving their own request', 'alice', 403, 'ACCESS_SELF_REVIEW'],
    ['a security reviewer the policy does not name for this request', 'carol', 403, 'ACCESS_NOT_REVIEWER'],
    ['someone who may not even see the request', 'dave', 404, 'ACCESS_NOT_FOUND'],
  ] as const)('refuses %s', async (_name, who, status, code) => {
    const r = await call<Err>(who, 'POST', `/requests/${id}/reviews`, {
      verdict: 'approve',
      comment: 'lgtm',
    });
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect((await call('alice', 'GET', `/requests/${id}`)).body.approvals).toBe(0);
  });

  it('counts each approver once and activates the grant at the second approval', async () => {
    expect(
      (await call('bob', 'POST', `/requests/${id}/reviews`, { verdict: 'approve', comment: 'ok' })).body
        .approvals,
    ).toBe(1);
    const twice = await call<Err>('bob', 'POST', `/requests/${id}/reviews`, { verdict: 'approve' });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'ACCESS_ALREADY_REVIEWED']);
    const done = await call(frank, 'POST', `/requests/${id}/reviews`, { verdict: 'approve', comment: 'go' });
    expect(done.body).toMatchObject({ status: 'active', approvals: 2 });
    expect(Date.parse(done.body.grant!.ends_at) - Date.parse(done.body.grant!.starts_at)).toBe(2 * HOUR);
    const late = await call<Err>('carol', 'POST', `/requests/${id}/reviews`, { verdict: 'deny' });
    expect(late.status).toBeGreaterThanOrEqual(400);
  });

  it('lets a denial by an allowed reviewer deny, and the requester cancel only pending requests', async () => {
    const a = (await call('alice', 'POST', '/requests', { host: 'dev-1', login: 'root', reason: 'one' })).body
      .id;
    expect(
      (await call('bob', 'POST', `/requests/${a}/reviews`, { verdict: 'deny', comment: 'use the runbook' }))
        .body,
    ).toMatchObject({
      status: 'denied',
      summary: 'denied by user:bob@example.com: use the runbook',
    });
    const b = (await call('alice', 'POST', '/requests', { host: 'dev-1', login: 'root', reason: 'two' })).body
      .id;
    expect((await call<Err>('bob', 'POST', `/requests/${b}/cancel`, {})).body.error.code).toBe(
      'ACCESS_FORBIDDEN',
    );
    expect((await call('alice', 'POST', `/requests/${b}/cancel`, {})).body.status).toBe('cancelled');
    expect((await call<Err>('alice', 'POST', `/requests/${b}/cancel`, {})).body.error.code).toBe(
      'ACCESS_NOT_PENDING',
    );
  });

  it('fails closed when the audit log cannot write: the review is refused and nothing changes', async () => {
    const c = (await call('alice', 'POST', '/requests', { host: 'dev-1', login: 'root', reason: 'three' }))
      .body.id;
    const audit = stack.node.audit as { append: (...a: unknown[]) => Promise<unknown> };
    const real = audit.append;
    audit.append = () =>
      Promise.reject(Object.assign(new Error('disk gone'), { code: 'AUDIT_UNAVAILABLE', status: 503 }));
    try {
      const r = await call<Err>('bob', 'POST', `/requests/${c}/reviews`, { verdict: 'approve' });
      expect(r.status).toBeGreaterThanOrEqual(500);
    } finally {
      audit.append = real;
    }
    const after = await call('alice', 'GET', `/requests/${c}`);
    expect(after.body).toMatchObject({ status: 'pending', approvals: 0 });
    expect((await call('bob', 'POST', `/requests/${c}/reviews`, { verdict: 'approve' })).body.approvals).toBe(
      1,
    );
  });

  describe('certificates and revocation', () => {
    let certPath: string;

    it('issues a user certificate bound to the grant, after its audit entry is durable', async () => {
      const r = await call<Record<string, unknown>>('alice', 'POST', `/grants/${id}/certificate`, {
        public_key: pub('alice'),
      });
      expect(r.status).toBe(201);
      certPath = join(keys.path, 'alice-cert.pub');
      writeFileSync(certPath, `${String(r.body.certificate)}\n`);
      const l = listCertificate(certPath);
      expect(l.type).toMatch(/user certificate/);
      expect(l.principals).toEqual(['root']);
      expect(l.keyId).toBe(`"user=alice@example.com grant=${id} serial=${String(r.body.serial)}"`);
      expect(l.serial).toBe(String(r.body.serial));
      // ssh-keygen prints the data of an extension it does not know in hex: the grant id as an SSH string.
      expect(l.extensions).toEqual(expect.arrayContaining([grantIdListing(id), 'permit-pty']));
      const cert = parseCertificateLine(readFileSync(certPath, 'utf8')).certificate;
      expect(grantIdFromExtensions(cert.extensions)).toBe(id);
      expect(r.body.extensions).toEqual(expect.arrayContaining(['grant-id@breakglass', 'permit-pty']));
      expect(l.extensions).not.toContain('permit-port-forwarding');
      const grant = (await call('alice', 'GET', `/requests/${id}`)).body.grant!;
      expect(Date.parse(String(r.body.valid_after))).toBeGreaterThanOrEqual(
        Math.floor(Date.parse(grant.starts_at) / 1000) * 1000,
      );
      expect(Date.parse(String(r.body.valid_before))).toBeLessThanOrEqual(Date.parse(grant.ends_at));
      const issued = (await auditTypes()).filter(
        (e) => e.type === 'certificate.issued' && e.data.grant === id,
      );
      expect(issued.map((e) => e.data.serial)).toEqual([r.body.serial]);
    });

    it('maps force-command, source-address and agent forwarding from the policy into the certificate', async () => {
      const g = await call(erin, 'POST', '/requests', {
        host: 'batch-1',
        login: 'report',
        reason: 'daily report',
      });
      expect(g.body.status).toBe('active');
      const r = await call<Record<string, unknown>>(erin, 'POST', `/grants/${g.body.id}/certificate`, {
        public_key: pub('erin'),
      });
      const path = join(keys.path, 'erin-cert.pub');
      writeFileSync(path, `${String(r.body.certificate)}\n`);
      const l = listCertificate(path);
      expect(l.criticalOptions).toEqual([
        'force-command /usr/local/bin/report --daily',
        'source-address 10.0.0.0/8,127.0.0.0/8',
      ]);
      expect(l.extensions).toEqual([grantIdListing(g.body.id), 'permit-agent-forwarding']);
    });

    it.each([
      ["someone else's grant", 'bob', (): string => pub('alice'), 403, 'ACCESS_FORBIDDEN'],
      ['a key below the RSA minimum', 'alice', (): string => pub('rsa1024'), 400, 'CA_KEY_REFUSED'],
      ['a key that is not a key', 'alice', (): string => 'ssh-ed25519 AAAAnotbase64!!', 400, 'CA_MALFORMED'],
    ] as const)('refuses a certificate for %s', async (_n, who, key, status, code) => {
      const r = await call<Err>(who, 'POST', `/grants/${id}/certificate`, { public_key: key() });
      expect([r.status, r.body.error.code]).toEqual([status, code]);
    });

    it('gives concurrent certificates distinct serials, each named in its own key id, and spends none on a refused key', async () => {
      const issue = (key: string) =>
        call<Record<string, unknown>>('alice', 'POST', `/grants/${id}/certificate`, { public_key: key });
      const all = await Promise.all(Array.from({ length: 12 }, () => issue(pub('alice'))));
      expect(all.map((r) => r.status)).toEqual(Array(12).fill(201));
      const serials = all.map((r) => BigInt(String(r.body.serial)));
      expect(new Set(serials).size).toBe(12);
      for (const r of all) {
        const cert = parseCertificateLine(String(r.body.certificate)).certificate;
        expect(String(cert.serial)).toBe(r.body.serial);
        expect(cert.keyId).toBe(`user=alice@example.com grant=${id} serial=${String(r.body.serial)}`);
        expect(r.body.key_id).toBe(cert.keyId);
      }
      const last = serials.reduce((a, b) => (a > b ? a : b));
      expect((await issue(pub('rsa1024'))).status).toBe(400);
      expect(BigInt(String((await issue(pub('alice'))).body.serial))).toBe(last + 1n);
      const audited = (await auditTypes())
        .filter((e) => e.type === 'certificate.issued' && e.data.grant === id)
        .map((e) => [e.data.serial, e.data.key_id]);
      for (const r of all) expect(audited).toContainEqual([r.body.serial, r.body.key_id]);
    });

    it('refuses a certificate for a pending request', async () => {
      const p = (await call('alice', 'POST', '/requests', { host: 'web-1', login: 'alice', reason: 'x' }))
        .body.id;
      const r = await call<Err>('alice', 'POST', `/grants/${p}/certificate`, { public_key: pub('alice') });
      expect([r.status, r.body.error.code]).toEqual([409, 'ACCESS_GRANT_INACTIVE']);
    });

    it('revokes: the KRL file and GET /krl revoke the certificate before the call returns, and every replica hears grant.revoked', async () => {
      const heard: string[] = [];
      const unsubscribe = await stack.node.store.subscribe('grant.revoked', (m) => heard.push(m));
      const krlFile = join(stack.config.data_dir, 'hosts.krl');
      expect(krlRevokes(krlFile, certPath)).toBe(false);
      expect(
        (await call<Err>('dave', 'POST', `/grants/${id}/revoke`, { reason: 'why not' })).body.error.code,
      ).toBe('ACCESS_NOT_FOUND');
      const r = await call<{ request: View; krl: { version: number; sha256: string } }>(
        'carol',
        'POST',
        `/grants/${id}/revoke`,
        { reason: 'incident closed' },
      );
      expect(r.status).toBe(200);
      expect(krlRevokes(krlFile, certPath)).toBe(true);
      expect(r.body.request.status).toBe('revoked');
      const served = await stack.api(null, 'GET', '/krl');
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe('application/octet-stream');
      expect(served.raw.equals(readFileSync(krlFile))).toBe(true);
      expect(served.headers.get('x-krl-version')).toBe(String(r.body.krl.version));
      for (let i = 0; i < 500 && heard.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
      await unsubscribe();
      expect(JSON.parse(heard[0]!)).toMatchObject({ grant: id, hosts: ['dev-1'], login: 'root' });
      const again = await call<Err>('alice', 'POST', `/grants/${id}/certificate`, {
        public_key: pub('alice'),
      });
      expect([again.status, again.body.error.code]).toEqual([410, 'ACCESS_GRANT_REVOKED']);
      const types = (await auditTypes()).filter((e) => e.target === id).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['request.revoked', 'krl.published']));
      await receiver.waitFor((x) => x.path === '/reviews' && x.body.includes('"grant.revoked"'));
    });
  });
});

describe('emergency access', () => {
  let id: string;

  it('is active at once where policy allows, pages the targets with a signed webhook (retried), and is marked', async () => {
    const r = await call('dave', 'POST', '/requests', {
      host: 'web-1',
      login: 'dave',
      reason: 'site down',
      emergency: true,
    });
    expect(r.body).toMatchObject({ status: 'active', emergency: true, post_review: { status: 'open' } });
    id = r.body.id;
    const page = await receiver.waitFor((x) => x.path === '/pager' && x.body.includes(id));
    const ts = String(page.headers['x-breakglass-timestamp']);
    expect(page.headers['x-breakglass-signature']).toBe(signPayload(PAGER_SECRET, ts, page.body));
    expect(JSON.parse(page.body)).toMatchObject({
      event: 'emergency.activated',
      data: { request_id: id, emergency: true },
    });
    const chat = await receiver.waitFor((x) => x.path === '/chat' && x.body.includes(id));
    expect((JSON.parse(chat.body) as { text: string }).text).toContain('EMERGENCY');
    const listed = await call<{ requests: View[] }>('dave', 'GET', '/requests?scope=mine');
    expect(listed.body.requests.find((x) => x.id === id)).toMatchObject({ emergency: true });
  });

  it('is refused without MFA when the policy requires it', async () => {
    const r = await call(olga, 'POST', '/requests', {
      host: 'web-1',
      login: 'olga',
      reason: 'site down',
      emergency: true,
    });
    expect(r.body.status).toBe('denied');
    expect(r.body.summary).toContain('MFA required');
  });

  it('stays in the post-hoc review queue until a reviewer other than the requester signs it off', async () => {
    const queue = async () =>
      (await call<{ requests: View[] }>('carol', 'GET', '/requests?scope=post-review')).body.requests.map(
        (x) => x.id,
      );
    expect(await queue()).toContain(id);
    expect(
      (await call<Err>('dave', 'POST', `/requests/${id}/post-review`, { outcome: 'acceptable' })).body.error
        .code,
    ).toBe('ACCESS_SELF_REVIEW');
    const r = await call('carol', 'POST', `/requests/${id}/post-review`, {
      outcome: 'acceptable',
      comment: 'matches the incident',
    });
    expect(r.body.post_review).toMatchObject({ status: 'signed_off', outcome: 'acceptable' });
    expect(await queue()).not.toContain(id);
  });

  it('marks an immutable host tainted when a session on it ends, audits it and notifies the platform', async () => {
    expect(await stack.node.access.markSessionEnded({ hostName: 'dev-1', sessionId: 'sess-0' })).toEqual({
      tainted: false,
    });
    expect(
      await stack.node.access.markSessionEnded({
        hostName: 'web-1',
        sessionId: 'sess-1',
        grantId: id,
        login: 'dave',
      }),
    ).toEqual({ tainted: true });
    const entry = (await auditTypes()).find((e) => e.type === 'host.tainted');
    expect(entry?.data).toMatchObject({ host_id: 'web-1', session_id: 'sess-1', grant: id });
    await receiver.waitFor(
      (x) => x.path === '/reviews' && x.body.includes('"host.tainted"') && x.body.includes('sess-1'),
    );
    const hosts = await call<{ tainted: Array<{ host: string }> }>('alice', 'GET', '/hosts');
    expect(hosts.body.tainted.map((t) => t.host)).toEqual(['web-1']);
  });
});

describe('time', () => {
  it('ends grants and pending requests on time, keeps their history, and refuses certificates for ended grants', async () => {
    const active = (
      await call(erin, 'POST', '/requests', { host: 'dev-1', login: 'deploy', reason: 'deploy', ttl: '30m' })
    ).body.id;
    const pending = (
      await call('alice', 'POST', '/requests', { host: 'dev-1', login: 'root', reason: 'later' })
    ).body.id;
    clock.offset += 31 * 60_000;
    tokens.clear();
    await stack.node.access.sweep();
    const a = await call(erin, 'GET', `/requests/${active}`);
    expect(a.body).toMatchObject({ status: 'expired', summary: 'grant ended' });
    expect(a.body.history.map((h) => h.event)).toEqual(['created', 'approved', 'expired']);
    const cert = await call<Err>(erin, 'POST', `/grants/${active}/certificate`, { public_key: pub('erin') });
    expect([cert.status, cert.body.error.code]).toEqual([410, 'ACCESS_GRANT_EXPIRED']);
    expect((await call('alice', 'GET', `/requests/${pending}`)).body.status).toBe('pending');
    clock.offset += 24 * HOUR;
    tokens.clear();
    await stack.node.access.sweep();
    await stack.node.access.sweep();
    expect((await call('alice', 'GET', `/requests/${pending}`)).body.status).toBe('expired');
    const expiredEntries = (await auditTypes()).filter(
      (e) => e.type === 'request.expired' && e.target === pending,
    );
    expect(expiredEntries).toHaveLength(1);
  });

  it('keeps requests, grants, revocations and serials across a restart of the embedded store', async () => {
    const before = await call<{ requests: View[] }>(
      'alice',
      'GET',
      '/requests?scope=all&status=all&limit=1000',
    );
    const krlBefore = (await stack.api(null, 'GET', '/krl')).raw;
    const serialBefore = Number(await stack.node.store.increment('ca.serial'));
    await stack.restart();
    tokens.clear();
    const after = await call<{ requests: View[] }>(
      'alice',
      'GET',
      '/requests?scope=all&status=all&limit=1000',
    );
    expect(after.body.requests.map((r) => [r.id, r.status])).toEqual(
      before.body.requests.map((r) => [r.id, r.status]),
    );
    expect((await stack.api(null, 'GET', '/krl')).raw.equals(krlBefore)).toBe(true);
    expect(Number(await stack.node.store.increment('ca.serial'))).toBeGreaterThan(serialBefore);
  });
});
