import type { CompiledPolicy } from './compiled';
import { isActive, subjectMatches } from './match';
import { compilePattern } from './patterns';
import type { Decision, Permission, ReviewerSpec, Subject } from './types';

/**
 * Non-SSH permissions and reviewer eligibility. Deny rules restrict SSH access only;
 * they do not take permissions away.
 */

/** Permissions (`can:`) of every active role whose subjects match. */
export function permissionsOf(policy: CompiledPolicy, subject: Subject, now: number): Permission[] {
  const out = new Set<Permission>();
  for (const role of policy.roleIndex.matching(subject, policy.limits.maxInputLength, false)) {
    if (role.can.length > 0 && isActive(role, now)) {
      for (const p of role.can) out.add(p);
    }
  }
  return [...out].sort();
}

export function hasPermission(
  policy: CompiledPolicy,
  subject: Subject,
  permission: Permission,
  now: number,
): boolean {
  return permissionsOf(policy, subject, now).includes(permission);
}

function patternMatches(policy: CompiledPolicy, source: string, value: string, ignoreCase: boolean): boolean {
  try {
    const limits = policy.limits;
    return compilePattern(source, {
      maxRegexLength: limits.maxRegexLength,
      maxInput: limits.maxInputLength,
      ignoreCase,
    }).test(value);
  } catch {
    return false; // a pattern the current policy would refuse qualifies nobody
  }
}

/** Whether the reviewer satisfies one spec: member of one of its roles (via the role's subjects), groups or emails. */
export function matchesReviewerSpec(
  policy: CompiledPolicy,
  reviewer: Subject,
  spec: ReviewerSpec,
  now: number,
): boolean {
  for (const name of spec.roles) {
    const role = policy.roleByName.get(name);
    if (role && isActive(role, now) && subjectMatches(role, reviewer, policy.limits.maxInputLength))
      return true;
  }
  if (spec.groups.some((g) => reviewer.groups.some((rg) => patternMatches(policy, g, rg, false))))
    return true;
  return spec.emails.some((e) => patternMatches(policy, e, reviewer.email, true));
}

export interface ReviewOptions {
  /** The requester: never an allowed reviewer of their own request (the access layer enforces it too). */
  readonly requester?: Pick<Subject, 'sub' | 'email'>;
  readonly now: number;
}

/**
 * Whether `reviewer` may review a request that received `decision`:
 * - `needs_approval`: the reviewer satisfies every reviewer spec of the decision
 *   (reviewer roles resolve to people through those roles' `subjects` in `policy`);
 * - `emergency_allowed` with post-hoc review: the same, or, when the roles name no
 *   reviewers, anyone holding the `review_requests` permission;
 * - anything else, or the requester themselves: never.
 */
export function canReview(
  policy: CompiledPolicy,
  reviewer: Subject,
  decision: Pick<Decision, 'effect' | 'constraints'>,
  options: ReviewOptions,
): boolean {
  const { approvals, emergency } = decision.constraints;
  const r = options.requester;
  if (r && (r.sub === reviewer.sub || r.email.toLowerCase() === reviewer.email.toLowerCase())) return false;
  const satisfiesAll = () =>
    approvals.reviewers.every((spec) => matchesReviewerSpec(policy, reviewer, spec, options.now));
  if (decision.effect === 'needs_approval')
    return approvals.required > 0 && approvals.reviewers.length > 0 && satisfiesAll();
  if (decision.effect === 'emergency_allowed' && emergency.postReview) {
    return approvals.reviewers.length > 0
      ? satisfiesAll()
      : hasPermission(policy, reviewer, 'review_requests', options.now);
  }
  return false;
}
