import { BreakglassError } from '../errors';
import { HASH_RE, TIME_RE } from './entry';

/**
 * Kinds of required data fields:
 * - `id`: non-empty string of at most 256 characters without control characters;
 * - `text`: any string of at most 4096 characters (may be empty);
 * - `int`: non-negative safe integer;
 * - `bool`: true or false;
 * - `time`: ISO 8601 UTC with milliseconds (`2026-01-01T00:00:00.000Z`);
 * - `sha256`: 64 lowercase hex digits;
 * - `ids`: list of `id`s (may be empty);
 * - `object`: a plain object.
 */
export type FieldKind = 'id' | 'text' | 'int' | 'bool' | 'time' | 'sha256' | 'ids' | 'object';

export interface EventSpec {
  /** One line for docs/audit.md. */
  readonly doc: string;
  /** Required members of `data` and their kinds; other members are allowed. */
  readonly fields: Readonly<Record<string, FieldKind>>;
}

/**
 * The one table of audit event types. An append whose type is not here, or whose
 * data lacks a required field or has one of the wrong kind, is refused with
 * AUDIT_INVALID_EVENT and nothing is appended. docs/audit.md lists this table (a test
 * checks every type appears there).
 */
export const EVENT_TYPES = {
  login: { doc: 'A user logged in (web or CLI).', fields: { method: 'id', groups: 'ids' } },
  logout: { doc: 'A user logged out or the session ended.', fields: { reason: 'text' } },
  'login.failed': { doc: 'A login attempt was refused.', fields: { method: 'id', reason: 'text' } },
  'token.issued': {
    doc: 'A gateway API token was issued (never the token itself).',
    fields: { token_id: 'id', expires_at: 'time' },
  },
  'request.created': {
    doc: 'An access request was filed.',
    fields: {
      request_id: 'id',
      hosts: 'ids',
      logins: 'ids',
      ttl_seconds: 'int',
      reason: 'text',
      emergency: 'bool',
    },
  },
  'request.approved': {
    doc: 'An approval was recorded (actor: the approver); `approvals` of `required` so far.',
    fields: { request_id: 'id', approvals: 'int', required: 'int' },
  },
  'request.denied': {
    doc: 'A request was denied by policy or by a reviewer.',
    fields: { request_id: 'id', reason: 'text' },
  },
  'request.cancelled': { doc: 'The requester withdrew a request.', fields: { request_id: 'id' } },
  'request.expired': { doc: 'A request or its grant reached its end.', fields: { request_id: 'id' } },
  'request.revoked': {
    doc: 'An active grant was revoked (its sessions are killed, its certificates revoked).',
    fields: { request_id: 'id', reason: 'text' },
  },
  'emergency.activated': {
    doc: 'Break-glass access was used: active at once, pending post-hoc review.',
    fields: { request_id: 'id', reason: 'text' },
  },
  'emergency.reviewed': {
    doc: 'A reviewer closed the post-hoc review of emergency access.',
    fields: { request_id: 'id', outcome: 'id' },
  },
  'certificate.issued': {
    doc: 'The CA signed a certificate (serial as a decimal string).',
    fields: {
      serial: 'id',
      key_fingerprint: 'id',
      principals: 'ids',
      valid_after: 'time',
      valid_before: 'time',
      key_id: 'id',
      grant: 'id',
    },
  },
  'session.started': {
    doc: 'An SSH session through the gateway began.',
    fields: { session_id: 'id', grant: 'id', host: 'id', login: 'id' },
  },
  'session.checkpoint': {
    doc: 'Running hash and size of a live session recording.',
    fields: { session_id: 'id', recording_sha256: 'sha256', recording_size: 'int' },
  },
  'session.ended': {
    doc: 'A session ended; its recording hash and size are sealed into the chain.',
    fields: { session_id: 'id', recording_sha256: 'sha256', recording_size: 'int', reason: 'text' },
  },
  'session.sftp': {
    doc: 'A file operation in an sftp or scp session (path, bytes, outcome).',
    fields: { session_id: 'id', op: 'id', path: 'text' },
  },
  'policy.loaded': {
    doc: 'A policy set was loaded and is in force.',
    fields: { version: 'id', sha256: 'sha256' },
  },
  'policy.refused': {
    doc: 'A policy reload was refused; the last good policy stays in force.',
    fields: { reason: 'text' },
  },
  'host.token.created': {
    doc: 'An admin created a one-time host join token (never the token itself).',
    fields: { token_id: 'id', expires_at: 'time', labels: 'object' },
  },
  'host.registered': {
    doc: 'A host registered itself (host certificate issued).',
    fields: { host_id: 'id', key_fingerprint: 'id', labels: 'object' },
  },
  'host.tainted': {
    doc: 'A host was touched by a human session and should be replaced.',
    fields: { host_id: 'id', session_id: 'id' },
  },
  'krl.published': {
    doc: 'A new key revocation list was published.',
    fields: { version: 'int', revoked: 'int', sha256: 'sha256' },
  },
  'ca.changed': {
    doc: 'A CA key was created, rotated or retired.',
    fields: { ca: 'id', change: 'id', key_fingerprint: 'id' },
  },
  'config.changed': {
    doc: 'The configuration changed (the keys only, never values).',
    fields: { keys: 'ids' },
  },
  'audit.checkpoint': {
    doc: 'A signed checkpoint (JWS) over the head of the log; written by the audit log itself.',
    fields: { seq: 'int', hash: 'sha256', log_id: 'id', jws: 'id' },
  },
} as const satisfies Record<string, EventSpec>;

