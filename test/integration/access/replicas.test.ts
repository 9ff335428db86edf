import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKey, krlRevokes } from '../../helpers/ssh-keygen';
import { startStack, type Stack, type Who } from '../../helpers/stack';
import { tmpDir } from '../../helpers/tmp';

type View = { id: string; status: string; approvals: number; reviews: Array<{ reviewer: string }> };

let redis: RedisServer;
let a: Stack;
let b: Stack;
const keys = tmpDir('bg-replica-keys-');

beforeAll(async () => {
  redis = await startRedis();
  a = await startStack({
    policies: resolve(__dirname, '../../fixtures/access/policies'),
    redisUrl: redis.url,
  });
  // Replicas behind one balancer share the public URL (the API token issuer).
  b = await startStack({
    dir: a.dir,
    redisUrl: redis.url,
    overrides: { server: { public_url: a.node.url } },
  });
});
afterAll(async () => {
  await b?.stop();
  await a?.close();
  await redis?.stop();
  keys.cleanup();
});

const approver = (i: number): Who => ({
  sub: `approver-${i}`,
  email: `approver-${i}@example.com`,
  groups: ['approvers'],
});

describe('two replicas on one Redis', () => {
  it('count racing approvals exactly once: ten needed, twelve reviewers each approving on both replicas at once', async () => {
    const requester = await a.tokenFor({ sub: 'quincy', email: 'quincy@example.com', groups: ['quorum'] });
    const created = await a.api<View>(requester, 'POST', '/requests', {
      host: 'dev-1',
      login: 'quorum',
      reason: 'race',
    });
    expect(created.body.status).toBe('pending');
    const id = created.body.id;
    const tokens = await Promise.all(Array.from({ length: 12 }, (_, i) => a.tokenFor(approver(i))));
    const calls = tokens.flatMap((t) =>
      [a, b].map((node) =>
        node.api<View>(t, 'POST', `/requests/${id}/reviews`, { verdict: 'approve', comment: 'race' }),
      ),
    );
    const results = await Promise.all(calls);
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBe(10);
    for (const r of results.filter((x) => x.status !== 200))
      expect(['ACCESS_ALREADY_REVIEWED', 'ACCESS_NOT_PENDING']).toContain(
        (r.body as unknown as { error: { code: string } }).error.code,
      );
    const final = await b.api<View>(requester, 'GET', `/requests/${id}`);
    expect(final.body.status).toBe('active');
    expect(final.body.approvals).toBe(10);
    const reviewers = final.body.reviews.map((r) => r.reviewer);
    expect(new Set(reviewers).size).toBe(10);
    const entries = await a.node.store.readLog(a.node.audit.storeLog, 1, 10_000);
    const approvals = entries
      .map((e) => JSON.parse(e.data) as { type: string; target?: string })
      .filter((e) => e.type === 'request.approved' && e.target === id);
    expect(approvals).toHaveLength(10);
  });

  it('serve the same KRL after a revocation on one of them, and both hear grant.revoked', async () => {
    const heard: string[] = [];
    const unsub = await b.node.store.subscribe('grant.revoked', (m) => heard.push(m));
    const erin = await a.tokenFor({ sub: 'erin', email: 'erin@example.com', groups: ['devs'] });
    const g = await a.api<View>(erin, 'POST', '/requests', {
      host: 'dev-1',
      login: 'deploy',
      reason: 'deploy',
    });
    const pub = readFileSync(generateKey(keys.path, 'erin').publicPath, 'utf8');
    expect((await b.api(erin, 'POST', `/grants/${g.body.id}/certificate`, { public_key: pub })).status).toBe(
      201,
    );
    const before = (await b.api(null, 'GET', '/krl')).raw;
    expect((await a.api(erin, 'POST', `/grants/${g.body.id}/revoke`, { reason: 'done early' })).status).toBe(
      200,
    );
    const fromA = (await a.api(null, 'GET', '/krl')).raw;
    const fromB = (await b.api(null, 'GET', '/krl')).raw;
    expect(fromA.equals(before)).toBe(false);
    expect(fromB.equals(fromA)).toBe(true);
    for (let i = 0; i < 500 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await unsub();
    expect(JSON.parse(heard[0]!)).toMatchObject({ grant: g.body.id });
  });

  it('cover every certificate issued on one replica while the grant is revoked on the other', async () => {
    const erin = await a.tokenFor({ sub: 'erin', email: 'erin@example.com', groups: ['devs'] });
    const g = await a.api<View>(erin, 'POST', '/requests', {
      host: 'dev-1',
      login: 'deploy',
      reason: 'race revoke',
    });
    const pub = readFileSync(generateKey(keys.path, 'erin-race').publicPath, 'utf8');
    const issuing = Array.from({ length: 30 }, () =>
      b.api<{ certificate?: string }>(erin, 'POST', `/grants/${g.body.id}/certificate`, { public_key: pub }),
    );
    const revoked = await a.api(erin, 'POST', `/grants/${g.body.id}/revoke`, { reason: 'race' });
    expect(revoked.status).toBe(200);
    const results = await Promise.all(issuing);
    const krl = join(keys.path, 'race.krl');
    writeFileSync(krl, (await b.api(null, 'GET', '/krl')).raw);
    const issued = results.filter((r) => r.status === 201);
    for (const [i, r] of issued.entries()) {
      const path = join(keys.path, `race-${i}-cert.pub`);
      writeFileSync(path, `${r.body.certificate!}\n`);
      expect(krlRevokes(krl, path)).toBe(true);
    }
    for (const r of results.filter((x) => x.status !== 201)) expect(r.status).toBe(410);
  });
});
