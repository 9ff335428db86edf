import {
  chmodSync,
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { parseCertificateLine } from '../../../src/ca/cert';
import { parseKrl } from '../../../src/ca/krl';
import { runCli } from '../../helpers/cli';
import { dumpKrl, generateKey, krlRevokes, listCertificate } from '../../helpers/ssh-keygen';
import { tmpDir } from '../../helpers/tmp';

const tmp = tmpDir('bg-ca-cli-');
afterAll(() => tmp.cleanup());
const cwd = tmp.path;
const cli = (...args: string[]) => runCli(['ca', ...args], { cwd, env: {} });

beforeAll(async () => {
  generateKey(tmp.path, 'id_user', 'ed25519');
  const r = await cli('init', '--dir', 'ca');
  expect(r).toMatchObject({ code: 0, stderr: '' });
});

describe('breakglass ca init', () => {
  it('creates the three CA key pairs, private keys mode 0600, and prints their fingerprints', () => {
    expect(readdirSync(join(cwd, 'ca')).sort()).toEqual([
      'host_access_ca',
      'host_access_ca.pub',
      'host_ca',
      'host_ca.pub',
      'user_ca',
      'user_ca.pub',
    ]);
    for (const f of ['user_ca', 'host_access_ca', 'host_ca'])
      expect(statSync(join(cwd, 'ca', f)).mode & 0o777).toBe(0o600);
  });

  it('refuses to overwrite existing keys (exit 2, CA_KEY_EXISTS, files unchanged)', async () => {
    const before = readFileSync(join(cwd, 'ca', 'user_ca'), 'utf8');
    const r = await cli('init', '--dir', 'ca');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CA_KEY_EXISTS: .*user_ca already exists/);
    expect(readFileSync(join(cwd, 'ca', 'user_ca'), 'utf8')).toBe(before);
  });

  it.each(['ecdsa', 'rsa'])('creates %s CA keys with --type', async (type) => {
    const r = await cli('init', '--dir', `ca-${type}`, '--type', type);
    expect(r.code).toBe(0);
    expect(readFileSync(join(cwd, `ca-${type}`, 'host_ca.pub'), 'utf8')).toMatch(
      type === 'rsa' ? /^ssh-rsa / : /^ecdsa-sha2-nistp256 /,
    );
  });

  it('refuses an unknown --type', async () => {
    const r = await cli('init', '--dir', 'ca-dsa', '--type', 'dsa');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CLI_USAGE: --type "dsa": accepted: ed25519, ecdsa, rsa/);
    expect(existsSync(join(cwd, 'ca-dsa'))).toBe(false);
  });
});

