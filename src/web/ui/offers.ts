import type { Decision, Host, PolicyStore, Subject } from '../../policy';

/** What the policy would give a person on one host as one login (before reason, ticket and duration). */
export interface LoginOffer {
  readonly login: string;
  /** `allow`: no approval; `needs_approval`; `conditional`: granted, but the policy wants more (ticket, MFA). */
  readonly effect: 'allow' | 'needs_approval' | 'conditional';
  readonly maxTtlMs: number;
  readonly approvals: number;
  readonly emergency: { readonly allowed: boolean; readonly maxTtlMs: number };
  readonly reasonRequired: boolean;
  readonly ticketPattern?: string;
  /** What the policy still asks for (from its reasons), for `conditional`. */
  readonly conditions: readonly string[];
  readonly roles: readonly string[];
}

export interface HostOffer {
  readonly host: Host;
  readonly logins: readonly LoginOffer[];
  /** Why nothing is offered (the policy's first reason), when `logins` is empty. */
  readonly refusal?: string;
}

/** Logins the person's roles could give anywhere (templates rendered for them). */
export function candidateLogins(policy: PolicyStore, person: Subject, now: number): string[] {
  const compiled = policy.current().policy;
  const out = new Set<string>();
  for (const role of compiled.roleIndex.matching(person, compiled.limits.maxInputLength, false)) {
    if (role.hosts === undefined) continue;
    if (
      (role.validFrom !== undefined && now < role.validFrom) ||
      (role.validUntil !== undefined && now >= role.validUntil)
    )
      continue;
    for (const t of role.logins) {
      const login = t.render(person);
      if (login) out.add(login);
    }
  }
  return [...out].sort();
}

/**
 * Asks the policy, for each candidate login, what a request for `host` would get: the
 * offer shown by the request form. The decision made when the request is filed is the
 * one that counts; this only guides the form.
 */
export function hostOffer(
  policy: PolicyStore,
  person: Subject,
  host: Host,
  logins: readonly string[],
): HostOffer {
  const compiled = policy.current().policy;
  const denyIds = new Set(compiled.denies.map((d) => d.id));
  const offers: LoginOffer[] = [];
  let refusal: string | undefined;
  for (const login of logins) {
    const d: Decision = policy.evaluate(person, { host: host.name, login, reason: 'preview' });
    const roles = d.matchedRoles.map((n) => compiled.roleByName.get(n)).filter((r) => r !== undefined);
    if (d.effect === 'deny' && (roles.length === 0 || d.reasons.some((r) => denyIds.has(r.rule)))) {
      refusal ??= d.reasons.find((r) => r.effect === 'deny')?.message;
      continue;
    }
    const minOf = (values: number[]) => (values.length ? Math.min(...values) : 0);
    const ticket = roles.map((r) => r.approval.ticketPattern?.source).find((s) => s !== undefined);
    if (d.effect === 'deny') {
      offers.push({
        login,
        effect: 'conditional',
        maxTtlMs: minOf(roles.map((r) => r.maxTtlMs)),
        approvals: Math.max(0, ...roles.map((r) => r.approval.required)),
        emergency: {
          allowed: roles.every((r) => r.emergency.allowed),
          maxTtlMs: minOf(roles.map((r) => r.emergency.maxTtlMs)),
        },
        reasonRequired: roles.some((r) => r.approval.reasonRequired),
        ...(ticket !== undefined ? { ticketPattern: ticket } : {}),
        conditions: d.reasons.filter((r) => r.effect === 'deny').map((r) => r.message),
        roles: d.matchedRoles,
      });
      continue;
    }
    const c = d.constraints;
    offers.push({
      login,
      effect: d.effect === 'allow' ? 'allow' : 'needs_approval',
      maxTtlMs: c.maxTtlMs,
      approvals: c.approvals.required,
      emergency: { allowed: c.emergency.allowed, maxTtlMs: c.emergency.maxTtlMs },
      reasonRequired: c.reasonRequired,
      ...(c.ticketPattern !== undefined ? { ticketPattern: c.ticketPattern } : {}),
      conditions: [],
      roles: d.matchedRoles,
    });
  }
  return { host, logins: offers, ...(offers.length === 0 && refusal ? { refusal } : {}) };
}

/**
 * Hosts matching a search: every word must match. `key=value` (or `key:value`) matches a
 * label (`*` in the value is a wildcard); any other word matches part of the name, the
 * description or a label, ignoring case. An empty search matches every host.
 */
export function searchHosts(
  hosts: Iterable<Host>,
  query: string,
  limit = 50,
): { hosts: Host[]; more: boolean } {
  const terms = query
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t.length > 0)
    .slice(0, 8);
  const matchers = terms.map((term) => {
    const m = /^([a-z0-9][a-z0-9._/-]*)[=:](.*)$/.exec(term);
    if (m) {
      const [, key, value] = m;
      const re = new RegExp(`^${value!.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
      return (h: Host) => Object.entries(h.labels).some(([k, v]) => k.toLowerCase() === key && re.test(v));
    }
    return (h: Host) =>
      h.name.toLowerCase().includes(term) ||
      (h.description ?? '').toLowerCase().includes(term) ||
      Object.entries(h.labels).some(([k, v]) => `${k}=${v}`.toLowerCase().includes(term));
  });
  const found = [...hosts]
    .filter((h) => matchers.every((m) => m(h)))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return { hosts: found.slice(0, limit), more: found.length > limit };
}
