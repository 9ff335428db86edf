import fc from 'fast-check';
import {
  approvalsOf,
  transition,
  nextDeadline,
  type AccessEvent,
  type AccessRecord,
  type StoredDecision,
} from '../../../src/access';
import { createFakeClock } from '../../../src/core';
import { DENIED_CONSTRAINTS, type Constraints, type Effect } from '../../../src/policy';

const HOUR = 3_600_000;
const alice = { sub: 'alice', email: 'alice@example.com', groups: ['admins'], amr: ['pwd'] };
const bob = { sub: 'bob', email: 'bob@example.com' };
const carol = { sub: 'carol', email: 'carol@example.com' };
const dave = { sub: 'dave', email: 'dave@example.com' };

function decision(effect: Effect, required = 0, extra: Partial<Constraints> = {}): StoredDecision {
  const constraints: Constraints =
    effect === 'deny'
      ? DENIED_CONSTRAINTS
      : {
          ...DENIED_CONSTRAINTS,
          maxTtlMs: 4 * HOUR,
          ttlMs: HOUR,
          logins: ['root'],
          principals: ['root'],
          pty: true,
          approvals: {
            required,
            reviewers: required > 0 ? [{ roles: ['approvers'], groups: [], emails: [] }] : [],
          },
          emergency: {
            allowed: effect === 'emergency_allowed',
            maxTtlMs: HOUR,
            notify: ['pager'],
            postReview: true,
          },
          ...extra,
        };
  return {
    effect,
    reasons: [
      { rule: 'roles.yaml:admins', effect, message: effect === 'deny' ? 'no role grants it' : 'granted' },
    ],
    policyVersion: 'sha256:abc',
    matchedRoles: ['admins'],
    hosts: ['web-1'],
    constraints,
  };
}

function create(effect: Effect, required = 0, now = 0): ReturnType<typeof transition> {
  return transition(
    null,
    {
      type: 'create',
      id: 'r00000001-AAAAAAAAAAAAAAAA',
      requester: alice,
      target: { host: 'web-1' },
      login: 'root',
      reason: 'disk full',
      emergency: effect === 'emergency_allowed',
      decision: decision(effect, required),
      pendingTtlMs: 24 * HOUR,
    },
    now,
  );
}

const rec = (effect: Effect, required = 0, now = 0) => create(effect, required, now)!.record;
const approve = (who: { sub: string; email: string }, allowed = true): AccessEvent => ({
  type: 'review',
  reviewer: who,
  verdict: 'approve',
  comment: 'ok',
  allowed,
});

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('creating a request', () => {
  it.each([
    ['deny', 0, 'denied', ['request.created', 'request.denied'], []],
    ['allow', 0, 'active', ['request.created', 'request.approved'], []],
    ['needs_approval', 2, 'pending', ['request.created'], ['request.created']],
    ['emergency_allowed', 0, 'active', ['request.created', 'emergency.activated'], ['emergency.activated']],
  ] as const)(
    'a %s decision (approvals needed: %d) gives status %s with audit %j and notifications %j',
    (effect, required, status, audit, notes) => {
      const t = create(effect, required, 1000)!;
      expect(t.record.status).toBe(status);
      expect(t.audit.map((a) => a.type)).toEqual(audit);
      expect(t.notifications.map((n) => n.event)).toEqual(notes);
      expect(t.record.decision.reasons.length).toBeGreaterThan(0);
      if (status === 'active') expect(t.record.grant).toEqual({ startsAt: 1000, endsAt: 1000 + HOUR });
      else expect(t.record.grant).toBeUndefined();
    },
  );

  it('opens the post-hoc review of emergency access and notifies the targets named by policy', () => {
    const t = create('emergency_allowed')!;
    expect(t.record.postReview).toEqual({ status: 'open' });
    expect(t.notifications[0]!.targets).toEqual(['pager']);
  });
});

