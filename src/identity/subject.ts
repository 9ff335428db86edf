import { BreakglassError } from '../errors';

/** Who is making a request, as far as policy is concerned. */
export interface Subject {
  /** Stable identifier at the IdP (`sub`). */
  readonly sub: string;
  readonly email: string | null;
  readonly name: string | null;
  /** Group names from the configured groups claim; empty when absent. */
  readonly groups: readonly string[];
  /** Authentication methods (RFC 8176), e.g. ['pwd', 'mfa']; empty when the IdP did not say. */
  readonly amr: readonly string[];
  /** The other claims (technical claims such as exp, nonce and hashes removed). */
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface ClaimMapping {
  groupsClaim: string;
  email: string;
  name: string;
  amr: string;
  requireEmailVerified: boolean;
}

export const DEFAULT_CLAIM_MAPPING: ClaimMapping = Object.freeze({
  groupsClaim: 'groups',
  email: 'email',
  name: 'name',
  amr: 'amr',
  requireEmailVerified: false,
});

/** Claims that describe the token rather than the person; they are not kept in `Subject.claims`. */
const TECHNICAL_CLAIMS = new Set([
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'at_hash',
  'c_hash',
  's_hash',
  'azp',
  'sid',
  'auth_time',
  'scope',
  'client_id',
  'cnf',
  'typ',
]);
const MAX_GROUPS = 1000;
const MAX_TEXT = 256;
const MAX_CLAIMS_JSON = 16_384;

/** Reads a claim by name or dot path (`realm_access.roles`); a literal claim with dots wins. */
export function readClaim(claims: Record<string, unknown>, path: string): unknown {
  if (Object.prototype.hasOwnProperty.call(claims, path)) return claims[path];
  let node: unknown = claims;
  for (const part of path.split('.')) {
    if (
      typeof node !== 'object' ||
      node === null ||
      Array.isArray(node) ||
      !Object.prototype.hasOwnProperty.call(node, part)
    )
      return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  // C0/C1 controls, DEL and line separators never reach an audit entry or a log line.
  // eslint-disable-next-line no-control-regex
  if (trimmed === '' || trimmed.length > MAX_TEXT || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(trimmed))
    return null;
  return trimmed;
}

function stringList(value: unknown): string[] {
  const raw = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  const out: string[] = [];
  for (const v of raw.slice(0, MAX_GROUPS)) {
    const t = text(v);
    if (t !== null && !out.includes(t)) out.push(t);
  }
  return out;
}

/**
 * Turns verified ID token (and userinfo) claims into a Subject. Throws
 * IDENTITY_CLAIMS_INVALID when `sub` is missing or when e-mail verification is
 * required and not asserted.
 */
export function claimsToSubject(
  claims: Record<string, unknown>,
  mapping: ClaimMapping = DEFAULT_CLAIM_MAPPING,
): Subject {
  const sub = text(claims.sub);
  if (sub === null)
    throw new BreakglassError(
      'IDENTITY_CLAIMS_INVALID',
      'the identity token has no usable sub claim (accepted: a non-empty string)',
    );
  const email = text(readClaim(claims, mapping.email));
  if (mapping.requireEmailVerified && (email === null || claims.email_verified !== true)) {
    throw new BreakglassError(
      'IDENTITY_EMAIL_UNVERIFIED',
      'the IdP does not assert a verified e-mail address (email_verified must be true) and this server requires one',
    );
  }
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claims)) if (!TECHNICAL_CLAIMS.has(k)) rest[k] = v;
  const kept = JSON.stringify(rest).length <= MAX_CLAIMS_JSON ? rest : { iss: claims.iss, sub };
  return Object.freeze({
    sub,
    email: email === null ? null : email.toLowerCase(),
    name: text(readClaim(claims, mapping.name)),
    groups: Object.freeze(stringList(readClaim(claims, mapping.groupsClaim))),
    amr: Object.freeze(stringList(readClaim(claims, mapping.amr))),
    claims: Object.freeze(kept),
  });
}

/** How a subject is named in audit entries and logs. */
export function subjectLabel(subject: Pick<Subject, 'sub' | 'email'>): string {
  return subject.email ?? subject.sub;
}

/**
 * The Subject in the shape policy/ evaluates (`email` a string, `name` optional): an
 * absent e-mail address becomes '' and so matches no e-mail pattern.
 */
export function policySubject(subject: Subject): {
  sub: string;
  email: string;
  name?: string;
  groups: readonly string[];
  amr: readonly string[];
  claims: Readonly<Record<string, unknown>>;
} {
  return {
    sub: subject.sub,
    email: subject.email ?? '',
    ...(subject.name !== null ? { name: subject.name } : {}),
    groups: subject.groups,
    amr: subject.amr,
    claims: subject.claims,
  };
}
