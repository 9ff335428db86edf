import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from '../../helpers/cli';
import { generateKey, listCertificate, sshKeygen } from '../../helpers/ssh-keygen';
import { startStack, type Stack } from '../../helpers/stack';
import { tmpDir } from '../../helpers/tmp';

type Err = { error: { code: string; message: string } };
type Registration = {
  name: string;
  host_certificate: string;
  trusted_user_ca_keys: string;
  krl_url: string;
  renew_token: string;
  registration_expires_at: string;
};

const clock = { offset: 0, now: () => Date.now() + clock.offset };
const keys = tmpDir('bg-hosts-keys-');
let stack: Stack;
let alice: string;

async function newToken(body: Record<string, unknown>): Promise<string> {
  const r = await stack.api<{ token: string }>(alice, 'POST', '/hosts/tokens', body);
  expect(r.status).toBe(201);
  return r.body.token;
}
const hostKeys = new Map<string, string>();
function hostKey(name: string): string {
  let k = hostKeys.get(name);
  if (k === undefined)
    hostKeys.set(name, (k = readFileSync(generateKey(keys.path, name).publicPath, 'utf8')));
  return k;
}

beforeAll(async () => {
  stack = await startStack({
    policies: resolve(__dirname, '../../fixtures/access/policies'),
    clock,
    overrides: { access: { hosts: { registration_ttl: '1h' } } },
  });
  alice = await stack.tokenFor('alice');
});
afterAll(async () => {
  await stack?.close();
  keys.cleanup();
});

