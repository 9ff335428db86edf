import { permissionsOf, type CompiledPolicy, type Permission, type Subject } from '../../policy';

export { policySubject } from '../../identity'; // one conversion, the identity module's

/** What a person may do in the UI; pages and navigation are shown by these. */
export interface Abilities {
  readonly permissions: readonly Permission[];
  /** Some active role gives them logins on hosts (the request form). */
  readonly request: boolean;
  readonly review: boolean;
  readonly watch: boolean;
  readonly terminate: boolean;
  readonly audit: boolean;
  readonly hosts: boolean;
  /** Names of the roles that match them (shown on refusal pages). */
  readonly roles: readonly string[];
}

const active = (r: { validFrom?: number; validUntil?: number }, now: number) =>
  (r.validFrom === undefined || r.validFrom <= now) && (r.validUntil === undefined || now < r.validUntil);

export function abilitiesOf(policy: CompiledPolicy, subject: Subject, now: number): Abilities {
  const permissions = permissionsOf(policy, subject, now);
  const roles = policy.roleIndex
    .matching(subject, policy.limits.maxInputLength, false)
    .filter((r) => active(r, now));
  const has = (p: Permission) => permissions.includes(p);
  return {
    permissions,
    request: roles.some((r) => r.hosts !== undefined && r.logins.length > 0),
    review: has('review_requests'),
    watch: has('watch_sessions'),
    terminate: has('terminate_sessions'),
    audit: has('view_audit'),
    hosts: has('manage_hosts') || has('view_audit'),
    roles: roles.map((r) => r.name),
  };
}

/** A page and what it takes to see it (for navigation and refusals). */
export interface PageRule {
  readonly label: string;
  readonly allowed: (a: Abilities) => boolean;
  /** Says who may see it, for the refusal page. */
  readonly who: string;
}

export const PAGE_RULES = {
  request: {
    label: 'Request access',
    allowed: (a) => a.request,
    who: 'people whose role grants logins on hosts (admins, on-call engineers)',
  },
  reviews: {
    label: 'Reviews',
    allowed: (a) => a.review,
    who: 'reviewers (the review_requests permission)',
  },
  sessions: {
    label: 'Sessions',
    allowed: (a) => a.watch,
    who: 'security reviewers (the watch_sessions permission)',
  },
  audit: {
    label: 'Audit log',
    allowed: (a) => a.audit,
    who: 'people with the view_audit permission',
  },
  hosts: {
    label: 'Hosts',
    allowed: (a) => a.hosts,
    who: 'people with the manage_hosts or view_audit permission',
  },
} as const satisfies Record<string, PageRule>;

export type PageName = keyof typeof PAGE_RULES;
