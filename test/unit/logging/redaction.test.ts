import Transport from 'winston-transport';
import { createLogger } from '../../../src/logging';

class Capture extends Transport {
  lines: string[] = [];
  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.lines.push(String(info[Symbol.for('message')]));
    next();
  }
}

function logged(secrets: string[], write: (log: ReturnType<typeof createLogger>) => void): string {
  const capture = new Capture();
  const log = createLogger({ secrets, transports: [capture], level: 'debug' });
  write(log);
  return capture.lines.join('\n');
}

const REDIS_PASSWORD = 'redis-pa55-Zq8vX';
const CLIENT_SECRET = 'oidc-client-secret-9f8e7d';

describe('log redaction', () => {
  const cases: Array<[string, (log: ReturnType<typeof createLogger>) => void, string]> = [
    [
      'a configured secret inside a message',
      (l) => l.info(`connecting with ${REDIS_PASSWORD}`),
      REDIS_PASSWORD,
    ],
    [
      'a configured secret in nested metadata',
      (l) => l.warn('retry', { redis: { url: `redis://:${REDIS_PASSWORD}@h` } }),
      REDIS_PASSWORD,
    ],
    [
      'a configured secret in an error stack',
      (l) => l.error('boom', { err: new Error(`auth failed for ${CLIENT_SECRET}`) }),
      CLIENT_SECRET,
    ],
    [
      'a configured secret in a list',
      (l) => l.debug('args', { argv: ['--secret', CLIENT_SECRET] }),
      CLIENT_SECRET,
    ],
    [
      'a value under a key named password',
      (l) => l.info('login', { password: 'typed-by-user-123' }),
      'typed-by-user-123',
    ],
    [
      'a value under a key named token',
      (l) => l.info('api', { token: 'eyJhbGciOiJFZERTQSJ9.e30.sig' }),
      'eyJhbGciOiJFZERTQSJ9',
    ],
    [
      'an Authorization header',
      (l) => l.info('req', { headers: { authorization: 'Bearer abcdefghijklmnop' } }),
      'abcdefghijklmnop',
    ],
    [
      'a bearer token in free text',
      (l) => l.info('got Bearer abcdefghijklmnopqrstu from client'),
      'abcdefghijklmnopqrstu',
    ],
    [
      'a private key block',
      (l) =>
        l.info(
          'key: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----',
        ),
      'b3BlbnNzaC1rZXktdjEAAAAA',
    ],
    ['a cookie', (l) => l.info('req', { cookie: 'bg.sid=s%3Asecretsessionid' }), 'secretsessionid'],
  ];

  it.each(cases)('never writes %s', (_name, write, secret) => {
    const out = logged([REDIS_PASSWORD, CLIENT_SECRET], write);
    expect(out.length).toBeGreaterThan(0);
    expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('keeps ordinary fields and the request id', () => {
    const out = logged([REDIS_PASSWORD], (l) =>
      l.child({ requestId: 'req-12345678' }).info('hello', { host: 'db-1', port: 22 }),
    );
    const line = JSON.parse(out) as Record<string, unknown>;
    expect(line).toMatchObject({
      message: 'hello',
      host: 'db-1',
      port: 22,
      requestId: 'req-12345678',
      level: 'info',
    });
  });

  it('writes one JSON object per line', () => {
    const out = logged([], (l) => {
      l.info('one');
      l.info('two');
    });
    expect(out.split('\n').map((s) => (JSON.parse(s) as { message: string }).message)).toEqual([
      'one',
      'two',
    ]);
  });
});
