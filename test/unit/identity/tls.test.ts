import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFakeClock } from '../../../src/core';
import { ensureDevCertificate, loadTls } from '../../../src/web';
import { tmpDir } from '../../helpers/tmp';

const dirs: Array<{ cleanup(): void }> = [];
const tmp = () => {
  const d = tmpDir();
  dirs.push(d);
  return d.path;
};
afterAll(() => dirs.forEach((d) => d.cleanup()));

describe('the development certificate (node-forge)', () => {
  it('covers loopback, localhost and the given hosts, is self-signed and written with mode 0600', () => {
    const dir = tmp();
    const clock = createFakeClock(Date.now());
    const tls = ensureDevCertificate(dir, ['bg.test', '10.1.2.3', '0.0.0.0'], clock);
    const x = new X509Certificate(tls.cert);
    expect(x.subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:bg.test, IP Address:10.1.2.3',
    );
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkIssued(x)).toBe(true);
    expect(Date.parse(x.validTo) - clock.now()).toBeGreaterThan(80 * 86_400_000);
    for (const f of ['dev-tls.crt', 'dev-tls.key']) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
  });

  it('reuses a certificate that still fits and replaces one that is about to expire or misses a host', () => {
    const dir = tmp();
    const clock = createFakeClock(Date.now());
    const first = ensureDevCertificate(dir, ['bg.test'], clock).cert;
    expect(ensureDevCertificate(dir, ['bg.test'], clock).cert).toBe(first);
    expect(ensureDevCertificate(dir, ['other.test'], clock).cert).not.toBe(first);
    const second = readFileSync(join(dir, 'dev-tls.crt'), 'utf8');
    clock.advance(85 * 86_400_000);
    expect(ensureDevCertificate(dir, ['other.test'], clock).cert).not.toBe(second);
  });
});

describe('configured certificates', () => {
  const pair = (dir: string) => {
    const tls = ensureDevCertificate(dir, [], createFakeClock(Date.now()));
    writeFileSync(join(dir, 'server.crt'), tls.cert);
    writeFileSync(join(dir, 'server.key'), tls.key, { mode: 0o600 });
  };

  it('loads cert_file and key_file relative to certs_dir', () => {
    const dir = tmp();
    pair(dir);
    const tls = loadTls({ cert_file: 'server.crt', key_file: 'server.key', dev_certificate: false }, dir, {
      hosts: [],
      clock: createFakeClock(),
    });
    expect(tls).toMatchObject({ development: false, certFile: join(dir, 'server.crt') });
  });

  it('serves plain HTTP when nothing is configured', () => {
    expect(loadTls({ dev_certificate: false }, tmp(), { hosts: [], clock: createFakeClock() })).toBeNull();
  });

  it.each([
    [
      'only a certificate',
      (dir: string) => ({ cert_file: join(dir, 'server.crt') }),
      /needs both cert_file and key_file/,
    ],
    [
      'a key readable by others',
      (dir: string) => (
        chmodSync(join(dir, 'server.key'), 0o644),
        { cert_file: 'server.crt', key_file: 'server.key' }
      ),
      /readable by group or others/,
    ],
    [
      'a key of another certificate',
      (dir: string) => {
        writeFileSync(
          join(dir, 'other.key'),
          generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
            format: 'pem',
            type: 'pkcs8',
          }),
          { mode: 0o600 },
        );
        return { cert_file: 'server.crt', key_file: 'other.key' };
      },
      /is not the key of the certificate/,
    ],
    ['a missing file', () => ({ cert_file: 'nope.crt', key_file: 'nope.key' }), /cannot read/],
  ])('refuses %s (IDENTITY_TLS_INVALID)', (_name, settings, message) => {
    const dir = tmp();
    pair(dir);
    expect(() =>
      loadTls({ dev_certificate: true, ...settings(dir) }, dir, { hosts: [], clock: createFakeClock() }),
    ).toThrow(
      expect.objectContaining({ code: 'IDENTITY_TLS_INVALID', message: expect.stringMatching(message) }),
    );
  });
});