describe('reviews', () => {
  const refused: Array<[string, AccessRecord, AccessEvent, number, string]> = [
    [
      'the requester approving their own request',
      rec('needs_approval', 1),
      approve({ sub: 'alice', email: 'other@example.com' }),
      1,
      'ACCESS_SELF_REVIEW',
    ],
    [
      'the requester by e-mail under another sub',
      rec('needs_approval', 1),
      approve({ sub: 'x', email: 'ALICE@example.com' }),
      1,
      'ACCESS_SELF_REVIEW',
    ],
    [
      'a reviewer the policy does not name',
      rec('needs_approval', 1),
      approve(bob, false),
      1,
      'ACCESS_NOT_REVIEWER',
    ],
    ['a review of a denied request', rec('deny'), approve(bob), 1, 'ACCESS_NOT_PENDING'],
    ['a review of an active grant', rec('allow'), approve(bob), 1, 'ACCESS_NOT_PENDING'],
    [
      'a review after the pending time',
      rec('needs_approval', 1),
      approve(bob),
      24 * HOUR,
      'ACCESS_NOT_PENDING',
    ],
  ];
  it.each(refused)('refuses %s', (_name, record, event, now, code) => {
    expect(codeOf(() => transition(record, event, now))).toBe(code);
  });

  it('counts each reviewer once and activates the grant at the N-th approval', () => {
    let r = rec('needs_approval', 2);
    r = transition(r, approve(bob), 10)!.record;
    expect(r.status).toBe('pending');
    expect(codeOf(() => transition(r, approve({ sub: 'bob', email: 'bob@example.com' }), 11))).toBe(
      'ACCESS_ALREADY_REVIEWED',
    );
    const t = transition(r, approve(carol), 20)!;
    expect(t.record.status).toBe('active');
    expect(t.record.grant).toEqual({ startsAt: 20, endsAt: 20 + HOUR });
    expect(t.audit[0]!.data).toMatchObject({ approvals: 2, required: 2 });
    expect(approvalsOf(t.record)).toBe(2);
  });

  it('a denial by an allowed reviewer denies at once', () => {
    const r = transition(rec('needs_approval', 2), approve(bob), 10)!.record;
    const t = transition(
      r,
      { type: 'review', reviewer: carol, verdict: 'deny', comment: 'not now', allowed: true },
      11,
    )!;
    expect(t.record.status).toBe('denied');
    expect(t.audit.map((a) => a.type)).toEqual(['request.denied']);
    expect(t.record.endReason).toBe('not now');
  });
});

describe('cancel, revoke, sign-off and expiry', () => {
  it('only the requester cancels, and only while pending', () => {
    const r = rec('needs_approval', 1);
    expect(codeOf(() => transition(r, { type: 'cancel', actor: bob }, 1))).toBe('ACCESS_FORBIDDEN');
    expect(transition(r, { type: 'cancel', actor: alice }, 1)!.record.status).toBe('cancelled');
    expect(codeOf(() => transition(rec('allow'), { type: 'cancel', actor: alice }, 1))).toBe(
      'ACCESS_NOT_PENDING',
    );
  });

  it.each([
    ['a person not allowed', rec('allow'), false, 1, 'ACCESS_FORBIDDEN'],
    ['a pending request', rec('needs_approval', 1), true, 1, 'ACCESS_GRANT_INACTIVE'],
    ['an ended grant', rec('allow'), true, HOUR, 'ACCESS_GRANT_EXPIRED'],
  ] as const)('refuses to revoke for %s', (_n, record, allowed, now, code) => {
    expect(codeOf(() => transition(record, { type: 'revoke', actor: bob, reason: 'x', allowed }, now))).toBe(
      code,
    );
  });

  it('revokes an active grant once, and tells the gateway through a notification', () => {
    const t = transition(
      rec('allow'),
      { type: 'revoke', actor: carol, reason: 'left the company', allowed: true },
      5,
    )!;
    expect(t.record.status).toBe('revoked');
    expect(t.record.revocationPublished).toBe(false);
    expect(t.notifications.map((n) => n.event)).toEqual(['grant.revoked']);
    expect(
      codeOf(() => transition(t.record, { type: 'revoke', actor: carol, reason: 'again', allowed: true }, 6)),
    ).toBe('ACCESS_GRANT_REVOKED');
  });

  it('keeps emergency access in the post-hoc queue until someone other than the requester signs it off', () => {
    const r = rec('emergency_allowed');
    expect(
      codeOf(() =>
        transition(
          r,
          { type: 'signoff', reviewer: alice, outcome: 'acceptable', comment: '', allowed: true },
          1,
        ),
      ),
    ).toBe('ACCESS_SELF_REVIEW');
    expect(
      codeOf(() =>
        transition(
          r,
          { type: 'signoff', reviewer: dave, outcome: 'acceptable', comment: '', allowed: false },
          1,
        ),
      ),
    ).toBe('ACCESS_NOT_REVIEWER');
    const t = transition(
      r,
      { type: 'signoff', reviewer: carol, outcome: 'unacceptable', comment: 'no ticket', allowed: true },
      2,
    )!;
    expect(t.record.postReview).toMatchObject({ status: 'signed_off', outcome: 'unacceptable' });
    expect(
      codeOf(() =>
        transition(
          t.record,
          { type: 'signoff', reviewer: carol, outcome: 'acceptable', comment: '', allowed: true },
          3,
        ),
      ),
    ).toBe('ACCESS_NO_POST_REVIEW');
    expect(
      codeOf(() =>
        transition(
          rec('allow'),
          { type: 'signoff', reviewer: carol, outcome: 'acceptable', comment: '', allowed: true },
          3,
        ),
      ),
    ).toBe('ACCESS_NO_POST_REVIEW');
  });

  it('expires pending requests and grants on time with the fake clock, and is idempotent', () => {
    const clock = createFakeClock(0);
    const pending = rec('needs_approval', 1, clock.now());
    const active = rec('allow', 0, clock.now());
    clock.advance(HOUR - 1);
    expect(transition(active, { type: 'expire' }, clock.now())).toBeNull();
    clock.advance(1);
    const ended = transition(active, { type: 'expire' }, clock.now())!;
    expect(ended.record).toMatchObject({ status: 'expired', endReason: 'grant ended' });
    expect(transition(ended.record, { type: 'expire' }, clock.now() + HOUR)).toBeNull();
    expect(transition(pending, { type: 'expire' }, clock.now())).toBeNull();
    clock.set(24 * HOUR);
    const timedOut = transition(pending, { type: 'expire' }, clock.now())!;
    expect(timedOut.record.status).toBe('expired');
    expect(timedOut.audit.map((a) => a.type)).toEqual(['request.expired']);
    expect(nextDeadline(timedOut.record)).toBeNull();
  });
});

