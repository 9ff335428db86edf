import { intersectCidrLists } from './cidr';
import type { CompiledRole } from './compiled';
import type { ReviewerSpec } from './types';

/**
 * How the limits of several applying roles combine (docs/policy.md, "Combining
 * roles"): the most restrictive value of each wins.
 * - max TTL: the shortest (emergency: the shortest emergency max_ttl);
 * - SSH features: allowed only if every role allows them (AND);
 * - force_command: the one command all roles agree on; different commands conflict;
 * - source_address: the intersection of the lists; empty means a conflict;
 * - idle timeout: the shortest; record_input, MFA, reason, immutable: any role (OR);
 * - approvals: the largest count; a reviewer must satisfy every role's reviewer spec;
 * - ticket patterns: a ticket must match every one;
 * - emergency: allowed only if every role allows it; notify targets are united;
 *   post-hoc review if any role asks for it.
 */
export interface Combined {
  readonly maxTtlMs: number;
  /** The role whose TTL limit is the binding one (for reasons). */
  readonly ttlRole: CompiledRole;
  readonly pty: boolean;
  readonly exec: boolean;
  readonly sftp: boolean;
  readonly portForwarding: boolean;
  readonly agentForwarding: boolean;
  readonly x11Forwarding: boolean;
  readonly forceCommand?: string;
  readonly forceCommandConflict: boolean;
  readonly sourceAddress?: string[];
  readonly idleTimeoutMs?: number;
  readonly recordInput: boolean;
  readonly approvals: { required: number; reviewers: ReviewerSpec[] };
  readonly reasonRequired: boolean;
  readonly ticketPattern?: string;
  readonly emergency: { allowed: boolean; maxTtlMs: number; notify: string[]; postReview: boolean };
  readonly mfaRequired: boolean;
  readonly immutable: boolean;
}

/** Combines a non-empty list of roles (see above). `emergency` selects which TTL limits bind. */
export function combineRoles(roles: readonly CompiledRole[], emergency: boolean): Combined {
  if (roles.length === 0) throw new TypeError('combineRoles needs at least one role');
  const every = (f: (r: CompiledRole) => boolean) => roles.every(f);
  const some = (f: (r: CompiledRole) => boolean) => roles.some(f);
  const ttlOf = (r: CompiledRole) => (emergency ? r.emergency.maxTtlMs : r.maxTtlMs);
  let ttlRole = roles[0]!;
  for (const r of roles) if (ttlOf(r) < ttlOf(ttlRole)) ttlRole = r;

  const commands = new Set(roles.map((r) => r.ssh.forceCommand).filter((c): c is string => c !== undefined));
  let sourceAddress: string[] | undefined;
  for (const r of roles) {
    if (!r.ssh.sourceAddress) continue;
    sourceAddress =
      sourceAddress === undefined
        ? [...r.ssh.sourceAddress].sort()
        : intersectCidrLists(sourceAddress, r.ssh.sourceAddress);
  }
  const idle = roles.map((r) => r.ssh.idleTimeoutMs).filter((t): t is number => t !== undefined);

  const reviewerSpecs = new Map<string, ReviewerSpec>();
  for (const r of roles) {
    if (r.approval.required === 0) continue;
    const spec = {
      roles: r.approval.reviewers.roles,
      groups: r.approval.reviewers.groups,
      emails: r.approval.reviewers.emails,
    };
    reviewerSpecs.set(JSON.stringify(spec), spec);
  }
  const tickets = [
    ...new Set(
      roles.map((r) => r.approval.ticketPattern?.source).filter((t): t is string => t !== undefined),
    ),
  ].sort();

  const emergencyAllowed = every((r) => r.emergency.allowed);
  return {
    maxTtlMs: ttlOf(ttlRole),
    ttlRole,
    pty: every((r) => r.ssh.pty),
    exec: every((r) => r.ssh.exec),
    sftp: every((r) => r.ssh.sftp),
    portForwarding: every((r) => r.ssh.portForwarding),
    agentForwarding: every((r) => r.ssh.agentForwarding),
    x11Forwarding: every((r) => r.ssh.x11Forwarding),
    ...(commands.size === 1 ? { forceCommand: [...commands][0]! } : {}),
    forceCommandConflict: commands.size > 1,
    ...(sourceAddress !== undefined ? { sourceAddress } : {}),
    ...(idle.length > 0 ? { idleTimeoutMs: Math.min(...idle) } : {}),
    recordInput: some((r) => r.ssh.recordInput),
    approvals: {
      required: Math.max(...roles.map((r) => r.approval.required)),
      reviewers: [...reviewerSpecs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, s]) => s),
    },
    reasonRequired: emergency || some((r) => r.approval.reasonRequired),
    ...(tickets.length === 1
      ? { ticketPattern: tickets[0]! }
      : tickets.length > 1
        ? { ticketPattern: tickets.map((t) => `(?=${t})`).join('') }
        : {}),
    emergency: {
      allowed: emergencyAllowed,
      maxTtlMs: emergencyAllowed ? Math.min(...roles.map((r) => r.emergency.maxTtlMs)) : 0,
      notify: emergencyAllowed ? [...new Set(roles.flatMap((r) => r.emergency.notify))].sort() : [],
      postReview: emergencyAllowed && some((r) => r.emergency.postReview),
    },
    mfaRequired: some((r) => r.mfa.required),
    immutable: some((r) => r.immutable),
  };
}
