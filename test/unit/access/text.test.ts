import { createHmac } from 'node:crypto';
import { renderPayload, signPayload, unsafeTextProblem } from '../../../src/access';
import { createRequestBody } from '../../../src/web/api/access/schemas';

describe('free text in reasons and comments', () => {
  it.each([
    ['a bidi override (Trojan Source)', 'approve \u202Eevil\u202C'],
    ['a right-to-left isolate', 'x\u2067y'],
    ['a zero-width space', 'ro\u200Bot'],
    ['a zero-width joiner', 'a\u200Db'],
    ['a byte-order mark', '\uFEFFreason'],
    ['a NUL byte', 'a\u0000b'],
    ['an escape sequence', 'a\u001b[31mred'],
    ['a carriage return', 'line\roverwrite'],
    ['a C1 control', 'a\u0085b'],
    ['a line separator', 'a\u2028b'],
    ['an Arabic letter mark', 'a\u061Cb'],
    ['a lone surrogate', 'a\uD800b'],
    ['a lone low surrogate at the end', 'ab\uDC00'],
    ['a surrogate pair in the wrong order', 'a\uDE25\uD83Db'],
  ])('refuses %s', (_name, text) => {
    expect(unsafeTextProblem(text)).toMatch(/U\+|surrogate/);
  });

  it.each([
    ['plain ASCII', 'disk full on /var'],
    ['several lines and tabs', 'line one\n\tline two'],
    ['accents and CJK', 'réparer le disque — 修理'],
    ['an emoji (a surrogate pair)', 'fire 🔥'],
  ])('accepts %s', (_name, text) => {
    expect(unsafeTextProblem(text)).toBeNull();
  });

  it('refuses unknown fields, wrong types and both host and selector in a request body', () => {
    const schema = createRequestBody(100);
    expect(schema.safeParse({ host: 'web-1', login: 'root', reason: 'x' }).success).toBe(true);
    expect(schema.safeParse({ host: 'web-1', login: 'root', admin: true }).success).toBe(false);
    expect(schema.safeParse({ host: 7, login: 'root' }).success).toBe(false);
    expect(schema.safeParse({ host: 'web-1', selector: { env: 'prod' }, login: 'root' }).success).toBe(false);
    expect(schema.safeParse({ login: 'root' }).success).toBe(false);
    expect(schema.safeParse({ host: 'web-1', login: 'root', reason: 'x'.repeat(101) }).success).toBe(false);
    expect(schema.safeParse({ host: 'web-1', login: 'root', ttl: '-1h' }).success).toBe(false);
  });
});

describe('webhook payloads', () => {
  const delivery = {
    id: 'd1',
    event: 'emergency.activated' as const,
    time: '2026-01-01T00:00:00.000Z',
    data: {
      request_id: 'r1',
      requester: 'dave@example.com',
      hosts: ['web-1'],
      login: 'dave',
      reason: 'outage',
      grant_ends_at: '2026-01-01T01:00:00.000Z',
    },
  };

  it('signs TIMESTAMP.BODY with HMAC-SHA256 so a receiver can recompute it', () => {
    const body = renderPayload('json', delivery);
    expect(signPayload('0123456789abcdef', '1767225600', body)).toBe(
      `sha256=${createHmac('sha256', '0123456789abcdef').update(`1767225600.${body}`).digest('hex')}`,
    );
    expect(JSON.parse(body)).toEqual({
      id: 'd1',
      event: 'emergency.activated',
      time: delivery.time,
      data: delivery.data,
    });
  });

  it('renders a Slack-compatible payload with text and a section block', () => {
    const slack = JSON.parse(renderPayload('slack', delivery)) as {
      text: string;
      blocks: Array<{ type: string; text: { type: string; text: string } }>;
    };
    expect(slack.text).toContain('EMERGENCY');
    expect(slack.text).toContain('dave@web-1');
    expect(slack.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: slack.text } });
  });
});