describe('properties', () => {
  const person = fc.constantFrom(alice, bob, carol, dave, { sub: 'erin', email: 'erin@example.com' });
  const event = fc.oneof(
    fc.record({
      type: fc.constant('review' as const),
      reviewer: person,
      verdict: fc.constantFrom('approve' as const, 'deny' as const),
      comment: fc.string(),
      allowed: fc.boolean(),
    }),
    fc.record({ type: fc.constant('cancel' as const), actor: person }),
    fc.record({
      type: fc.constant('revoke' as const),
      actor: person,
      reason: fc.string(),
      allowed: fc.boolean(),
    }),
    fc.record({
      type: fc.constant('signoff' as const),
      reviewer: person,
      outcome: fc.constantFrom('acceptable' as const, 'unacceptable' as const),
      comment: fc.string(),
      allowed: fc.boolean(),
    }),
    fc.constant({ type: 'expire' as const }),
  );

  it('never lets the requester approve, never counts a reviewer twice, never leaves a final status, and keeps every history entry', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Effect>('deny', 'allow', 'needs_approval', 'emergency_allowed'),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.tuple(event, fc.integer({ min: 0, max: HOUR })), { maxLength: 25 }),
        (effect, required, steps) => {
          let r = rec(effect, effect === 'needs_approval' ? required : 0);
          let now = 0;
          for (const [e, dt] of steps) {
            now += dt;
            const before = r;
            let t;
            try {
              t = transition(r, e as AccessEvent, now);
            } catch (err) {
              if (!String((err as { code?: unknown }).code).startsWith('ACCESS_')) throw err;
              continue;
            }
            if (!t) continue;
            r = t.record;
            expect(r.history.slice(0, before.history.length)).toEqual(before.history);
            expect(r.history.length).toBeGreaterThan(before.history.length);
            expect(t.audit.length).toBeGreaterThan(0);
            if (['denied', 'cancelled', 'expired', 'revoked'].includes(before.status))
              expect(r.status).toBe(before.status);
          }
          const reviewers = r.reviews.map((v) => v.reviewer.sub);
          expect(new Set(reviewers).size).toBe(reviewers.length);
          expect(reviewers).not.toContain('alice');
          if (r.status === 'active' && effect === 'needs_approval')
            expect(approvalsOf(r)).toBeGreaterThanOrEqual(required);
        },
      ),
      { numRuns: 300 },
    );
  });
});
