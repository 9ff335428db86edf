import type { AuditEntry } from '../../../src/audit';
import { matchesFilter } from '../../../src/web/ui/audit-query';
import { parseUtcInput } from '../../../src/web/ui/routes/oversight';

const entry: AuditEntry = {
  seq: 7,
  time: '2026-01-31T13:45:00.000Z',
  type: 'session.started',
  actor: 'user:alice@example.com',
  target: 'demo',
  data: { session_id: 'c0ffee-1', grant: 'r123', host: 'demo' },
  prev: 'x',
  hash: 'y',
};
const at = (iso: string) => Date.parse(iso);

describe('audit filter', () => {
  test.each<[string, Parameters<typeof matchesFilter>[1], boolean]>([
    ['no filter', { limit: 10 }, true],
    ['type', { type: 'session.started', limit: 10 }, true],
    ['other type', { type: 'session.ended', limit: 10 }, false],
    ['part of the actor, any case', { actor: 'ALICE', limit: 10 }, true],
    ['another actor', { actor: 'bob', limit: 10 }, false],
    ['the target', { subject: 'dem', limit: 10 }, true],
    ['a data value', { subject: 'c0ffee', limit: 10 }, true],
    ['nothing named so', { subject: 'web-1', limit: 10 }, false],
    ['from before', { fromMs: at('2026-01-31T13:00:00Z'), limit: 10 }, true],
    ['from after', { fromMs: at('2026-01-31T14:00:00Z'), limit: 10 }, false],
    ['to after', { toMs: at('2026-01-31T14:00:00Z'), limit: 10 }, true],
    ['to before', { toMs: at('2026-01-31T13:00:00Z'), limit: 10 }, false],
  ])('%s', (_name, filter, expected) => {
    expect(matchesFilter(entry, filter)).toBe(expected);
  });
});

describe('time fields (UTC)', () => {
  test.each<[string, number | undefined | null]>([
    ['', undefined],
    ['2026-01-31T13:45', at('2026-01-31T13:45:00Z')],
    ['2026-01-31T13:45:30', at('2026-01-31T13:45:30Z')],
    ['2026-01-31', null],
    ['yesterday', null],
    ['2026-13-45T99:99', null],
  ])('%j', (text, expected) => {
    expect(parseUtcInput(text)).toEqual(expected);
  });
});
