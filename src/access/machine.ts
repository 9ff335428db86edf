import { BreakglassError } from '../errors';
import {
  SYSTEM_ACCESS,
  SYSTEM_POLICY,
  actorOf,
  samePerson,
  type AccessEvent,
  type AuditDraft,
  type Transition,
} from './transition';
import type { AccessRecord, HistoryEntry, Review, StoredDecision } from './types';

/**
 * The request state machine: a pure function of (record, event, now). It returns the
 * next record with the audit entries and notifications the transition causes, returns
 * null when the event changes nothing (an expiry that is not due, or already done
 * elsewhere: the sweeper on every replica relies on that), or throws a coded error
 * when the event is not allowed. Whether a reviewer or revoker is allowed is decided
 * by policy outside (`allowed`), so this file knows no policy and does no I/O.
 */

function fail(code: ConstructorParameters<typeof BreakglassError>[0], message: string, id: string): never {
  throw new BreakglassError(code, message, { details: { request_id: id } });
}

function summary(r: AccessRecord): Record<string, unknown> {
  return {
    request_id: r.id,
    requester: r.requester.email || r.requester.sub,
    hosts: [...r.decision.hosts],
    login: r.login,
    reason: r.reason,
    emergency: r.emergency,
    status: r.status,
    ...(r.grant ? { grant_ends_at: new Date(r.grant.endsAt).toISOString() } : {}),
  };
}

function grantTtl(d: StoredDecision): number {
  return d.constraints.ttlMs;
}

function withHistory(r: AccessRecord, entry: HistoryEntry, changes: Partial<AccessRecord>): AccessRecord {
  const next: AccessRecord = { ...r, ...changes, history: [...r.history, entry] };
  delete (next as { lease?: unknown }).lease;
  return next;
}

