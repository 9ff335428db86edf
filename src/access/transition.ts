import type { AccessRecord, Person, Requester, StoredDecision } from './types';

/**
 * What the request state machine (machine.ts) takes and gives: the events it applies,
 * the audit entries and notifications a transition causes, and the small questions
 * about people and approvals that the services ask too.
 */

export const SYSTEM_ACCESS = 'system:access';
export const SYSTEM_POLICY = 'system:policy';

export type AccessEvent =
  | {
      readonly type: 'create';
      readonly id: string;
      readonly requester: Requester;
      readonly target: AccessRecord['target'];
      readonly login: string;
      readonly ttlMs?: number;
      readonly reason: string;
      readonly ticket?: string;
      readonly emergency: boolean;
      readonly decision: StoredDecision;
      readonly pendingTtlMs: number;
    }
  | {
      readonly type: 'review';
      readonly reviewer: Person;
      readonly verdict: 'approve' | 'deny';
      readonly comment: string;
      /** The policy lets this person review this request (`canReview`). */
      readonly allowed: boolean;
    }
  | { readonly type: 'cancel'; readonly actor: Person }
  | {
      readonly type: 'revoke';
      /** A person, or null for the system. */
      readonly actor: Person | null;
      readonly reason: string;
      /** Requester, one of its reviewers, or security (`hasPermission`). */
      readonly allowed: boolean;
    }
  | {
      readonly type: 'signoff';
      readonly reviewer: Person;
      readonly outcome: 'acceptable' | 'unacceptable';
      readonly comment: string;
      readonly allowed: boolean;
    }
  | { readonly type: 'expire' };

/** An audit entry to append (the shape of the audit log's `AuditEvent`). */
export interface AuditDraft {
  readonly type:
    | 'request.created'
    | 'request.approved'
    | 'request.denied'
    | 'request.cancelled'
    | 'request.expired'
    | 'request.revoked'
    | 'emergency.activated'
    | 'emergency.reviewed';
  readonly actor: string;
  readonly target: string;
  readonly data: Record<string, unknown>;
  readonly policy_version: string;
}

export type NotificationEvent =
  'request.created' | 'request.reviewed' | 'emergency.activated' | 'grant.revoked' | 'host.tainted';

export interface NotificationDraft {
  readonly event: NotificationEvent;
  /** Targets named by policy (emergency notify) besides the subscribed ones. */
  readonly targets?: readonly string[];
  readonly data: Record<string, unknown>;
}

export interface Transition {
  readonly record: AccessRecord;
  readonly audit: readonly AuditDraft[];
  readonly notifications: readonly NotificationDraft[];
}

/** Audit actor of a person (`user:<email>`, or `user:<sub>` without e-mail). */
export function actorOf(p: Person | null): string {
  return p === null ? SYSTEM_ACCESS : `user:${p.email || p.sub}`;
}

export function samePerson(a: Pick<Person, 'sub' | 'email'>, b: Pick<Person, 'sub' | 'email'>): boolean {
  return a.sub === b.sub || (a.email !== '' && a.email.toLowerCase() === b.email.toLowerCase());
}

export function approvalsOf(record: AccessRecord): number {
  return record.reviews.filter((r) => r.verdict === 'approve').length;
}