describe('host registration', () => {
  let reg: Registration;
  let key: string;

  it('makes a join token with the CLI for an admin with manage_hosts, and refuses others', async () => {
    const bob = await stack.tokenFor('bob');
    const refused = await stack.api<Err>(bob, 'POST', '/hosts/tokens', { labels: { env: 'prod' } });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'ACCESS_FORBIDDEN']);
    const r = await runCli(
      ['hosts', 'token', '--labels', 'env=prod,role=cache', '--ttl', '1h', '--server', stack.url],
      {
        env: { BREAKGLASS_TOKEN: alice },
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^bgj\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}\n$/);
    expect(r.stderr).toContain('labels env=prod,role=cache, single use');
    const bad = await runCli(['hosts', 'token', '--labels', 'env', '--server', stack.url], {
      env: { BREAKGLASS_TOKEN: alice },
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('CLI_USAGE');
    key = hostKey('cache-1');
    const res = await stack.api<Registration>(null, 'POST', '/hosts/register', {
      token: r.stdout.trim(),
      name: 'cache-1',
      host_key: key,
      address: '192.0.2.31',
    });
    expect(res.status).toBe(201);
    reg = res.body;
  });

  it('answers with everything sshd needs: a host certificate, the host-access CA key and the KRL URL', () => {
    const certPath = join(keys.path, 'cache-1-cert.pub');
    writeFileSync(certPath, `${reg.host_certificate}\n`);
    const l = listCertificate(certPath);
    expect(l.type).toMatch(/host certificate/);
    expect(l.principals).toEqual(['cache-1', '192.0.2.31']);
    const hostCaFingerprint = sshKeygen([
      '-l',
      '-f',
      join(stack.config.certs_dir, 'host_ca.pub'),
    ]).stdout.split(' ')[1]!;
    expect(l.signingCa).toContain(hostCaFingerprint);
    const accessCa = readFileSync(join(stack.config.certs_dir, 'host_access_ca.pub'), 'utf8')
      .split(' ')
      .slice(0, 2)
      .join(' ');
    expect(reg.trusted_user_ca_keys.startsWith(accessCa)).toBe(true);
    expect(reg.krl_url).toBe(`${stack.url}/api/v1/krl`);
  });

  it('puts the registered host in the inventory with its labels, immutable', async () => {
    const dave = await stack.tokenFor('dave');
    const r = await stack.api<{ status: string; hosts: string[]; decision: { immutable: boolean } }>(
      dave,
      'POST',
      '/requests',
      {
        selector: { role: 'cache' },
        login: 'dave',
        reason: 'warm the cache',
      },
    );
    expect(r.body).toMatchObject({ status: 'pending', hosts: ['cache-1'], decision: { immutable: true } });
    const listed = await runCli(['hosts', 'list', '--server', stack.url], {
      env: { BREAKGLASS_TOKEN: alice },
    });
    expect(listed.stdout).toContain('cache-1  192.0.2.31:22  env=prod,role=cache');
  });

  it.each([
    [
      'a used token',
      async (): Promise<string> => newToken({ labels: { env: 'prod' } }),
      true,
      'ACCESS_JOIN_TOKEN_USED',
    ],
    [
      'a forged token (right id, wrong secret)',
      async (): Promise<string> =>
        (await newToken({ labels: { env: 'prod' } })).replace(/\.[^.]+$/, `.${'A'.repeat(43)}`),
      false,
      'ACCESS_JOIN_TOKEN_INVALID',
    ],
    ['a malformed token', async (): Promise<string> => 'not-a-token', false, 'ACCESS_JOIN_TOKEN_INVALID'],
    [
      'a token for another name',
      async (): Promise<string> => newToken({ labels: { env: 'prod' }, name: 'other-1' }),
      false,
      'ACCESS_HOST_NAME_TAKEN',
    ],
  ] as const)('refuses %s', async (_n, make, useFirst, code) => {
    const token = await make();
    if (useFirst)
      expect(
        (
          await stack.api(null, 'POST', '/hosts/register', {
            token,
            name: 'spare-1',
            host_key: hostKey('spare-1'),
          })
        ).status,
      ).toBe(201);
    const r = await stack.api<Err>(null, 'POST', '/hosts/register', {
      token,
      name: 'spare-2',
      host_key: hostKey('spare-2'),
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.body.error.code).toBe(code);
  });

  it('refuses an expired token, and a name taken by hosts.yaml', async () => {
    const t = await newToken({ labels: { env: 'prod' }, ttl: '1m' });
    const taken = await stack.api<Err>(null, 'POST', '/hosts/register', {
      token: t,
      name: 'web-1',
      host_key: hostKey('w'),
    });
    expect(taken.body.error.code).toBe('ACCESS_HOST_NAME_TAKEN');
    clock.offset += 2 * 60_000;
    const r = await stack.api<Err>(null, 'POST', '/hosts/register', {
      token: t,
      name: 'late-1',
      host_key: hostKey('late-1'),
    });
    expect([r.status, r.body.error.code]).toEqual([401, 'ACCESS_JOIN_TOKEN_EXPIRED']);
    alice = await stack.tokenFor('alice');
  });

  it('lets exactly one of two racing registrations use a token', async () => {
    const token = await newToken({ labels: { env: 'dev' } });
    const [a, b] = await Promise.all([
      stack.api(null, 'POST', '/hosts/register', { token, name: 'race-a', host_key: hostKey('race-a') }),
      stack.api(null, 'POST', '/hosts/register', { token, name: 'race-b', host_key: hostKey('race-b') }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 401]);
  });

  it('renews with the rotating renewal token, and drops hosts that stop renewing', async () => {
    const renewed = await stack.api<Registration>(null, 'POST', '/hosts/cache-1/renew', {
      renew_token: reg.renew_token,
      host_key: key,
    });
    expect(renewed.status).toBe(200);
    expect(renewed.body.renew_token).not.toBe(reg.renew_token);
    const stale = await stack.api<Err>(null, 'POST', '/hosts/cache-1/renew', {
      renew_token: reg.renew_token,
      host_key: key,
    });
    expect([stale.status, stale.body.error.code]).toEqual([401, 'ACCESS_RENEW_TOKEN_INVALID']);
    clock.offset += 2 * 3_600_000;
    await stack.node.access.sweep();
    alice = await stack.tokenFor('alice');
    const hosts = await stack.api<{ registered: Array<{ name: string }> }>(alice, 'GET', '/hosts');
    expect(hosts.body.registered.map((h) => h.name)).not.toContain('cache-1');
    expect(stack.node.policy.inventory().get('cache-1')).toBeUndefined();
  });
});
