import fc from 'fast-check';
import { DENIED_CONSTRAINTS } from '../../../src/policy';
import {
  grantProblem,
  parseTarget,
  selectCandidates,
  upstreamExtensions,
  upstreamKeyId,
  type GatewayGrant,
} from '../../../src/proxy';
import { MenuLine, parseChoice, renderMenu } from '../../../src/proxy/gateway/menu';

const NOW = Date.UTC(2026, 0, 1);

function grant(id: string, over: Partial<GatewayGrant> = {}): GatewayGrant {
  return {
    id,
    status: 'active',
    user: 'alice@example.com',
    certificatePrincipal: 'root',
    login: 'root',
    hosts: ['db-1'],
    startsAt: NOW - 1000,
    endsAt: NOW + 3_600_000,
    constraints: DENIED_CONSTRAINTS,
    ...over,
  };
}

describe('parseTarget', () => {
  it.each([
    ['root@db-1', { kind: 'exact', login: 'root', host: 'db-1' }],
    ['deploy@DB-1.prod.example', { kind: 'exact', login: 'deploy', host: 'db-1.prod.example' }],
    ['root', { kind: 'login', login: 'root' }],
    ['_svc.x-1', { kind: 'login', login: '_svc.x-1' }],
    ['Alice', { kind: 'any', name: 'Alice' }],
    ['root@', { kind: 'any', name: 'root@' }],
    ['@db-1', { kind: 'any', name: '@db-1' }],
    ['root@db 1', { kind: 'any', name: 'root@db 1' }],
    ['root@db-1@x', { kind: 'any', name: 'root@db-1@x' }],
    ['ro,ot@db-1', { kind: 'any', name: 'ro,ot@db-1' }],
    ['', { kind: 'any', name: '' }],
  ])('reads %j', (input, expected) => {
    expect(parseTarget(input)).toEqual(expected);
  });

  it('never throws and keeps what it returns short', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (s) => {
        const t = parseTarget(s);
        if (t.kind === 'any') expect(t.name.length).toBeLessThanOrEqual(200);
        if (t.kind === 'exact') expect(`${t.login}@${t.host}`).toBe(s.toLowerCase());
        if (t.kind === 'login') expect(t.login).toBe(s);
      }),
    );
  });
});

describe('grantProblem', () => {
  it.each([
    ['an active grant inside its window', grant('a'), null],
    ['a revoked grant', grant('a', { status: 'revoked' }), 'grant a is revoked'],
    ['an expired grant', grant('a', { status: 'expired' }), 'grant a is expired'],
    ['a grant that has not started', grant('a', { startsAt: NOW + 1 }), 'grant a starts at'],
    ['a grant at its end (the end is exclusive)', grant('a', { endsAt: NOW }), 'grant a ended at'],
  ])('judges %s', (_name, g, expected) => {
    const p = grantProblem(g, NOW);
    if (expected === null) expect(p).toBeNull();
    else expect(p).toContain(expected);
  });
});

