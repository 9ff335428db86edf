import { resolve } from 'node:path';
import { createFakeClock } from '../../../src/core';
import { claimsToSubject, DEMO_USERS } from '../../../src/identity';
import { createSilentLogger } from '../../../src/logging';
import { createPolicyStore, type Host, type PolicyStore } from '../../../src/policy';
import { abilitiesOf, policySubject } from '../../../src/web/ui/abilities';
import { candidateLogins, hostOffer, searchHosts } from '../../../src/web/ui/offers';
import { snippet } from '../../../src/web/ui/components';
import { connectionSnippets, keyFileFor } from '../../../src/web/ui/pages/grant';

const clock = createFakeClock(Date.UTC(2026, 0, 1));
let policy: PolicyStore;
beforeAll(async () => {
  policy = createPolicyStore({
    dir: resolve(__dirname, '../../../policies'),
    logger: createSilentLogger(),
    clock,
  });
  await policy.start();
});
afterAll(() => policy.close());

const person = (name: string) => {
  const u = DEMO_USERS.find((d) => d.sub === name)!;
  return policySubject(
    claimsToSubject({
      sub: u.sub,
      email: u.email,
      name: u.name,
      groups: [...u.groups],
      amr: u.mfa ? ['pwd', 'mfa'] : ['pwd'],
    }),
  );
};

describe('what each demo user may open', () => {
  test.each([
    ['alice', { request: true, review: false, watch: false, terminate: false, audit: true, hosts: true }],
    ['bob', { request: false, review: true, watch: false, terminate: false, audit: false, hosts: false }],
    ['carol', { request: false, review: true, watch: true, terminate: true, audit: true, hosts: true }],
    ['dave', { request: true, review: false, watch: false, terminate: false, audit: false, hosts: false }],
  ])('%s', (name, expected) => {
    const a = abilitiesOf(policy.current().policy, person(name), clock.now());
    expect({
      request: a.request,
      review: a.review,
      watch: a.watch,
      terminate: a.terminate,
      audit: a.audit,
      hosts: a.hosts,
    }).toEqual(expected);
  });
});

describe('request form offers', () => {
  it('lists the logins the policy gives, with limits, approvals and emergency', () => {
    const alice = person('alice');
    const logins = candidateLogins(policy, alice, clock.now());
    expect(logins).toEqual(['alice', 'root']);
    const demo = hostOffer(policy, alice, policy.inventory().get('demo')!, logins);
    expect(demo.logins.map((o) => [o.login, o.effect, o.maxTtlMs, o.approvals, o.emergency.allowed])).toEqual(
      [
        ['alice', 'needs_approval', 4 * 3_600_000, 1, false],
        ['root', 'needs_approval', 4 * 3_600_000, 1, false],
      ],
    );
  });

  it('leaves out logins a deny rule forbids, and says why when nothing is left', () => {
    const alice = person('alice');
    const db = hostOffer(policy, alice, policy.inventory().get('db-1')!, ['root']);
    expect(db.logins).toEqual([]);
    expect(db.refusal).toContain('never root');
  });

  it('offers emergency access where the role allows it', () => {
    const dave = person('dave');
    const web = hostOffer(
      policy,
      dave,
      policy.inventory().get('web-1')!,
      candidateLogins(policy, dave, clock.now()),
    );
    expect(web.logins.map((o) => [o.login, o.emergency])).toEqual([
      ['dave', { allowed: true, maxTtlMs: 3_600_000 }],
    ]);
    const demo = hostOffer(policy, dave, policy.inventory().get('demo')!, ['dave']);
    expect(demo.logins).toEqual([]);
  });
});

const host = (name: string, labels: Record<string, string>, description?: string): Host => ({
  name,
  address: '192.0.2.1',
  port: 22,
  labels,
  trust: { hostCa: true, fingerprints: [] },
  immutable: false,
  ...(description ? { description } : {}),
});

describe('inventory search', () => {
  const hosts = [
    host('web-1', { env: 'prod', role: 'web' }),
    host('web-2', { env: 'staging', role: 'web' }),
    host('db-1', { env: 'prod', role: 'db' }, 'Main database'),
  ];
  test.each([
    ['', ['db-1', 'web-1', 'web-2']],
    ['web', ['web-1', 'web-2']],
    ['WEB-1', ['web-1']],
    ['env=prod', ['db-1', 'web-1']],
    ['role:db', ['db-1']],
    ['env=prod role=web', ['web-1']],
    ['env=pr*', ['db-1', 'web-1']],
    ['database', ['db-1']],
    ['staging', ['web-2']],
    ['env=dev', []],
    ['env=(.*', []],
  ])('%j finds %j', (query, names) => {
    expect(searchHosts(hosts, query).hosts.map((h) => h.name)).toEqual(names);
  });

  it('says when there are more hosts than it shows', () => {
    expect(searchHosts(hosts, '', 2)).toMatchObject({ more: true });
  });
});

describe('connection snippets', () => {
  it('name the gateway, the target, the key and the certificate', () => {
    const s = connectionSnippets({
      grantId: 'r1',
      login: 'root',
      host: 'db-1',
      gateway: { host: 'gw.example.com', port: 2222, knownHostsLine: null },
      keyFile: '~/.ssh/id_ed25519',
    });
    expect(s.command).toBe(
      'ssh -i ~/.ssh/id_ed25519 -o CertificateFile=~/.ssh/breakglass-r1-cert.pub -o UserKnownHostsFile=~/.ssh/known_hosts_breakglass -p 2222 root@db-1@gw.example.com',
    );
    expect(s.config.split('\n')).toEqual([
      'Host breakglass-db-1',
      '  HostName gw.example.com',
      '  Port 2222',
      '  User root@db-1',
      '  IdentityFile ~/.ssh/id_ed25519',
      '  CertificateFile ~/.ssh/breakglass-r1-cert.pub',
      '  IdentitiesOnly yes',
      '  UserKnownHostsFile ~/.ssh/known_hosts_breakglass',
    ]);
  });

  test.each([
    ['ssh-ed25519-cert-v01@openssh.com AAAA', '~/.ssh/id_ed25519'],
    ['ecdsa-sha2-nistp256 AAAA', '~/.ssh/id_ecdsa'],
    ['ssh-rsa AAAA', '~/.ssh/id_rsa'],
    [null, '~/.ssh/id_ed25519'],
  ])('key file for %s', (line, file) => {
    expect(keyFileFor(line)).toBe(file);
  });
});

describe('copy-ready snippets', () => {
  it('wrap long lines when asked (certificates, commands)', () => {
    expect(snippet('c', 'Certificate', 'ssh-ed25519-cert AAAA', undefined, { wrap: true }).value).toContain(
      'class="wrap"',
    );
    expect(snippet('c', 'Config', 'Host x').value).not.toContain('wrap');
  });
});
