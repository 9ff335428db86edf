import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_TYPES, validateEvent, type EventSpec } from '../../../src/audit';
import { hasCode } from '../../../src/errors';

const DOC = readFileSync(join(__dirname, '../../../docs/audit.md'), 'utf8');

const valid = {
  type: 'certificate.issued',
  actor: 'system:ca',
  target: 'req-1',
  data: {
    serial: '18446744073709551615',
    key_fingerprint: 'SHA256:abc',
    principals: ['root'],
    valid_after: '2026-01-01T00:00:00.000Z',
    valid_before: '2026-01-01T01:00:00.000Z',
    key_id: 'alice/req-1',
    grant: 'req-1',
  },
};

function problemsOf(event: unknown, internal = false): string {
  try {
    validateEvent(event as never, internal);
  } catch (err) {
    expect(hasCode(err, 'AUDIT_INVALID_EVENT')).toBe(true);
    return (err as Error).message;
  }
  return '';
}

describe('the audit event table', () => {
  it.each(Object.entries(EVENT_TYPES as Record<string, EventSpec>))(
    'lists %s in docs/audit.md with every required field',
    (type, spec) => {
      const row = DOC.split('\n').find((l) => l.startsWith(`| \`${type}\` |`));
      expect(row).toBeDefined();
      for (const field of Object.keys(spec.fields)) expect(row).toContain(`\`${field}\``);
    },
  );

  it('covers every event the design names', () => {
    for (const type of [
      'login',
      'logout',
      'token.issued',
      'request.created',
      'request.approved',
      'request.denied',
      'request.cancelled',
      'request.expired',
      'request.revoked',
      'emergency.activated',
      'emergency.reviewed',
      'certificate.issued',
      'session.started',
      'session.checkpoint',
      'session.ended',
      'policy.loaded',
      'policy.refused',
      'host.registered',
      'host.tainted',
      'krl.published',
      'ca.changed',
      'config.changed',
      'audit.checkpoint',
    ]) {
      expect(Object.keys(EVENT_TYPES)).toContain(type);
    }
  });

  it('accepts a complete event, with extra data fields', () => {
    expect(problemsOf(valid)).toBe('');
    expect(problemsOf({ ...valid, data: { ...valid.data, ca: 'user' } })).toBe('');
  });

  it.each([
    [
      'an unknown type',
      { ...valid, type: 'certificate.minted' },
      /unknown audit event type "certificate.minted"/,
    ],
    ['no type', { ...valid, type: undefined }, /unknown audit event type/],
    ['a missing field', { ...valid, data: { ...valid.data, serial: undefined } }, /data\.serial: missing/],
    [
      'a field of the wrong kind',
      { ...valid, data: { ...valid.data, principals: 'root' } },
      /data\.principals: expected a list/,
    ],
    ['an empty principal', { ...valid, data: { ...valid.data, principals: [''] } }, /data\.principals/],
    [
      'a malformed time',
      { ...valid, data: { ...valid.data, valid_before: '2026-01-01 01:00' } },
      /data\.valid_before: expected an ISO 8601/,
    ],
    ['an empty actor', { ...valid, actor: '' }, /actor: expected/],
    ['a control character in the actor', { ...valid, actor: 'user:a\nb' }, /actor: expected/],
    ['an empty target', { ...valid, target: '' }, /target: expected/],
    ['data that is a list', { ...valid, data: [] }, /data: expected an object/],
    [
      'a negative size',
      {
        type: 'session.checkpoint',
        actor: 'system:proxy',
        data: { session_id: 's', recording_sha256: 'a'.repeat(64), recording_size: -1 },
      },
      /recording_size: expected a non-negative integer/,
    ],
    [
      'an upper-case hash',
      { type: 'policy.loaded', actor: 'system:policy', data: { version: 'v1', sha256: 'A'.repeat(64) } },
      /sha256: expected 64 lowercase hex/,
    ],
    [
      'a checkpoint from outside the log',
      {
        type: 'audit.checkpoint',
        actor: 'x',
        data: { seq: 1, hash: 'a'.repeat(64), log_id: 'l', jws: 'a.b.c' },
      },
      /written by the audit log itself/,
    ],
  ])('refuses %s with AUDIT_INVALID_EVENT naming the problem', (_name, event, message) => {
    expect(problemsOf(event)).toMatch(message);
  });

  it('names every problem of an event at once', () => {
    const msg = problemsOf({ type: 'request.created', actor: '', data: { request_id: 'r' } });
    for (const part of [
      'actor',
      'data.hosts',
      'data.logins',
      'data.ttl_seconds',
      'data.reason',
      'data.emergency',
    ])
      expect(msg).toContain(part);
  });

  it('lets the log itself write checkpoints', () => {
    expect(
      problemsOf(
        {
          type: 'audit.checkpoint',
          actor: 'system:audit',
          data: { seq: 1, hash: 'a'.repeat(64), log_id: 'l', jws: 'a.b.c' },
        },
        true,
      ),
    ).toBe('');
  });
});
