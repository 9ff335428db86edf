import type { Certificate } from '../ca';
import type { Constraints } from '../policy';
import type { TargetRequest } from './target';

/**
 * What the gateway needs to know about a grant. The access capability owns grants; it
 * hands them to the gateway through a GrantDirectory (see `startGateway`).
 */
export interface GatewayGrant {
  readonly id: string;
  /** `active` is the only status a session may start or continue under. */
  readonly status: string;
  /** Who the grant is for (an email or subject), as audit entries name them. */
  readonly user: string;
  /** The principal the user certificate must list to use this grant (checked by the gateway). */
  readonly certificatePrincipal: string;
  /** The granted login on the hosts. */
  readonly login: string;
  /** Host names the grant covers. */
  readonly hosts: readonly string[];
  /** The grant's window (ms since the epoch): sessions run only inside it. */
  readonly startsAt: number;
  readonly endsAt: number;
  /** What the policy allows in the sessions (pty, exec, sftp, forwarding, idle timeout, input recording…). */
  readonly constraints: Constraints;
  readonly policyVersion?: string;
}

export type Unsubscribe = () => Promise<void>;

/** Where the gateway finds grants and hears that one was revoked. */
export interface GrantDirectory {
  /**
   * The grants a verified user certificate may be used for (e.g. the grant named in its
   * grant-id extension), whatever their status: the gateway checks status and window.
   */
  grantsFor(certificate: Certificate): Promise<readonly GatewayGrant[]>;
  /** The grant as it is now (re-read during sessions), or null. */
  get(id: string): Promise<GatewayGrant | null>;
  /** Calls `handler` with the id of every grant revoked on any replica. */
  onRevoked(handler: (grantId: string) => void): Promise<Unsubscribe>;
}

/** What the access capability does around gateway sessions. */
export interface SessionHooks {
  /**
   * A per-session upstream certificate was issued for a grant; it must be known to the
   * grant before it is used, so that revoking the grant revokes it too (KRL). A failure
   * stops the login.
   */
  onUpstreamCertificate?(issued: UpstreamCertificateIssued): Promise<void> | void;
  /** A connection ended (the host is marked drifted/tainted when it is immutable). */
  onSessionEnded?(ended: EndedSession): Promise<void> | void;
}

export interface UpstreamCertificateIssued {
  readonly grantId: string;
  readonly serial: string;
  readonly keyId: string;
  /** `SHA256:…` of the certified (ephemeral) key. */
  readonly fingerprint: string;
  /** End of validity (ms). */
  readonly validBefore: number;
}

/** A gateway connection that ended (one upstream login; its channels are the recorded sessions). */
export interface EndedSession {
  readonly connectionId: string;
  /** The recorded sessions of the connection (empty when it opened none, e.g. only port forwarding). */
  readonly sessionIds: readonly string[];
  readonly grantId: string;
  readonly user: string;
  readonly host: string;
  readonly login: string;
  readonly immutable: boolean;
  readonly reason: string;
}

/** One place a user may go: a grant and one of its hosts. */
export interface Candidate {
  readonly grant: GatewayGrant;
  readonly host: string;
}

/** Why a grant cannot be used now (null: it can). */
export function grantProblem(grant: GatewayGrant, now: number): string | null {
  if (grant.status !== 'active') return `grant ${grant.id} is ${grant.status}`;
  if (now < grant.startsAt) return `grant ${grant.id} starts at ${new Date(grant.startsAt).toISOString()}`;
  if (now >= grant.endsAt) return `grant ${grant.id} ended at ${new Date(grant.endsAt).toISOString()}`;
  return null;
}

export type Selection =
  | { readonly ok: true; readonly candidates: readonly Candidate[] }
  | { readonly ok: false; readonly reason: string };

/**
 * The (grant, host) pairs a target request may use among the certificate's grants, in a
 * stable order. Refusal reasons say what was asked and what the grants cover, without
 * naming other users' data. Pure.
 */
export function selectCandidates(
  grants: readonly GatewayGrant[],
  target: TargetRequest,
  now: number,
): Selection {
  if (grants.length === 0) return { ok: false, reason: 'this certificate is not tied to any grant' };
  const usable = grants.filter((g) => grantProblem(g, now) === null);
  if (usable.length === 0) {
    return { ok: false, reason: `no active grant: ${grants.map((g) => grantProblem(g, now)).join('; ')}` };
  }
  const all: Candidate[] = [];
  for (const grant of [...usable].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    for (const host of [...grant.hosts].sort()) all.push({ grant, host });
  }
  const covered = () =>
    `the active grants cover ${[...new Set(all.map((c) => `${c.grant.login}@${c.host}`))].slice(0, 10).join(', ')}`;
  if (target.kind === 'any') {
    return all.length > 0
      ? { ok: true, candidates: all }
      : { ok: false, reason: 'the active grants cover no host' };
  }
  const forLogin = all.filter((c) => c.grant.login === target.login);
  if (forLogin.length === 0)
    return { ok: false, reason: `no active grant for login ${target.login}; ${covered()}` };
  if (target.kind === 'login') return { ok: true, candidates: forLogin };
  const exact = forLogin.filter((c) => c.host === target.host);
  if (exact.length === 0)
    return {
      ok: false,
      reason: `no active grant for ${target.login}@${target.host}; ${covered()}`,
    };
  // Several grants for the same login@host: the one that lasts longest.
  const best = exact.reduce((a, b) => (b.grant.endsAt > a.grant.endsAt ? b : a));
  return { ok: true, candidates: [best] };
}
