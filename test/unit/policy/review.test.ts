import { canReview, evaluate, hasPermission, permissionsOf } from '../../../src/policy';
import { load, NOW, subject } from './helpers';

const { policy, inventory } = load({
  'roles.yaml': `roles:
  - name: admins
    subjects: [{ groups: [admins] }]
    hosts: [{ labels: { env: '*' } }]
    logins: [root]
    max_ttl: 4h
    approval: { required: 1, reviewers: { roles: [approvers] } }
    can: [manage_hosts]
  - name: approvers
    subjects: [{ groups: [approvers] }, { emails: ['*@leads.example.com'] }]
    can: [review_requests]
  - name: security
    subjects: [{ groups: [security] }]
    can: [watch_sessions, terminate_sessions, view_audit, review_requests]
  - name: oncall
    subjects: [{ groups: [oncall] }]
    hosts: [{ labels: { env: prod } }]
    logins: [ops]
    max_ttl: 2h
    approval: { required: 2, reviewers: { groups: [sre], emails: ['cto@example.com'] } }
    emergency: { allowed: true, max_ttl: 1h }
  - name: dev-emergency
    subjects: [{ groups: [devs] }]
    hosts: [{ labels: { env: dev } }]
    logins: [dev]
    max_ttl: 1h
    emergency: { allowed: true }
  - name: expired-approvers
    subjects: [{ groups: [old] }]
    valid_until: 2025-01-01T00:00:00Z
    can: [review_requests]
`,
});

const alice = subject('alice@example.com', ['admins']);
const adminDecision = evaluate(policy, alice, { host: 'demo', login: 'root' }, inventory, NOW);
const oncallDecision = evaluate(
  policy,
  subject('dave@example.com', ['oncall']),
  { host: 'web-1', login: 'ops' },
  inventory,
  NOW,
);

describe('canReview', () => {
  test.each([
    ['a member of the reviewer role', subject('bob@example.com', ['approvers']), true],
    ['a reviewer matched through another subjects entry', subject('lee@leads.example.com'), true],
    ['someone outside the reviewer role', subject('carol@example.com', ['security']), false],
    [
      'the requester, even as an approver',
      subject('alice@example.com', ['admins', 'approvers'], { sub: alice.sub }),
      false,
    ],
  ])('%s → %s', (_what, reviewer, allowed) => {
    expect(canReview(policy, reviewer, adminDecision, { requester: alice, now: NOW })).toBe(allowed);
  });

  test.each([
    ['a group reviewer', subject('sam@example.com', ['sre']), true],
    ['an email reviewer (case-insensitive)', subject('CTO@example.com'), true],
    ['neither', subject('bob@example.com', ['approvers']), false],
  ])('oncall decision: %s → %s', (_what, reviewer, allowed) => {
    expect(canReview(policy, reviewer, oncallDecision, { now: NOW })).toBe(allowed);
  });

  test('decisions that need no approval have no reviewers', () => {
    const allow = evaluate(
      policy,
      subject('d@example.com', ['devs']),
      { host: 'demo', login: 'dev' },
      inventory,
      NOW,
    );
    expect(allow.effect).toBe('allow');
    expect(canReview(policy, subject('bob@example.com', ['approvers']), allow, { now: NOW })).toBe(false);
    const denied = evaluate(policy, subject('x@example.com'), { host: 'demo', login: 'dev' }, inventory, NOW);
    expect(canReview(policy, subject('bob@example.com', ['approvers']), denied, { now: NOW })).toBe(false);
  });

  test('post-hoc review of an emergency: the role reviewers, else holders of review_requests', () => {
    const withReviewers = evaluate(
      policy,
      subject('dave@example.com', ['oncall']),
      { host: 'web-1', login: 'ops', emergency: true, reason: 'x' },
      inventory,
      NOW,
    );
    expect(withReviewers.effect).toBe('emergency_allowed');
    expect(canReview(policy, subject('sam@example.com', ['sre']), withReviewers, { now: NOW })).toBe(true);
    expect(canReview(policy, subject('bob@example.com', ['approvers']), withReviewers, { now: NOW })).toBe(
      false,
    );
    const noReviewers = evaluate(
      policy,
      subject('d@example.com', ['devs']),
      { host: 'demo', login: 'dev', emergency: true, reason: 'x' },
      inventory,
      NOW,
    );
    expect(canReview(policy, subject('bob@example.com', ['approvers']), noReviewers, { now: NOW })).toBe(
      true,
    );
    expect(canReview(policy, subject('e@example.com', ['devs']), noReviewers, { now: NOW })).toBe(false);
  });
});

describe('permissions', () => {
  test.each([
    [subject('bob@example.com', ['approvers']), ['review_requests']],
    [
      subject('carol@example.com', ['security']),
      ['review_requests', 'terminate_sessions', 'view_audit', 'watch_sessions'],
    ],
    [subject('alice@example.com', ['admins', 'approvers']), ['manage_hosts', 'review_requests']],
    [subject('o@example.com', ['old']), []],
    [subject('nobody@example.com'), []],
  ])('%j has %j', (s, perms) => {
    expect(permissionsOf(policy, s, NOW)).toEqual(perms);
  });

  test('hasPermission', () => {
    const carol = subject('carol@example.com', ['security']);
    expect(hasPermission(policy, carol, 'watch_sessions', NOW)).toBe(true);
    expect(hasPermission(policy, carol, 'manage_hosts', NOW)).toBe(false);
    expect(
      hasPermission(policy, subject('o@example.com', ['old']), 'review_requests', Date.UTC(2024, 5, 1)),
    ).toBe(true);
  });
});
