import type { Constraints, Effect, Reason } from '../policy';

/**
 * Status of a request. `pending` waits for approvals; `active` is a grant (from
 * approvals, a policy that needs none, or emergency access); the others are final:
 * `denied` (by policy or a reviewer), `cancelled` (by the requester), `expired`
 * (pending too long, or the grant reached its end), `revoked` (ended early).
 */
export type RequestStatus = 'pending' | 'active' | 'denied' | 'cancelled' | 'expired' | 'revoked';

export const FINAL_STATUSES: readonly RequestStatus[] = ['denied', 'cancelled', 'expired', 'revoked'];

/** Who did something: enough to name them in audit entries and to recognise them again. */
export interface Person {
  readonly sub: string;
  readonly email: string;
  readonly name?: string;
}

/** The requester as policy saw them when the request was filed. */
export interface Requester extends Person {
  readonly groups: readonly string[];
  readonly amr: readonly string[];
}

export interface Review {
  readonly reviewer: Person;
  readonly verdict: 'approve' | 'deny';
  readonly comment: string;
  readonly at: number;
}

/** The policy decision stored with the request ("why"). */
export interface StoredDecision {
  readonly effect: Effect;
  readonly reasons: readonly Reason[];
  readonly policyVersion: string;
  readonly matchedRoles: readonly string[];
  readonly hosts: readonly string[];
  readonly constraints: Constraints;
}

export interface PostReview {
  readonly status: 'open' | 'signed_off';
  readonly by?: Person;
  readonly at?: number;
  readonly outcome?: 'acceptable' | 'unacceptable';
  readonly comment?: string;
}

/** One line of a request's history (every transition, also in the audit log). */
export interface HistoryEntry {
  readonly at: number;
  readonly event: string;
  readonly actor: string;
  readonly note?: string;
}

/**
 * A request and, once active, its grant: one record, one id (the grant id is the
 * request id). Records are never deleted; final ones stay as history.
 */
export interface AccessRecord {
  readonly id: string;
  readonly requester: Requester;
  readonly target: { readonly host?: string; readonly selector?: Readonly<Record<string, string>> };
  readonly login: string;
  /** Requested duration (absent: the longest the policy allows). */
  readonly ttlMs?: number;
  readonly reason: string;
  readonly ticket?: string;
  readonly emergency: boolean;
  readonly createdAt: number;
  /** When a pending request expires. */
  readonly pendingUntil: number;
  readonly decision: StoredDecision;
  readonly status: RequestStatus;
  readonly reviews: readonly Review[];
  /** Set once active: the grant's window. */
  readonly grant?: { readonly startsAt: number; readonly endsAt: number };
  readonly endedAt?: number;
  readonly endedBy?: string;
  readonly endReason?: string;
  /** Emergency access: the post-hoc review. */
  readonly postReview?: PostReview;
  /** Set once a revocation is in the KRL. */
  readonly revocationPublished?: boolean;
  readonly history: readonly HistoryEntry[];
  /** A change in progress (see repository.ts); never part of the state machine's input. */
  readonly lease?: { readonly token: string; readonly until: number };
}

/** A certificate issued for a grant (kept for the KRL). */
export interface IssuedRecord {
  readonly grant: string;
  readonly serial: string;
  readonly ca: 'user' | 'host-access';
  readonly keyId: string;
  readonly fingerprint: string;
  readonly validBefore: number;
  readonly issuedAt: number;
}
