import { evaluate, type AccessRequest, type Decision, type Subject } from '../../../src/policy';
import { HOUR, load, NOW, subject } from './helpers';

const ROLES = `
roles:
  - name: admins
    subjects: [{ groups: [admins] }]
    hosts: [{ labels: { env: '*' } }]
    logins: [root, '{{email.local}}']
    max_ttl: 4h
    approval: { required: 1, reviewers: { roles: [approvers] }, reason_required: true }
    ssh: { sftp: true, idle_timeout: 30m }
  - name: approvers
    subjects: [{ groups: [approvers] }]
    can: [review_requests]
  - name: devs
    subjects: [{ groups: [devs] }, { emails: ['*@contractor.example'] }]
    hosts: [{ labels: { env: [dev, staging] } }]
    logins: ['{{email.local}}']
    max_ttl: 8h
  - name: shop-team
    subjects: [{ groups: [shop], claims: { department: [ecommerce, '^shop-[a-z]+$'] } }]
    hosts: [{ labels: { team: shop } }]
    logins: [shop, '{{claims.preferred_username}}']
    max_ttl: 2h
    ssh: { pty: false, exec: true, force_command: /usr/local/bin/shop-console, source_address: [10.0.0.0/8], record_input: true }
  - name: oncall
    subjects: [{ groups: [oncall] }]
    hosts: [{ labels: { env: prod } }]
    logins: ['{{email.local}}']
    max_ttl: 2h
    approval: { required: 2, reviewers: { groups: [sre-leads], emails: ['boss@example.com'] }, ticket_pattern: '^INC-[0-9]+$' }
    emergency: { allowed: true, max_ttl: 1h, notify: [pager], post_review: true }
  - name: auditors
    subjects: [{ groups: [auditors] }]
    hosts: [{ names: [db-1] }]
    logins: [readonly]
    max_ttl: 1h
    mfa: { required: true, methods: [mfa, hwk] }
    ssh: { pty: true, exec: false }
  - name: temp-access
    subjects: [{ emails: [temp@example.com] }]
    hosts: [{ names: ['web-?'] }]
    logins: [temp]
    max_ttl: 1h
    valid_from: 2026-01-01T00:00:00Z
    valid_until: 2026-01-02T00:00:00Z
    immutable: true
deny:
  - name: no-root-on-db
    message: personal accounts only
    subjects: [{ emails: ['*'] }]
    hosts: [{ labels: { role: db } }]
    logins: [root]
  - name: contractors-never-prod
    subjects: [{ emails: ['*@contractor.example'] }]
    hosts: [{ labels: { env: prod } }]
  - name: no-emergency-for-interns
    subjects: [{ groups: [interns] }]
    applies_to: [emergency]
`;

const { policy, inventory } = load({ 'roles.yaml': ROLES });
const decide = (s: Subject, r: AccessRequest, now = NOW): Decision => evaluate(policy, s, r, inventory, now);

const alice = subject('alice@example.com', ['admins']);
const dave = subject('dave@example.com', ['oncall']);
const dev = subject('erin@example.com', ['devs']);
const shopper = subject('sam@example.com', ['shop'], {
  claims: { department: 'shop-eu', preferred_username: 'sam' },
});
const auditor = subject('audrey@example.com', ['auditors'], { amr: ['pwd', 'hwk'] });