describe('breakglass ca sign', () => {
  it('writes a user certificate in the one-line OpenSSH form that ssh-keygen reads', async () => {
    const r = await cli(
      'sign',
      '--ca',
      'ca/user_ca',
      '--pubkey',
      'id_user.pub',
      '--principal',
      'alice',
      '--principal',
      'root',
      '--ttl',
      '8h',
      '--key-id',
      'alice ticket-1',
      '--serial',
      '12345',
      '--force-command',
      'uptime',
      '--source-address',
      '10.0.0.0/8,192.0.2.7',
      '--extension',
      'permit-pty',
      '--out',
      'id_user-cert.pub',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const text = readFileSync(join(cwd, 'id_user-cert.pub'), 'utf8');
    expect(text).toMatch(/^ssh-ed25519-cert-v01@openssh\.com [A-Za-z0-9+/=]+ id_user@test\n$/);
    const listing = listCertificate(join(cwd, 'id_user-cert.pub'));
    expect(listing).toMatchObject({
      keyId: '"alice ticket-1"',
      serial: '12345',
      principals: ['alice', 'root'],
      criticalOptions: ['force-command uptime', 'source-address 10.0.0.0/8,192.0.2.7'],
      extensions: ['permit-pty'],
    });
    const cert = parseCertificateLine(text).certificate;
    expect(Number(cert.validBefore - cert.validAfter)).toBe(8 * 3600 + 60);
  });

  it('signs a host certificate with --host and a random non-zero serial when none is given', async () => {
    const r = await cli(
      'sign',
      '--ca',
      'ca/host_ca',
      '--pubkey',
      'id_user.pub',
      '--principal',
      'db-1.example.com',
      '--ttl',
      '30d',
      '--key-id',
      'db-1',
      '--host',
      '--out',
      'host-cert.pub',
    );
    expect(r.code).toBe(0);
    const listing = listCertificate(join(cwd, 'host-cert.pub'));
    expect(listing.type).toMatch(/host certificate$/);
    expect(BigInt(listing.serial)).toBeGreaterThan(0n);
  });

  interface SignArgs {
    principal?: string[];
    ttl?: string;
    keyId?: string;
    ca?: string;
    pubkey?: string;
    extra?: string[];
  }
  const signArgs = (o: SignArgs) => [
    ...[
      '--ca',
      o.ca ?? 'ca/user_ca',
      '--pubkey',
      o.pubkey ?? 'id_user.pub',
      '--ttl',
      o.ttl ?? '1h',
      '--key-id',
      o.keyId ?? 'k',
    ],
    ...(o.principal ?? ['root']).flatMap((p) => ['--principal', p]),
    ...(o.extra ?? []),
    ...['--out', 'must-not-exist.pub'],
  ];
  const invalid: Array<[string, SignArgs, RegExp]> = [
    [
      'a principal with a comma',
      { principal: ['a,root'] },
      /CA_INVALID_PRINCIPAL: principal "a,root" is not allowed/,
    ],
    ['a wildcard principal', { principal: ['*'] }, /CA_INVALID_PRINCIPAL/],
    ['a principal with a trailing space', { principal: ['root '] }, /CA_INVALID_PRINCIPAL/],
    ['an ANSI escape in a principal', { principal: ['\x1b[31mroot'] }, /CA_INVALID_PRINCIPAL/],
    ['no principal', { principal: [] }, /CLI_USAGE: --principal is required/],
    ['a TTL above the maximum', { ttl: '13h' }, /CA_INVALID_VALIDITY: .*maximum TTL of 43200 s/],
    ['a TTL that is not a duration', { ttl: 'soon' }, /CLI_USAGE: --ttl "soon": not a duration/],
    [
      'a bad source address',
      { extra: ['--source-address', '10.0.0.1/8'] },
      /CA_INVALID_SOURCE_ADDRESS: .*host bits are set/,
    ],
    ['an unknown extension', { extra: ['--extension', 'permit-everything'] }, /CA_EXTENSION_NOT_ALLOWED/],
    [
      'the old grant form',
      { extra: ['--extension', 'grant=r-1@breakglass'] },
      // read as NAME=VALUE: the name "grant" is on neither allow-list
      /CA_EXTENSION_NOT_ALLOWED: extension "grant" is not allowed/,
    ],
    [
      'a vendor extension without a value',
      { extra: ['--extension', 'grant-id@breakglass'] },
      /CA_INVALID_OPTION: extension "grant-id@breakglass" needs a value/,
    ],
    [
      'a vendor value with a space',
      { extra: ['--extension', 'grant-id@breakglass=r 1'] },
      /CA_INVALID_OPTION: .*value "r 1" is not allowed/,
    ],
    [
      'a value on a flag',
      { extra: ['--extension', 'permit-pty=yes'] },
      /CA_INVALID_OPTION: extension "permit-pty" is a flag/,
    ],
    ['a key id with a quote', { keyId: 'a"b' }, /CA_INVALID_KEY_ID/],
    ['serial 0', { extra: ['--serial', '0'] }, /CLI_USAGE: --serial 0: out of range/],
    [
      'a serial above 2^64-1',
      { extra: ['--serial', '18446744073709551616'] },
      /CLI_USAGE: --serial .*out of range/,
    ],
    [
      'a force-command on a host certificate',
      { extra: ['--host', '--force-command', 'ls'] },
      /CLI_USAGE: .*user certificates only/,
    ],
    ['a missing CA key', { ca: 'nope' }, /CA_FILE_UNREADABLE: .*nope: cannot open/],
    ['a public key that is not one', { pubkey: 'ca/user_ca.pub.missing' }, /CA_FILE_UNREADABLE/],
    ['a private key given as the public key', { pubkey: 'ca/user_ca' }, /CA_MALFORMED/],
  ];
  it.each(invalid)('exits 2 for %s, with a coded message, and writes nothing', async (_name, o, message) => {
    const r = await cli('sign', ...signArgs(o));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(readdirSync(cwd).filter((f) => f.startsWith('must-not-exist') || f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses a CA key file readable by others (exit 1, CA_KEY_FILE_MODE)', async () => {
    copyFileSync(join(cwd, 'ca', 'user_ca'), join(cwd, 'loose_ca'));
    chmodSync(join(cwd, 'loose_ca'), 0o644);
    const r = await cli(
      'sign',
      '--ca',
      'loose_ca',
      '--pubkey',
      'id_user.pub',
      '--principal',
      'root',
      '--ttl',
      '1h',
      '--key-id',
      'k',
      '--out',
      'loose-cert.pub',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CA_KEY_FILE_MODE: .*mode 0644, accepted: 0600/);
    expect(existsSync(join(cwd, 'loose-cert.pub'))).toBe(false);
  });
});

describe('breakglass ca inspect', () => {
  it('prints every field like ssh-keygen -L', async () => {
    const r = await cli('inspect', 'id_user-cert.pub');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Type: ssh-ed25519-cert-v01@openssh.com user certificate');
    expect(r.stdout).toContain('Key ID: "alice ticket-1"');
    expect(r.stdout).toContain('Serial: 12345');
    expect(r.stdout).toMatch(/Principals: \n {16}alice\n {16}root\n/);
    expect(r.stdout).toMatch(
      /Critical Options: \n {16}force-command uptime\n {16}source-address 10.0.0.0\/8,192.0.2.7\n/,
    );
    expect(r.stdout).toMatch(/Extensions: \n {16}permit-pty\n/);
  });

  it('shows a vendor extension with its value, in text and JSON (signed with --extension NAME=VALUE)', async () => {
    const signed = await cli(
      'sign',
      '--ca',
      'ca/user_ca',
      '--pubkey',
      'id_user.pub',
      '--principal',
      'root',
      '--ttl',
      '1h',
      '--key-id',
      'vendor',
      '--extension',
      'permit-pty',
      '--extension',
      'grant-id@breakglass=r-0123456789abcdef',
      '--out',
      'vendor-cert.pub',
    );
    expect(signed).toMatchObject({ code: 0, stderr: '' });
    const r = await cli('inspect', 'vendor-cert.pub');
    expect(r.stdout).toMatch(/Extensions: \n {16}grant-id@breakglass r-0123456789abcdef\n {16}permit-pty\n/);
    const json = JSON.parse((await cli('inspect', 'vendor-cert.pub', '--json')).stdout) as {
      extensions: unknown;
    };
    expect(json.extensions).toEqual([
      { name: 'grant-id@breakglass', value: 'r-0123456789abcdef' },
      { name: 'permit-pty', value: null },
    ]);
    expect(listCertificate(join(cwd, 'vendor-cert.pub')).extensions).toEqual([
      'grant-id@breakglass UNKNOWN OPTION: 00000012722d30313233343536373839616263646566 (len 22)',
      'permit-pty',
    ]);
  });

  it('prints JSON with --json', async () => {
    const r = await cli('inspect', 'id_user-cert.pub', '--json');
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      certType: 'user',
      keyId: 'alice ticket-1',
      serial: '12345',
      principals: ['alice', 'root'],
      comment: 'id_user@test',
    });
    expect(json.criticalOptions).toEqual([
      { name: 'force-command', value: 'uptime' },
      { name: 'source-address', value: '10.0.0.0/8,192.0.2.7' },
    ]);
  });

  it('escapes control characters from a hostile certificate instead of printing them', async () => {
    const cert = parseCertificateLine(readFileSync(join(cwd, 'id_user-cert.pub'), 'utf8')).certificate;
    const blob = Buffer.from(cert.blob);
    const at = blob.indexOf(Buffer.from('alice ticket-1'));
    blob[at + 5] = 0x1b;
    writeFileSync(join(cwd, 'hostile-cert.pub'), `${cert.type} ${blob.toString('base64')}\n`);
    const r = await cli('inspect', 'hostile-cert.pub');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Key ID: "alice\\x1bticket-1"');
    expect(r.stdout).not.toContain('\x1b');
  });

  it('refuses a file that is neither a certificate nor a KRL (exit 2)', async () => {
    const r = await cli('inspect', 'id_user.pub');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CA_MALFORMED: .*not a certificate type/);
  });
});