function create(e: Extract<AccessEvent, { type: 'create' }>, now: number): Transition {
  const d = e.decision;
  const actor = actorOf(e.requester);
  const base: AccessRecord = {
    id: e.id,
    requester: e.requester,
    target: e.target,
    login: e.login,
    ...(e.ttlMs !== undefined ? { ttlMs: e.ttlMs } : {}),
    reason: e.reason,
    ...(e.ticket !== undefined ? { ticket: e.ticket } : {}),
    emergency: e.emergency,
    createdAt: now,
    pendingUntil: now + e.pendingTtlMs,
    decision: d,
    status: 'pending',
    reviews: [],
    history: [{ at: now, event: 'created', actor }],
  };
  const created: AuditDraft = {
    type: 'request.created',
    actor,
    target: e.id,
    policy_version: d.policyVersion,
    data: {
      request_id: e.id,
      hosts: [...d.hosts],
      logins: [e.login],
      ttl_seconds: Math.floor((d.effect === 'deny' ? (e.ttlMs ?? 0) : grantTtl(d)) / 1000),
      reason: e.reason,
      emergency: e.emergency,
      effect: d.effect,
      ...(e.ticket !== undefined ? { ticket: e.ticket } : {}),
    },
  };
  const grant = { startsAt: now, endsAt: now + grantTtl(d) };
  switch (d.effect) {
    case 'deny': {
      const why = d.reasons.map((r) => r.message).join('; ') || 'denied by policy';
      const record = withHistory(
        base,
        { at: now, event: 'denied', actor: SYSTEM_POLICY, note: why },
        {
          status: 'denied',
          endedAt: now,
          endedBy: SYSTEM_POLICY,
          endReason: why,
        },
      );
      return {
        record,
        audit: [
          created,
          {
            type: 'request.denied',
            actor: SYSTEM_POLICY,
            target: e.id,
            policy_version: d.policyVersion,
            data: { request_id: e.id, reason: why.slice(0, 4096), by: 'policy' },
          },
        ],
        notifications: [],
      };
    }
    case 'allow': {
      const record = withHistory(
        base,
        { at: now, event: 'approved', actor: SYSTEM_POLICY, note: 'no approval required' },
        { status: 'active', grant },
      );
      return {
        record,
        audit: [
          created,
          {
            type: 'request.approved',
            actor: SYSTEM_POLICY,
            target: e.id,
            policy_version: d.policyVersion,
            data: {
              request_id: e.id,
              approvals: 0,
              required: 0,
              grant_starts_at: iso(grant.startsAt),
              grant_ends_at: iso(grant.endsAt),
            },
          },
        ],
        notifications: [],
      };
    }
    case 'needs_approval':
      return {
        record: base,
        audit: [created],
        notifications: [
          {
            event: 'request.created',
            data: {
              ...summary(base),
              approvals_required: d.constraints.approvals.required,
              reviewers: d.constraints.approvals.reviewers,
            },
          },
        ],
      };
    case 'emergency_allowed': {
      const record = withHistory(
        base,
        { at: now, event: 'emergency activated', actor },
        {
          status: 'active',
          grant,
          ...(d.constraints.emergency.postReview ? { postReview: { status: 'open' as const } } : {}),
        },
      );
      return {
        record,
        audit: [
          created,
          {
            type: 'emergency.activated',
            actor,
            target: e.id,
            policy_version: d.policyVersion,
            data: {
              request_id: e.id,
              reason: e.reason,
              grant_starts_at: iso(grant.startsAt),
              grant_ends_at: iso(grant.endsAt),
              notify: [...d.constraints.emergency.notify],
              post_review: d.constraints.emergency.postReview,
            },
          },
        ],
        notifications: [
          {
            event: 'emergency.activated',
            targets: [...d.constraints.emergency.notify],
            data: summary(record),
          },
        ],
      };
    }
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function review(r: AccessRecord, e: Extract<AccessEvent, { type: 'review' }>, now: number): Transition {
  if (r.status !== 'pending')
    fail(
      'ACCESS_NOT_PENDING',
      `request ${r.id} is ${r.status}, not pending; it can no longer be reviewed`,
      r.id,
    );
  if (now >= r.pendingUntil)
    fail(
      'ACCESS_NOT_PENDING',
      `request ${r.id} expired at ${iso(r.pendingUntil)} before it was approved`,
      r.id,
    );
  if (samePerson(e.reviewer, r.requester))
    fail('ACCESS_SELF_REVIEW', 'you filed this request; another reviewer must review it', r.id);
  if (!e.allowed)
    fail('ACCESS_NOT_REVIEWER', `the policy does not name you as a reviewer of request ${r.id}`, r.id);
  if (r.reviews.some((x) => samePerson(x.reviewer, e.reviewer)))
    fail('ACCESS_ALREADY_REVIEWED', `you already reviewed request ${r.id}; each reviewer counts once`, r.id);
  const actor = actorOf(e.reviewer);
  const item: Review = { reviewer: e.reviewer, verdict: e.verdict, comment: e.comment, at: now };
  const reviews = [...r.reviews, item];
  const pv = r.decision.policyVersion;
  if (e.verdict === 'deny') {
    const record = withHistory(
      r,
      { at: now, event: 'denied', actor, note: e.comment },
      {
        reviews,
        status: 'denied',
        endedAt: now,
        endedBy: actor,
        endReason: e.comment || 'denied by a reviewer',
      },
    );
    return {
      record,
      audit: [
        {
          type: 'request.denied',
          actor,
          target: r.id,
          policy_version: pv,
          data: { request_id: r.id, reason: e.comment, by: 'reviewer' },
        },
      ],
      notifications: [
        {
          event: 'request.reviewed',
          data: {
            ...summary(record),
            verdict: 'deny',
            reviewer: e.reviewer.email || e.reviewer.sub,
            comment: e.comment,
          },
        },
      ],
    };
  }
  const required = r.decision.constraints.approvals.required;
  const approvals = reviews.filter((x) => x.verdict === 'approve').length;
  const done = approvals >= required;
  const grant = { startsAt: now, endsAt: now + grantTtl(r.decision) };
  const record = withHistory(
    r,
    {
      at: now,
      event: done ? 'approved (grant active)' : `approval ${approvals} of ${required}`,
      actor,
      note: e.comment,
    },
    {
      reviews,
      ...(done ? { status: 'active' as const, grant } : {}),
    },
  );
  return {
    record,
    audit: [
      {
        type: 'request.approved',
        actor,
        target: r.id,
        policy_version: pv,
        data: {
          request_id: r.id,
          approvals,
          required,
          comment: e.comment,
          ...(done ? { grant_starts_at: iso(grant.startsAt), grant_ends_at: iso(grant.endsAt) } : {}),
        },
      },
    ],
    notifications: [
      {
        event: 'request.reviewed',
        data: {
          ...summary(record),
          verdict: 'approve',
          reviewer: e.reviewer.email || e.reviewer.sub,
          comment: e.comment,
          approvals,
          required,
        },
      },
    ],
  };
}

function cancel(r: AccessRecord, e: Extract<AccessEvent, { type: 'cancel' }>, now: number): Transition {
  if (!samePerson(e.actor, r.requester))
    fail('ACCESS_FORBIDDEN', 'only the requester can cancel a request', r.id);
  if (r.status !== 'pending')
    fail(
      'ACCESS_NOT_PENDING',
      `request ${r.id} is ${r.status}; only pending requests can be cancelled (revoke an active grant instead)`,
      r.id,
    );
  const actor = actorOf(e.actor);
  return {
    record: withHistory(
      r,
      { at: now, event: 'cancelled', actor },
      { status: 'cancelled', endedAt: now, endedBy: actor, endReason: 'cancelled by the requester' },
    ),
    audit: [
      {
        type: 'request.cancelled',
        actor,
        target: r.id,
        policy_version: r.decision.policyVersion,
        data: { request_id: r.id },
      },
    ],
    notifications: [],
  };
}

function revoke(r: AccessRecord, e: Extract<AccessEvent, { type: 'revoke' }>, now: number): Transition {
  if (!e.allowed)
    fail(
      'ACCESS_FORBIDDEN',
      'only the requester, the reviewers of this request or security may revoke this grant',
      r.id,
    );
  if (r.status === 'revoked') fail('ACCESS_GRANT_REVOKED', `grant ${r.id} is already revoked`, r.id);
  if (r.status !== 'active')
    fail(
      'ACCESS_GRANT_INACTIVE',
      `request ${r.id} is ${r.status}; only an active grant can be revoked`,
      r.id,
    );
  if (now >= r.grant!.endsAt)
    fail('ACCESS_GRANT_EXPIRED', `grant ${r.id} ended at ${iso(r.grant!.endsAt)}`, r.id);
  const actor = actorOf(e.actor);
  const record = withHistory(
    r,
    { at: now, event: 'revoked', actor, note: e.reason },
    {
      status: 'revoked',
      endedAt: now,
      endedBy: actor,
      endReason: e.reason,
      revocationPublished: false,
    },
  );
  return {
    record,
    audit: [
      {
        type: 'request.revoked',
        actor,
        target: r.id,
        policy_version: r.decision.policyVersion,
        data: { request_id: r.id, reason: e.reason },
      },
    ],
    notifications: [
      { event: 'grant.revoked', data: { ...summary(record), revoked_by: actor, revoke_reason: e.reason } },
    ],
  };
}

function signoff(r: AccessRecord, e: Extract<AccessEvent, { type: 'signoff' }>, now: number): Transition {
  if (r.postReview?.status !== 'open')
    fail('ACCESS_NO_POST_REVIEW', `request ${r.id} has no open post-hoc review`, r.id);
  if (samePerson(e.reviewer, r.requester))
    fail('ACCESS_SELF_REVIEW', 'you used this emergency access; another reviewer must sign it off', r.id);
  if (!e.allowed)
    fail('ACCESS_NOT_REVIEWER', `the policy does not name you as a reviewer of request ${r.id}`, r.id);
  const actor = actorOf(e.reviewer);
  return {
    record: withHistory(
      r,
      { at: now, event: `post-hoc review: ${e.outcome}`, actor, note: e.comment },
      {
        postReview: { status: 'signed_off', by: e.reviewer, at: now, outcome: e.outcome, comment: e.comment },
      },
    ),
    audit: [
      {
        type: 'emergency.reviewed',
        actor,
        target: r.id,
        policy_version: r.decision.policyVersion,
        data: { request_id: r.id, outcome: e.outcome, comment: e.comment },
      },
    ],
    notifications: [],
  };
}

function expire(r: AccessRecord, now: number): Transition | null {
  let why: string;
  if (r.status === 'pending' && now >= r.pendingUntil) why = 'pending request timed out';
  else if (r.status === 'active' && now >= r.grant!.endsAt) why = 'grant ended';
  else return null;
  return {
    record: withHistory(
      r,
      { at: now, event: 'expired', actor: SYSTEM_ACCESS, note: why },
      { status: 'expired', endedAt: now, endedBy: SYSTEM_ACCESS, endReason: why },
    ),
    audit: [
      {
        type: 'request.expired',
        actor: SYSTEM_ACCESS,
        target: r.id,
        policy_version: r.decision.policyVersion,
        data: { request_id: r.id, reason: why, was: r.status },
      },
    ],
    notifications: [],
  };
}

/** Applies `event` to `record` (null only for `create`) at time `now`. */
export function transition(record: AccessRecord | null, event: AccessEvent, now: number): Transition | null {
  if (event.type === 'create') {
    if (record !== null) throw new TypeError(`request ${event.id} already exists`);
    return create(event, now);
  }
  if (record === null) throw new TypeError(`${event.type} needs an existing request`);
  switch (event.type) {
    case 'review':
      return review(record, event, now);
    case 'cancel':
      return cancel(record, event, now);
    case 'revoke':
      return revoke(record, event, now);
    case 'signoff':
      return signoff(record, event, now);
    case 'expire':
      return expire(record, now);
  }
}

/** When the record next needs the sweeper (pending expiry or grant end), or null when it never does. */
export function nextDeadline(r: AccessRecord): number | null {
  if (r.status === 'pending') return r.pendingUntil;
  if (r.status === 'active') return r.grant!.endsAt;
  return null;
}