describe('effects', () => {
  test.each<[string, Subject, AccessRequest, Decision['effect'], string[]]>([
    [
      'admin root on demo needs one approval',
      alice,
      { host: 'demo', login: 'root', reason: 'r' },
      'needs_approval',
      ['admins'],
    ],
    [
      'admin as own account',
      alice,
      { host: 'web-1', login: 'alice', reason: 'r' },
      'needs_approval',
      ['admins'],
    ],
    [
      'dev on staging is allowed without approval',
      dev,
      { host: 'stage-1', login: 'erin' },
      'allow',
      ['devs'],
    ],
    ['dev on prod is denied by default', dev, { host: 'web-1', login: 'erin' }, 'deny', []],
    ['a login the role does not grant', dev, { host: 'demo', login: 'root' }, 'deny', []],
    [
      'oncall emergency on prod',
      dave,
      { host: 'web-1', login: 'dave', emergency: true, reason: 'down', ticket: 'INC-1' },
      'emergency_allowed',
      ['oncall'],
    ],
    [
      'oncall emergency outside prod',
      dave,
      { host: 'demo', login: 'dave', emergency: true, reason: 'x' },
      'deny',
      [],
    ],
    ['claims matcher with regex', shopper, { host: 'web-2', login: 'sam' }, 'allow', ['shop-team']],
    [
      'claims matcher that fails',
      subject('x@example.com', ['shop'], { claims: { department: 'finance' } }),
      { host: 'web-2', login: 'shop' },
      'deny',
      [],
    ],
    ['host name matcher', auditor, { host: 'db-1', login: 'readonly' }, 'allow', ['auditors']],
    ['host name matcher elsewhere', auditor, { host: 'web-1', login: 'readonly' }, 'deny', []],
    ['an unknown host', alice, { host: 'nope', login: 'root', reason: 'r' }, 'deny', []],
    [
      'host names are case-insensitive',
      alice,
      { host: 'DEMO', login: 'root', reason: 'r' },
      'needs_approval',
      ['admins'],
    ],
    ['an unsafe requested login', alice, { host: 'demo', login: 'root,admin', reason: 'r' }, 'deny', []],
    ['a subject in no role', subject('nobody@example.com'), { host: 'demo', login: 'nobody' }, 'deny', []],
  ])('%s', (_what, s, request, effect, roles) => {
    const d = decide(s, request);
    expect(d.effect).toBe(effect);
    expect(d.matchedRoles).toEqual(roles);
    expect(d.policyVersion).toBe(policy.version);
    expect(d.reasons.length).toBeGreaterThan(0);
  });
});

describe('deny rules always win', () => {
  test.each<[string, Subject, AccessRequest, string]>([
    [
      'root on a database, even for admins',
      alice,
      { host: 'db-1', login: 'root', reason: 'r' },
      'roles.yaml:no-root-on-db',
    ],
    [
      'contractors on prod, whatever the role',
      subject('c@contractor.example', ['admins']),
      { host: 'web-1', login: 'root', reason: 'r' },
      'roles.yaml:contractors-never-prod',
    ],
    [
      'interns in an emergency',
      subject('ivan@example.com', ['oncall', 'interns']),
      { host: 'web-1', login: 'ivan', emergency: true, reason: 'x', ticket: 'INC-2' },
      'roles.yaml:no-emergency-for-interns',
    ],
  ])('%s', (_what, s, request, rule) => {
    const d = decide(s, request);
    expect(d.effect).toBe('deny');
    expect(d.reasons.map((r) => r.rule)).toContain(rule);
    expect(d.constraints.ttlMs).toBe(0);
  });

  test('a deny rule limited to emergencies does not affect normal requests', () => {
    const d = decide(subject('ivan@example.com', ['oncall', 'interns']), {
      host: 'web-1',
      login: 'ivan',
      ticket: 'INC-2',
    });
    expect(d.effect).toBe('needs_approval');
  });

  test('the deny message is in the reason', () => {
    expect(
      decide(alice, { host: 'db-1', login: 'root', reason: 'r' }).reasons.find((r) =>
        r.rule.endsWith('no-root-on-db'),
      )!.message,
    ).toContain('personal accounts only');
  });
});