describe('selectCandidates', () => {
  const a = grant('g-a', { hosts: ['db-1', 'db-2'] });
  const b = grant('g-b', { login: 'deploy', certificatePrincipal: 'deploy', hosts: ['web-1'] });
  const longer = grant('g-c', { hosts: ['db-1'], endsAt: NOW + 7_200_000 });

  it.each([
    ['LOGIN@HOST covered by a grant', [a, b], 'root@db-1', ['g-a:db-1']],
    ['LOGIN@HOST covered twice: the grant that lasts longest', [a, longer], 'root@db-1', ['g-c:db-1']],
    ['a login with several hosts', [a, b], 'root', ['g-a:db-1', 'g-a:db-2']],
    ['a login with one host', [a, b], 'deploy', ['g-b:web-1']],
    ['a name that is no login: everything', [a, b], 'Alice', ['g-a:db-1', 'g-a:db-2', 'g-b:web-1']],
  ])('chooses for %s', (_n, grants, user, expected) => {
    const s = selectCandidates(grants, parseTarget(user), NOW);
    expect(s.ok).toBe(true);
    if (s.ok) expect(s.candidates.map((c) => `${c.grant.id}:${c.host}`)).toEqual(expected);
  });

  it.each([
    ['no grant at all', [], 'root@db-1', 'not tied to any grant'],
    [
      'only an expired grant',
      [grant('x', { endsAt: NOW - 1 })],
      'root@db-1',
      'no active grant: grant x ended',
    ],
    ['only a revoked grant', [grant('x', { status: 'revoked' })], 'root@db-1', 'grant x is revoked'],
    [
      'the wrong host',
      [a],
      'root@web-9',
      'no active grant for root@web-9; the active grants cover root@db-1, root@db-2',
    ],
    ['the wrong login', [a], 'admin@db-1', 'no active grant for login admin'],
  ])('refuses %s', (_n, grants, user, reason) => {
    const s = selectCandidates(grants, parseTarget(user), NOW);
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.reason).toContain(reason);
  });

  it('only ever offers active grants, for the asked login and host', () => {
    const arbGrant = fc.record({
      id: fc.constantFrom('g1', 'g2', 'g3'),
      status: fc.constantFrom('active', 'revoked', 'expired'),
      login: fc.constantFrom('root', 'deploy'),
      hosts: fc.uniqueArray(fc.constantFrom('db-1', 'db-2', 'web-1'), { minLength: 1 }),
      endsAt: fc.integer({ min: NOW - 10, max: NOW + 10 }),
    });
    fc.assert(
      fc.property(
        fc.array(arbGrant, { maxLength: 5 }),
        fc.constantFrom('root@db-1', 'deploy', 'root', 'x y'),
        (gs, user) => {
          const grants = gs.map((g) => grant(g.id, { ...g, certificatePrincipal: g.login }));
          const target = parseTarget(user);
          const s = selectCandidates(grants, target, NOW);
          if (!s.ok) return;
          expect(s.candidates.length).toBeGreaterThan(0);
          for (const c of s.candidates) {
            expect(grantProblem(c.grant, NOW)).toBeNull();
            expect(c.grant.hosts).toContain(c.host);
            if (target.kind !== 'any') expect(c.grant.login).toBe(target.login);
            if (target.kind === 'exact') expect(c.host).toBe(target.host);
          }
        },
      ),
    );
  });
});

describe('target menu', () => {
  const candidates = [
    { grant: grant('g-a'), host: 'db-1' },
    { grant: grant('g-a'), host: 'db-2' },
  ];

  it('lists every target with its grant and time left, then asks for a number', () => {
    const text = renderMenu(candidates, NOW);
    expect(text).toContain(' 1) root@db-1   (grant g-a, 60 min left)');
    expect(text).toContain(' 2) root@db-2');
    expect(text.endsWith('Number (1-2), or q to quit: ')).toBe(true);
  });

  it.each([
    ['1', 0],
    [' 2 ', 1],
    ['3', null],
    ['0', null],
    ['x', null],
    ['q', 'quit'],
    ['QUIT', 'quit'],
  ])('reads the answer %j', (line, expected) => {
    expect(parseChoice(line, 2)).toBe(expected);
  });

  it('echoes typed digits, erases on backspace, submits on Enter and quits on Ctrl-C', () => {
    const line = new MenuLine();
    expect(line.feed(Buffer.from('12'))).toEqual({ echo: '12' });
    expect(line.feed(Buffer.from([0x7f]))).toEqual({ echo: '\b \b' });
    expect(line.feed(Buffer.from('\r'))).toEqual({ echo: '\r\n', submitted: '1' });
    expect(line.feed(Buffer.from([0x03]))).toEqual({ echo: '\r\n', quit: true });
  });
});

describe('per-session upstream certificates', () => {
  it('name user, grant, session and serial in the key id, without characters sshd logs badly', () => {
    expect(upstreamKeyId({ user: 'alice@example.com', grantId: 'r1-x', sessionId: 'c0a', serial: 42n })).toBe(
      'breakglass:user=alice@example.com:grant=r1-x:session=c0a:serial=42',
    );
    expect(upstreamKeyId({ user: 'ev"il\\\n', grantId: 'g', sessionId: 's', serial: 1n })).toBe(
      'breakglass:user=ev_il__:grant=g:session=s:serial=1',
    );
  });

  it('carry exactly the extensions the policy allows', () => {
    const none = { pty: false, portForwarding: false, agentForwarding: false, x11Forwarding: false };
    expect(upstreamExtensions(none)).toEqual([]);
    expect(upstreamExtensions({ ...none, pty: true, portForwarding: true })).toEqual([
      'permit-port-forwarding',
      'permit-pty',
    ]);
    expect(
      upstreamExtensions({ pty: true, portForwarding: true, agentForwarding: true, x11Forwarding: true }),
    ).toEqual(['permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty']);
  });
});