export type EventType = keyof typeof EVENT_TYPES;

/** Event types callers may append (checkpoints are written by the log itself). */
export const CHECKPOINT_TYPE = 'audit.checkpoint';

const ID_MAX = 256;
const TEXT_MAX = 4096;
// C0 and C1 controls, DEL, line/paragraph separators: never in an id, actor or target.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// A JWS in compact form is longer than an id; it gets its own bound.
const JWS_MAX = 8192;

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_TYPES, type);
}

function isId(v: unknown, max = ID_MAX): boolean {
  return typeof v === 'string' && v.length > 0 && v.length <= max && !CONTROL.test(v);
}

function kindProblem(kind: FieldKind, v: unknown, name: string): string | null {
  switch (kind) {
    case 'id':
      return isId(v, name === 'jws' ? JWS_MAX : ID_MAX)
        ? null
        : `a non-empty string of at most ${ID_MAX} characters without control characters`;
    case 'text':
      return typeof v === 'string' && v.length <= TEXT_MAX
        ? null
        : `a string of at most ${TEXT_MAX} characters`;
    case 'int':
      return Number.isSafeInteger(v) && (v as number) >= 0 ? null : 'a non-negative integer';
    case 'bool':
      return typeof v === 'boolean' ? null : 'true or false';
    case 'time':
      return typeof v === 'string' && TIME_RE.test(v) && !Number.isNaN(Date.parse(v))
        ? null
        : 'an ISO 8601 UTC time with milliseconds';
    case 'sha256':
      return typeof v === 'string' && HASH_RE.test(v) ? null : '64 lowercase hex digits';
    case 'ids':
      return Array.isArray(v) && v.every((x) => isId(x))
        ? null
        : 'a list of non-empty strings without control characters';
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? null : 'an object';
  }
}

export interface EventFields {
  type: string;
  actor: string;
  target?: string;
  data: Record<string, unknown>;
  policy_version?: string;
}

/**
 * Checks an event against the table; throws AUDIT_INVALID_EVENT naming every problem.
 * `internal` allows the types the log writes itself (audit.checkpoint).
 */
export function validateEvent(event: EventFields, internal = false): void {
  const problems: string[] = [];
  const type = event?.type;
  if (typeof type !== 'string' || !isEventType(type)) {
    throw new BreakglassError(
      'AUDIT_INVALID_EVENT',
      `unknown audit event type ${JSON.stringify(type)} (accepted: the types in docs/audit.md)`,
      {
        details: { type: String(type) },
      },
    );
  }
  if (type === CHECKPOINT_TYPE && !internal)
    problems.push('audit.checkpoint entries are written by the audit log itself');
  if (!isId(event.actor))
    problems.push(
      `actor: expected a non-empty string of at most ${ID_MAX} characters without control characters`,
    );
  if (event.target !== undefined && !isId(event.target))
    problems.push('target: expected a non-empty string without control characters, or no target');
  if (event.policy_version !== undefined && !isId(event.policy_version))
    problems.push('policy_version: expected a non-empty string, or none');
  const data = event.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    problems.push('data: expected an object');
  } else {
    for (const [name, kind] of Object.entries(EVENT_TYPES[type].fields as Record<string, FieldKind>)) {
      const value = data[name];
      if (value === undefined) {
        problems.push(`data.${name}: missing (expected ${kindProblem(kind, undefined, name) ?? kind})`);
        continue;
      }
      const problem = kindProblem(kind, value, name);
      if (problem) problems.push(`data.${name}: expected ${problem}`);
    }
  }
  if (problems.length > 0) {
    throw new BreakglassError('AUDIT_INVALID_EVENT', `${type}: ${problems.join('; ')}`, {
      details: { type, problems },
    });
  }
}