describe('TTL', () => {
  test.each<[string, Subject, AccessRequest, Decision['effect'], number]>([
    [
      'no TTL asked: the role maximum',
      alice,
      { host: 'demo', login: 'root', reason: 'r' },
      'needs_approval',
      4 * HOUR,
    ],
    [
      'a TTL within the limit is granted as asked',
      alice,
      { host: 'demo', login: 'root', reason: 'r', ttlMs: HOUR },
      'needs_approval',
      HOUR,
    ],
    [
      'exactly the limit',
      alice,
      { host: 'demo', login: 'root', reason: 'r', ttlMs: 4 * HOUR },
      'needs_approval',
      4 * HOUR,
    ],
    [
      'above the limit: denied',
      alice,
      { host: 'demo', login: 'root', reason: 'r', ttlMs: 4 * HOUR + 1 },
      'deny',
      0,
    ],
    [
      'emergency uses the emergency limit',
      dave,
      { host: 'web-1', login: 'dave', emergency: true, reason: 'x', ticket: 'INC-1' },
      'emergency_allowed',
      HOUR,
    ],
    [
      'above the emergency limit: denied',
      dave,
      { host: 'web-1', login: 'dave', emergency: true, reason: 'x', ticket: 'INC-1', ttlMs: 2 * HOUR },
      'deny',
      0,
    ],
    ['zero TTL is malformed', alice, { host: 'demo', login: 'root', reason: 'r', ttlMs: 0 }, 'deny', 0],
    [
      'fractional TTL is malformed',
      alice,
      { host: 'demo', login: 'root', reason: 'r', ttlMs: 1.5 },
      'deny',
      0,
    ],
  ])('%s', (_what, s, request, effect, ttl) => {
    const d = decide(s, request);
    expect(d.effect).toBe(effect);
    expect(d.constraints.ttlMs).toBe(ttl);
  });

  test('the denial names the limit and the role', () => {
    const d = decide(alice, { host: 'demo', login: 'root', reason: 'r', ttlMs: 8 * HOUR });
    expect(d.reasons).toEqual([
      {
        rule: 'roles.yaml:admins',
        effect: 'deny',
        message: 'requested TTL 8h exceeds max_ttl 4h (accepted: at most 4h)',
      },
    ]);
  });
});

describe('constraints', () => {
  test('defaults: pty and exec on, sftp and forwarding off', () => {
    const c = decide(dev, { host: 'stage-1', login: 'erin' }).constraints;
    expect(c).toMatchObject({
      pty: true,
      exec: true,
      sftp: false,
      portForwarding: false,
      agentForwarding: false,
      x11Forwarding: false,
      recordInput: false,
    });
    expect(c.logins).toEqual(['erin']);
    expect(c.principals).toEqual(['erin']);
    expect(c.forceCommand).toBeUndefined();
    expect(c.idleTimeoutMs).toBeUndefined();
  });

  test('role SSH settings are carried through', () => {
    const c = decide(shopper, { host: 'web-2', login: 'shop' }).constraints;
    expect(c).toMatchObject({
      pty: false,
      exec: true,
      forceCommand: '/usr/local/bin/shop-console',
      sourceAddress: ['10.0.0.0/8'],
      recordInput: true,
      maxTtlMs: 2 * HOUR,
    });
  });

  test('idle timeout, sftp and approvals from the admin role', () => {
    const c = decide(alice, { host: 'demo', login: 'root', reason: 'r' }).constraints;
    expect(c).toMatchObject({ sftp: true, idleTimeoutMs: 30 * 60_000, reasonRequired: true });
    expect(c.approvals).toEqual({
      required: 1,
      reviewers: [{ roles: ['approvers'], groups: [], emails: [] }],
    });
  });

  test('oncall: two approvals, group and email reviewers, ticket pattern, emergency details', () => {
    const c = decide(dave, { host: 'web-2', login: 'dave', ticket: 'INC-7' }).constraints;
    expect(c.approvals).toEqual({
      required: 2,
      reviewers: [{ roles: [], groups: ['sre-leads'], emails: ['boss@example.com'] }],
    });
    expect(c.ticketPattern).toBe('^INC-[0-9]+$');
    expect(c.emergency).toEqual({ allowed: true, maxTtlMs: HOUR, notify: ['pager'], postReview: true });
  });

  test('a host flagged immutable, or a role flag, marks the grant immutable', () => {
    expect(decide(dave, { host: 'web-1', login: 'dave', ticket: 'INC-1' }).constraints.immutable).toBe(true);
    expect(decide(dave, { host: 'web-2', login: 'dave', ticket: 'INC-1' }).constraints.immutable).toBe(false);
    const temp = subject('temp@example.com');
    expect(decide(temp, { host: 'web-2', login: 'temp' }).constraints.immutable).toBe(true);
  });
});

