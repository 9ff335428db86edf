/**
 * Public data types of the policy capability: who asks (Subject), what they ask for
 * (AccessRequest), and the answer (Decision) whose constraints the CA and the gateway
 * enforce. Everything here is plain data (JSON-serialisable).
 */

/** The person (or pipeline) asking, as identity/ builds it from IdP claims. */
export interface Subject {
  /** Stable IdP subject identifier. */
  readonly sub: string;
  readonly email: string;
  readonly name?: string;
  readonly groups: readonly string[];
  /** Authentication methods references (RFC 8176), e.g. `pwd`, `mfa`, `hwk`. */
  readonly amr: readonly string[];
  /** Every other claim of the ID token, for claim matchers and login templates. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** What is asked: one host by name, or every host matching a label selector. */
export interface AccessRequest {
  /** Target host name (from the inventory). Exactly one of `host` and `selector`. */
  readonly host?: string;
  /** Label selector: each key's value is a literal, glob or `^…$` regex; all keys must match. */
  readonly selector?: Readonly<Record<string, string>>;
  /** Login (Unix account) on the target. */
  readonly login: string;
  /** Requested duration; absent means "the longest the policy allows". */
  readonly ttlMs?: number;
  readonly reason?: string;
  readonly ticket?: string;
  /** Break-glass self-service: no approvals, notifications, post-hoc review. */
  readonly emergency?: boolean;
}

export type Effect = 'allow' | 'deny' | 'needs_approval' | 'emergency_allowed';

/** Non-SSH permissions a role can grant (`can:`). */
export const PERMISSIONS = [
  'review_requests',
  'watch_sessions',
  'terminate_sessions',
  'view_audit',
  'manage_hosts',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * Who may approve. A reviewer qualifies for one spec when they match any of its
 * roles (through the role's `subjects`), groups or emails.
 */
export interface ReviewerSpec {
  readonly roles: readonly string[];
  readonly groups: readonly string[];
  readonly emails: readonly string[];
}

export interface ApprovalConstraints {
  /** Number of distinct approvals needed (0: none). */
  readonly required: number;
  /**
   * Every applying role that requires approval contributes its spec; a reviewer must
   * satisfy every entry (intersection). Empty when `required` is 0.
   */
  readonly reviewers: readonly ReviewerSpec[];
}

export interface EmergencyConstraints {
  /** Every applying role allows break-glass self-service. */
  readonly allowed: boolean;
  readonly maxTtlMs: number;
  /** Union of the notification targets of the applying roles. */
  readonly notify: readonly string[];
  readonly postReview: boolean;
}

/** The SSH features and limits of a role, and (combined over roles) of a decision. */
export interface SshConstraints {
  readonly pty: boolean;
  readonly exec: boolean;
  readonly sftp: boolean;
  readonly portForwarding: boolean;
  readonly agentForwarding: boolean;
  readonly x11Forwarding: boolean;
  readonly forceCommand?: string;
  /** CIDRs the certificate may be used from (for a decision: the intersection of the roles' lists). */
  readonly sourceAddress?: readonly string[];
  readonly idleTimeoutMs?: number;
  readonly recordInput: boolean;
}

/** What the CA and the gateway must enforce. Deny decisions carry the all-false constraints. */
export interface Constraints extends SshConstraints {
  /** Shortest `max_ttl` of the applying roles (their emergency `max_ttl` for emergency requests). */
  readonly maxTtlMs: number;
  /** Granted duration: the requested TTL, or `maxTtlMs` when none was asked. Never above `maxTtlMs`. */
  readonly ttlMs: number;
  /** The login granted (the requested one). */
  readonly logins: readonly string[];
  /** Principals for the upstream certificate (the granted logins). */
  readonly principals: readonly string[];
  readonly approvals: ApprovalConstraints;
  readonly reasonRequired: boolean;
  /** Every ticket pattern of the applying roles, combined so that a ticket must match all. */
  readonly ticketPattern?: string;
  readonly emergency: EmergencyConstraints;
  readonly mfaRequired: boolean;
  /** The host is immutable: a session on it marks it drifted (host flag or a role's flag). */
  readonly immutable: boolean;
}

export interface Reason {
  /** `file:name` of the role or deny rule, or `request` / `inventory` / `default`. */
  readonly rule: string;
  readonly effect: Effect;
  readonly message: string;
}

export interface Decision {
  readonly effect: Effect;
  readonly constraints: Constraints;
  readonly reasons: readonly Reason[];
  /** `sha256:<hex>` of the normalised policy set the decision was made with. */
  readonly policyVersion: string;
  /** Names of the roles whose grant applies (sorted). */
  readonly matchedRoles: readonly string[];
  /** Target hosts the decision covers (sorted). */
  readonly hosts: readonly string[];
}

/** How a host proves its identity to the gateway (no trust on first use). */
export interface HostTrust {
  /** Accept a host certificate signed by the Breakglass host CA. */
  readonly hostCa: boolean;
  /** Pinned host key fingerprints (`SHA256:<base64>`). */
  readonly fingerprints: readonly string[];
}

export interface Host {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly trust: HostTrust;
  readonly immutable: boolean;
  readonly description?: string;
}