describe('breakglass ca krl', () => {
  it('writes a KRL that ssh-keygen -Q reads, revoking by serial, range, key id and key', async () => {
    const r = await cli(
      'krl',
      '--ca',
      'ca/user_ca.pub',
      '--serial',
      '7',
      '--serial',
      '12000-12999',
      '--key-id',
      'bob',
      '--pubkey',
      'ca/host_ca.pub',
      '--krl-version',
      '3',
      '--out',
      'revoked.krl',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(krlRevokes(join(cwd, 'revoked.krl'), join(cwd, 'id_user-cert.pub'))).toBe(true);
    expect(krlRevokes(join(cwd, 'revoked.krl'), join(cwd, 'ca', 'host_ca.pub'))).toBe(true);
    expect(krlRevokes(join(cwd, 'revoked.krl'), join(cwd, 'id_user.pub'))).toBe(false);
    const dump = dumpKrl(join(cwd, 'revoked.krl'));
    expect(dump).toMatch(/# KRL version 3/);
    expect(dump).toMatch(/serial: 7\n/);
    expect(dump).toMatch(/serial: 12000-12999\n/);
    expect(dump).toMatch(/id: bob\n/);
    const inspect = await cli('inspect', 'revoked.krl');
    expect(inspect.stdout).toContain('serial 12000-12999');
    expect(parseKrl(readFileSync(join(cwd, 'revoked.krl'))).version).toBe(3n);
  });

  it('writes a KRL that revokes nothing with --empty (sshd needs the RevokedKeys file to exist)', async () => {
    const r = await cli('krl', '--ca', 'ca/user_ca.pub', '--empty', '--out', 'empty.krl');
    expect(r.code).toBe(0);
    expect(krlRevokes(join(cwd, 'empty.krl'), join(cwd, 'id_user-cert.pub'))).toBe(false);
    expect(parseKrl(readFileSync(join(cwd, 'empty.krl'))).certificates).toEqual([]);
  });

  it('does not revoke a certificate outside the listed serials', async () => {
    const r = await cli(
      'krl',
      '--ca',
      'ca/user_ca.pub',
      '--serial',
      '1-12344',
      '--serial',
      '12346',
      '--out',
      'other.krl',
    );
    expect(r.code).toBe(0);
    expect(krlRevokes(join(cwd, 'other.krl'), join(cwd, 'id_user-cert.pub'))).toBe(false);
  });

  it.each([
    ['nothing to revoke', [], /CLI_USAGE: nothing to revoke/],
    ['an inverted range', ['--serial', '9-3'], /CLI_USAGE: --serial 9-3: the range is inverted/],
    ['serial 0', ['--serial', '0'], /CLI_USAGE: --serial 0: out of range/],
    ['a range from 0', ['--serial', '0-5'], /CLI_USAGE/],
    ['a non-numeric serial', ['--serial', 'x'], /CLI_USAGE: --serial "x": not a serial/],
    ['an unreadable --pubkey', ['--pubkey', 'missing.pub'], /CA_FILE_UNREADABLE/],
    ['--empty with a serial', ['--empty', '--serial', '5'], /CLI_USAGE: --empty cannot be combined/],
  ])('exits 2 for %s and writes nothing', async (_name, extra, message) => {
    const r = await cli('krl', '--ca', 'ca/user_ca.pub', ...extra, '--out', 'bad.krl');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(cwd, 'bad.krl'))).toBe(false);
  });
});
