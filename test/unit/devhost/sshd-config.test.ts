import { demoSshdConfig, isLoopback } from '../../../src/devhost';

describe('demo host sshd_config', () => {
  const config = demoSshdConfig({
    address: '127.0.0.1',
    port: 2200,
    hostKey: '/d/key',
    hostCertificate: '/d/key-cert.pub',
    trustedUserCaKeys: '/d/ca',
    revokedKeys: '/data/krl',
    pidFile: '/d/pid',
  }).split('\n');

  test.each([
    'ListenAddress 127.0.0.1',
    'Port 2200',
    'HostKey /d/key',
    'HostCertificate /d/key-cert.pub',
    'TrustedUserCAKeys /d/ca',
    'RevokedKeys /data/krl',
    'AuthorizedKeysFile none',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'Subsystem sftp internal-sftp',
  ])('has %s', (line) => {
    expect(config).toContain(line);
  });

  it('has no other way in than a certificate', () => {
    expect(
      config.filter((l) =>
        /^(PasswordAuthentication|KbdInteractiveAuthentication|HostbasedAuthentication) yes/.test(l),
      ),
    ).toEqual([]);
  });
});

describe('loopback addresses', () => {
  test.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['192.0.2.1', false],
    ['127.0.0.1.example.com', false],
  ])('%s: %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected);
  });
});
