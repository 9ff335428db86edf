import type { LoginTemplate } from './logins';
import type { PolicyLimits } from './limits';
import type { Pattern } from './patterns';
import type { RuleIndex } from './rule-index';
import type { Permission, SshConstraints } from './types';

/** Compiled, ready-to-evaluate forms of the policy documents. Internal to policy/. */

export interface SubjectMatcher {
  readonly groups?: readonly Pattern[];
  readonly emails?: readonly Pattern[];
  readonly claims?: ReadonlyArray<{ readonly name: string; readonly patterns: readonly Pattern[] }>;
}

export interface HostSelector {
  readonly names?: readonly Pattern[];
  readonly labels?: ReadonlyArray<{ readonly key: string; readonly patterns: readonly Pattern[] }>;
}

export interface CompiledRule {
  /** `file:name`, as shown in reasons. */
  readonly id: string;
  readonly name: string;
  readonly file: string;
  /** Position in name order; used to keep every output independent of file order. */
  readonly order: number;
  readonly subjects: readonly SubjectMatcher[];
  /** Absent: every host (deny rules) or none (permission-only roles). */
  readonly hosts?: readonly HostSelector[];
  readonly validFrom?: number;
  readonly validUntil?: number;
}

export interface CompiledRole extends CompiledRule {
  readonly kind: 'role';
  readonly logins: readonly LoginTemplate[];
  readonly maxTtlMs: number;
  readonly approval: {
    readonly required: number;
    readonly reviewers: {
      readonly roles: readonly string[];
      readonly groups: readonly string[];
      readonly emails: readonly string[];
    };
    readonly reasonRequired: boolean;
    readonly ticketPattern?: Pattern;
  };
  readonly emergency: {
    readonly allowed: boolean;
    readonly maxTtlMs: number;
    readonly notify: readonly string[];
    readonly postReview: boolean;
  };
  readonly mfa: { readonly required: boolean; readonly methods: readonly string[] };
  readonly ssh: SshConstraints;
  readonly can: readonly Permission[];
  readonly immutable: boolean;
}

export interface CompiledDeny extends CompiledRule {
  readonly kind: 'deny';
  readonly message?: string;
  readonly logins?: readonly Pattern[];
  readonly appliesTo: { readonly normal: boolean; readonly emergency: boolean };
}

/** A validated policy set: what `evaluate` needs besides the inventory. */
export interface CompiledPolicy {
  /** `sha256:<hex>` of the normalised policy set (independent of file and role order, comments, layout). */
  readonly version: string;
  readonly roles: readonly CompiledRole[];
  readonly denies: readonly CompiledDeny[];
  readonly roleByName: ReadonlyMap<string, CompiledRole>;
  readonly roleIndex: RuleIndex<CompiledRole>;
  readonly denyIndex: RuleIndex<CompiledDeny>;
  readonly limits: PolicyLimits;
}