describe('conditions', () => {
  test.each<[string, Subject, AccessRequest, string]>([
    [
      'a required reason is missing',
      alice,
      { host: 'demo', login: 'root' },
      'a reason is required (by admins)',
    ],
    [
      'a blank reason counts as missing',
      alice,
      { host: 'demo', login: 'root', reason: '   ' },
      'a reason is required',
    ],
    [
      'emergency always needs a reason',
      dave,
      { host: 'web-1', login: 'dave', emergency: true, ticket: 'INC-1' },
      'a reason is required (by emergency access)',
    ],
    [
      'a ticket is required',
      dave,
      { host: 'web-1', login: 'dave' },
      'a ticket matching ^INC-[0-9]+$ is required',
    ],
    [
      'a ticket must match',
      dave,
      { host: 'web-1', login: 'dave', ticket: 'JIRA-1' },
      'is required (got "JIRA-1")',
    ],
    [
      'MFA is required',
      subject('m@example.com', ['auditors']),
      { host: 'db-1', login: 'readonly' },
      'MFA required (amr one of: mfa, hwk; the login had: pwd)',
    ],
    [
      'a template that renders nothing',
      subject('z@example.com', ['shop'], { claims: { department: 'ecommerce' } }),
      { host: 'web-1', login: 'zed' },
      'granted logins: shop, {{claims.preferred_username}} (unusable for this subject)',
    ],
    ['an unknown host', alice, { host: 'nope', login: 'root' }, 'unknown host "nope"'],
    [
      'host and selector together',
      alice,
      { host: 'demo', selector: { env: 'dev' }, login: 'root' },
      'exactly one of host and selector',
    ],
    [
      'an over-long group',
      subject('g@example.com', ['g'.repeat(300)]),
      { host: 'demo', login: 'g' },
      'longer than 256',
    ],
  ])('%s', (_what, s, request, text) => {
    const d = decide(s, request);
    expect(d.effect).toBe('deny');
    expect(d.reasons.map((r) => r.message).join('\n')).toContain(text);
  });

  test('MFA satisfied by any listed method', () => {
    expect(decide(auditor, { host: 'db-1', login: 'readonly' })).toMatchObject({
      effect: 'allow',
      constraints: { mfaRequired: true, exec: false },
    });
  });
});

describe('validity windows', () => {
  const temp = subject('temp@example.com');
  test.each([
    ['before valid_from', Date.UTC(2025, 11, 31, 23, 59), 'deny'],
    ['at valid_from', Date.UTC(2026, 0, 1), 'allow'],
    ['inside', Date.UTC(2026, 0, 1, 12), 'allow'],
    ['at valid_until', Date.UTC(2026, 0, 2), 'deny'],
  ])('%s', (_what, now, effect) => {
    expect(decide(temp, { host: 'web-1', login: 'temp' }, now).effect).toBe(effect);
  });
});

describe('label selectors', () => {
  test('a selector covers every matching host, combining their limits', () => {
    const d = decide(alice, { selector: { env: 'prod', role: 'web' }, login: 'alice', reason: 'r' });
    expect(d.effect).toBe('needs_approval');
    expect(d.hosts).toEqual(['web-1', 'web-2']);
    expect(d.constraints.immutable).toBe(true);
  });

  test.each([
    [{ env: 'prod' }, ['db-1', 'web-1', 'web-2']],
    [{ env: 'pro*' }, ['db-1', 'web-1', 'web-2']],
    [{ env: '^(dev|staging)$' }, ['demo', 'stage-1']],
    [{ env: 'prod', team: 'data' }, ['db-1']],
  ])('selector %j resolves to %j', (selector, hosts) => {
    expect(decide(alice, { selector, login: 'alice', reason: 'r' }).hosts).toEqual(hosts);
  });

  test('one denied host denies the whole selector', () => {
    const d = decide(alice, { selector: { env: 'prod' }, login: 'root', reason: 'r' });
    expect(d.effect).toBe('deny');
    expect(d.reasons.map((r) => r.rule)).toEqual(['roles.yaml:no-root-on-db']);
  });

  test.each([
    [{ env: 'nothing' }, 'no host matches'],
    [{ env: '^(a+)+$' }, 'refused'],
    [{}, 'empty label selector'],
  ])('selector %j is denied (%s)', (selector, text) => {
    const d = decide(alice, { selector, login: 'root', reason: 'r' });
    expect(d.effect).toBe('deny');
    expect(d.reasons[0]!.message).toContain(text);
  });

  test('a selector above the host limit is denied', () => {
    const small = load({ 'roles.yaml': ROLES }, { maxSelectorHosts: 2 });
    const d = evaluate(
      small.policy,
      alice,
      { selector: { env: 'prod' }, login: 'alice', reason: 'r' },
      small.inventory,
      NOW,
    );
    expect(d.reasons[0]!.message).toContain('matches 3 hosts (accepted: at most 2');
  });
});

