import { evaluate, type Decision } from '../../../src/policy';
import { HOUR, load, NOW, subject } from './helpers';

/** Two roles that both grant `ops` on every host to group g; `a` is fixed, `b` varies per case. */
function decideWith(
  b: string,
  request: { emergency?: boolean; ttlMs?: number; ticket?: string; reason?: string } = {},
): Decision {
  const { policy, inventory } = load({
    'roles.yaml': `roles:
  - name: a
    subjects: [{ groups: [g] }]
    hosts: [{ names: ['*'] }]
    logins: [ops]
    max_ttl: 4h
    approval: { required: 1, reviewers: { roles: [rev] }, ticket_pattern: '^OPS-[0-9]+$' }
    emergency: { allowed: true, max_ttl: 2h, notify: [pager], post_review: false }
    ssh: { sftp: true, port_forwarding: true, force_command: /bin/a, source_address: [10.0.0.0/8], idle_timeout: 30m }
  - name: rev
    subjects: [{ groups: [rev] }]
  - name: b
    subjects: [{ groups: [g] }]
    hosts: [{ names: ['*'] }]
    logins: [ops]
${b}`,
  });
  return evaluate(
    policy,
    subject('u@example.com', ['g']),
    { host: 'demo', login: 'ops', ticket: 'OPS-1', reason: 'r', ...request },
    inventory,
    NOW,
  );
}

describe('combining roles: the most restrictive value wins', () => {
  test('shortest max_ttl', () => {
    const d = decideWith('    max_ttl: 1h\n');
    expect(d.constraints.maxTtlMs).toBe(HOUR);
    expect(d.matchedRoles).toEqual(['a', 'b']);
  });

  test('a TTL allowed by one role but not the other is denied, naming the binding role', () => {
    const d = decideWith('    max_ttl: 1h\n', { ttlMs: 2 * HOUR });
    expect(d.effect).toBe('deny');
    expect(d.reasons[0]!.rule).toBe('roles.yaml:b');
  });

  test('SSH features are allowed only when every role allows them', () => {
    const c = decideWith(
      '    max_ttl: 8h\n    ssh: { sftp: false, port_forwarding: true, agent_forwarding: true, force_command: /bin/a }\n',
    ).constraints;
    expect(c).toMatchObject({
      sftp: false,
      portForwarding: true,
      agentForwarding: false,
      pty: true,
      exec: true,
    });
  });

  test('the same force_command is kept; different ones conflict and deny', () => {
    expect(decideWith('    max_ttl: 8h\n    ssh: { force_command: /bin/a }\n').constraints.forceCommand).toBe(
      '/bin/a',
    );
    const d = decideWith('    max_ttl: 8h\n    ssh: { force_command: /bin/b }\n');
    expect(d.effect).toBe('deny');
    expect(d.reasons[0]!.message).toContain('roles force different commands');
  });

  test('a role without force_command accepts the other role’s', () => {
    expect(decideWith('    max_ttl: 8h\n').constraints.forceCommand).toBe('/bin/a');
  });

  test('source_address lists intersect; disjoint lists deny', () => {
    expect(
      decideWith('    max_ttl: 8h\n    ssh: { source_address: [10.1.0.0/16, 192.168.0.0/16] }\n').constraints
        .sourceAddress,
    ).toEqual(['10.1.0.0/16']);
    const d = decideWith('    max_ttl: 8h\n    ssh: { source_address: [192.168.0.0/16] }\n');
    expect(d.effect).toBe('deny');
    expect(d.reasons[0]!.message).toContain('no address in common');
  });

  test('shortest idle timeout; record_input and MFA from any role', () => {
    const c = decideWith('    max_ttl: 8h\n    ssh: { idle_timeout: 10m, record_input: true }\n').constraints;
    expect(c.idleTimeoutMs).toBe(600_000);
    expect(c.recordInput).toBe(true);
  });

  test('approvals: the largest count, and a reviewer must satisfy every role’s reviewers', () => {
    const c = decideWith(
      '    max_ttl: 8h\n    approval: { required: 2, reviewers: { groups: [leads] }, reason_required: true }\n',
    ).constraints;
    expect(c.approvals.required).toBe(2);
    expect(c.approvals.reviewers).toEqual([
      { roles: ['rev'], groups: [], emails: [] },
      { roles: [], groups: ['leads'], emails: [] },
    ]);
    expect(c.reasonRequired).toBe(true);
  });

  test('ticket patterns combine so a ticket must match all of them', () => {
    const b = "    max_ttl: 8h\n    approval: { ticket_pattern: '^[A-Z]+-[0-9]{1,3}$' }\n";
    const c = decideWith(b).constraints;
    const re = new RegExp(c.ticketPattern!, 'u');
    expect(re.test('OPS-1')).toBe(true);
    expect(re.test('OPS-1234')).toBe(false);
    expect(re.test('DEV-1')).toBe(false);
    expect(decideWith(b, { ticket: 'OPS-1234' }).effect).toBe('deny');
  });

  test('emergency is allowed only when every role allows it', () => {
    const d = decideWith('    max_ttl: 8h\n', { emergency: true });
    expect(d.effect).toBe('deny');
    expect(d.reasons.map((r) => r.message)).toContain('emergency access is not allowed by role b');
  });

  test('emergency: shortest emergency TTL, notify targets united, post-review if any role asks', () => {
    const d = decideWith(
      '    max_ttl: 8h\n    emergency: { allowed: true, max_ttl: 30m, notify: [security], post_review: true }\n',
      { emergency: true },
    );
    expect(d.effect).toBe('emergency_allowed');
    expect(d.constraints.emergency).toEqual({
      allowed: true,
      maxTtlMs: 1_800_000,
      notify: ['pager', 'security'],
      postReview: true,
    });
    expect(d.constraints.ttlMs).toBe(1_800_000);
  });

  test('a role matching the host but not the login does not constrain the grant', () => {
    const { policy, inventory } = load({
      'roles.yaml': `roles:
  - { name: a, subjects: [{ groups: [g] }], hosts: [{ names: ['*'] }], logins: [ops], max_ttl: 4h }
  - { name: b, subjects: [{ groups: [g] }], hosts: [{ names: ['*'] }], logins: [other], max_ttl: 1h, ssh: { pty: false } }
`,
    });
    const only = evaluate(
      policy,
      subject('u@example.com', ['g']),
      { host: 'demo', login: 'ops' },
      inventory,
      NOW,
    );
    expect(only).toMatchObject({
      effect: 'allow',
      matchedRoles: ['a'],
      constraints: { maxTtlMs: 4 * HOUR, pty: true },
    });
  });
});
