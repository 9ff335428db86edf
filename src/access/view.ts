import { formatDuration } from '../config';
import type { ReviewerSpec } from '../policy';
import { approvalsOf } from './transition';
import type { AccessRecord } from './types';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function who(specs: readonly ReviewerSpec[]): string {
  return specs
    .map((s) =>
      [...s.roles.map((r) => `role ${r}`), ...s.groups.map((g) => `group ${g}`), ...s.emails].join(' or '),
    )
    .join('; and ');
}

/** One sentence saying where the request stands and why (what the requester sees first). */
export function explain(r: AccessRecord, now: number): string {
  const d = r.decision;
  const required = d.constraints.approvals.required;
  switch (r.status) {
    case 'denied':
      return r.endedBy === 'system:policy'
        ? `denied by policy: ${d.reasons
            .filter((x) => x.effect === 'deny')
            .map((x) => x.message)
            .join('; ')}`
        : `denied by ${r.endedBy}${r.endReason ? `: ${r.endReason}` : ''}`;
    case 'pending':
      return `needs ${required} approval${required === 1 ? '' : 's'} from ${who(d.constraints.approvals.reviewers)}; has ${approvalsOf(r)}; expires ${iso(r.pendingUntil)}`;
    case 'active': {
      const left = Math.max(0, r.grant!.endsAt - now);
      const base = `${r.emergency ? 'EMERGENCY access' : 'access'} granted as ${r.login} on ${d.hosts.join(', ')} until ${iso(r.grant!.endsAt)} (${formatDuration(Math.floor(left / 1000) * 1000)} left)`;
      return r.postReview?.status === 'open' ? `${base}; post-hoc review pending` : base;
    }
    case 'cancelled':
      return 'cancelled by the requester';
    case 'expired':
      return r.endReason ?? 'expired';
    case 'revoked':
      return `revoked by ${r.endedBy}${r.endReason ? `: ${r.endReason}` : ''}`;
  }
}

/** The API form of a request (snake_case, ISO times). */
export function toView(r: AccessRecord, now: number) {
  const d = r.decision;
  const c = d.constraints;
  return {
    id: r.id,
    status: r.status,
    emergency: r.emergency,
    summary: explain(r, now),
    requester: {
      sub: r.requester.sub,
      email: r.requester.email,
      ...(r.requester.name ? { name: r.requester.name } : {}),
    },
    target: r.target,
    hosts: [...d.hosts],
    login: r.login,
    reason: r.reason,
    ...(r.ticket !== undefined ? { ticket: r.ticket } : {}),
    created_at: iso(r.createdAt)!,
    pending_until: iso(r.pendingUntil)!,
    decision: {
      effect: d.effect,
      reasons: d.reasons.map((x) => ({ rule: x.rule, effect: x.effect, message: x.message })),
      policy_version: d.policyVersion,
      matched_roles: [...d.matchedRoles],
      approvals_required: c.approvals.required,
      reviewers: c.approvals.reviewers.map((s) => ({
        roles: [...s.roles],
        groups: [...s.groups],
        emails: [...s.emails],
      })),
      ttl_seconds: Math.floor(c.ttlMs / 1000),
      ssh: {
        pty: c.pty,
        exec: c.exec,
        sftp: c.sftp,
        port_forwarding: c.portForwarding,
        agent_forwarding: c.agentForwarding,
        x11_forwarding: c.x11Forwarding,
        ...(c.forceCommand !== undefined ? { force_command: c.forceCommand } : {}),
        ...(c.sourceAddress !== undefined ? { source_address: [...c.sourceAddress] } : {}),
      },
      mfa_required: c.mfaRequired,
      immutable: c.immutable,
    },
    approvals: approvalsOf(r),
    reviews: r.reviews.map((v) => ({
      reviewer: v.reviewer.email || v.reviewer.sub,
      verdict: v.verdict,
      comment: v.comment,
      at: iso(v.at)!,
    })),
    grant: r.grant ? { id: r.id, starts_at: iso(r.grant.startsAt)!, ends_at: iso(r.grant.endsAt)! } : null,
    ended_at: iso(r.endedAt),
    ended_by: r.endedBy ?? null,
    end_reason: r.endReason ?? null,
    post_review: r.postReview
      ? {
          status: r.postReview.status,
          ...(r.postReview.by ? { by: r.postReview.by.email || r.postReview.by.sub } : {}),
          ...(r.postReview.at !== undefined ? { at: iso(r.postReview.at) } : {}),
          ...(r.postReview.outcome ? { outcome: r.postReview.outcome } : {}),
          ...(r.postReview.comment !== undefined ? { comment: r.postReview.comment } : {}),
        }
      : null,
    history: r.history.map((h) => ({
      at: iso(h.at)!,
      event: h.event,
      actor: h.actor,
      ...(h.note !== undefined ? { note: h.note } : {}),
    })),
  };
}

export type RequestView = ReturnType<typeof toView>;