describe('fail closed on oversized claim values', () => {
  test('a claim too long to test matches a deny rule but never an allow rule', () => {
    const p = load({
      'roles.yaml': `roles:
  - { name: r, subjects: [{ claims: { tier: '*' } }], hosts: [{ names: ['*'] }], logins: [ops], max_ttl: 1h }
deny:
  - { name: d, subjects: [{ claims: { team: blocked } }] }
`,
    });
    const long = 'x'.repeat(300);
    const allow = evaluate(
      p.policy,
      subject('a@x.io', [], { claims: { tier: 'gold' } }),
      { host: 'demo', login: 'ops' },
      p.inventory,
      NOW,
    );
    expect(allow.effect).toBe('allow');
    const tooLongForAllow = evaluate(
      p.policy,
      subject('a@x.io', [], { claims: { tier: long } }),
      { host: 'demo', login: 'ops' },
      p.inventory,
      NOW,
    );
    expect(tooLongForAllow.effect).toBe('deny');
    const tooLongForDeny = evaluate(
      p.policy,
      subject('a@x.io', [], { claims: { tier: 'gold', team: long } }),
      { host: 'demo', login: 'ops' },
      p.inventory,
      NOW,
    );
    expect(tooLongForDeny.reasons.map((r) => r.rule)).toEqual(['roles.yaml:d']);
  });
});

describe('every SSH feature flag is carried through, and only its own', () => {
  const flags = [
    ['pty', 'pty'],
    ['exec', 'exec'],
    ['sftp', 'sftp'],
    ['port_forwarding', 'portForwarding'],
    ['agent_forwarding', 'agentForwarding'],
    ['x11_forwarding', 'x11Forwarding'],
    ['record_input', 'recordInput'],
  ] as const;
  const all = {
    pty: false,
    exec: false,
    sftp: false,
    portForwarding: false,
    agentForwarding: false,
    x11Forwarding: false,
    recordInput: false,
  };
  test.each(flags)('%s: true', (yamlKey, field) => {
    const off = flags.map(([k]) => `${k}: ${k === yamlKey}`).join(', ');
    const p = load({
      'roles.yaml': `roles:\n  - { name: r, subjects: [{ groups: [g] }], hosts: [{ names: [demo] }], logins: [ops], max_ttl: 1h, ssh: { ${off} } }\n`,
    });
    const d = evaluate(p.policy, subject('a@x.io', ['g']), { host: 'demo', login: 'ops' }, p.inventory, NOW);
    expect(d.constraints).toMatchObject({ ...all, [field]: true });
  });
});

describe('deny rule validity windows', () => {
  const p = load({
    'roles.yaml': `roles:
  - { name: r, subjects: [{ groups: [g] }], hosts: [{ names: [demo] }], logins: [ops], max_ttl: 1h }
deny:
  - { name: freeze, subjects: [{ emails: ['*'] }], valid_from: '2026-12-24T00:00:00Z', valid_until: '2026-12-27T00:00:00Z' }
`,
  });
  test.each([
    [Date.UTC(2026, 11, 23), 'allow'],
    [Date.UTC(2026, 11, 25), 'deny'],
    [Date.UTC(2026, 11, 27), 'allow'],
  ])('at %s the effect is %s', (now, effect) => {
    expect(
      evaluate(p.policy, subject('a@x.io', ['g']), { host: 'demo', login: 'ops' }, p.inventory, now).effect,
    ).toBe(effect);
  });
});
