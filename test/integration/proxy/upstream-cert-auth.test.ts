import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, PublicKeyAuthMethod } from 'ssh2';
import { createFakeClock, systemClock } from '../../../src/core';
import { hasCode } from '../../../src/errors';
import {
  anyHostKeyVerifier,
  connectUpstream,
  createHostCertificateVerifier,
  createPinnedHostKeyVerifier,
  sha256Fingerprint,
  type UpstreamOptions,
} from '../../../src/proxy';
import { startUpstreamSshd, type UpstreamSshd } from '../../helpers/sshd-upstream';

let sshd: UpstreamSshd;
const CONNECTION_END = /(Disconnected from|Connection closed by|Connection reset by) [^\n]*\n/;

beforeAll(async () => {
  sshd = await startUpstreamSshd();
});

afterAll(async () => {
  await sshd?.stop();
});

function exec(client: Client, command: string): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      let code: number | null = null;
      stream.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      stream.stderr.resume();
      stream.on('exit', (c: number | null) => (code = c));
      stream.on('close', () => resolve({ stdout, code }));
    });
  });
}

function options(
  keyPath: string,
  certificate: string,
  extra: Partial<UpstreamOptions> = {},
): UpstreamOptions {
  return {
    host: '127.0.0.1',
    port: sshd.port,
    username: sshd.login,
    privateKey: readFileSync(keyPath, 'utf8'),
    certificate,
    hostKeyVerifier: createPinnedHostKeyVerifier([sshd.hostKeyFingerprint]),
    ...extra,
  };
}

/** Connects expecting a refusal with `code`; returns what sshd logged meanwhile. */
async function expectRefused(
  opts: UpstreamOptions,
  code: 'PROXY_UPSTREAM_AUTH' | 'PROXY_UPSTREAM_HOST_KEY',
): Promise<string> {
  const logBefore = sshd.log().length;
  const err = await connectUpstream(opts).then(
    (client) => {
      client.end();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(hasCode(err, code)).toBe(true);
  // sshd may log the end of the connection after the client has gone.
  return sshd.waitForLog(CONNECTION_END, logBefore);
}

describe('connectUpstream with an OpenSSH certificate against a real sshd', () => {
  it.each([
    ['Ed25519', 'ed25519'],
    ['ECDSA P-256', 'ecdsa'],
    ['RSA (rsa-sha2-512)', 'rsa'],
  ] as const)('logs in with an %s user certificate and runs `echo ok`', async (_label, type) => {
    const key = sshd.userKey(`user_${type}`, type);
    const cert = sshd.sign(`${key}.pub`, { principals: [sshd.login] });
    const logBefore = sshd.log().length;
    const client = await connectUpstream(options(key, cert));
    try {
      expect(await exec(client, 'echo ok')).toEqual({ stdout: 'ok\n', code: 0 });
    } finally {
      client.end();
    }
    expect(sshd.log().slice(logBefore)).toMatch(
      new RegExp(`Accepted publickey for ${sshd.login} .*: ${type.toUpperCase()}-CERT `),
    );
  });

  it('logs in with a Node KeyObject private key whose public key the CA certified', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'jwk' }).x!;
    const blob = Buffer.concat([lenPrefixed('ssh-ed25519'), lenPrefixed(Buffer.from(raw, 'base64url'))]);
    const pubPath = join(sshd.dir, 'node_key.pub');
    writeFileSync(pubPath, `ssh-ed25519 ${blob.toString('base64')} node-key\n`);
    const cert = sshd.sign(pubPath, { principals: [sshd.login] });
    const client = await connectUpstream({ ...options(pubPath, cert), privateKey });
    try {
      expect((await exec(client, 'echo ok')).stdout).toBe('ok\n');
    } finally {
      client.end();
    }
  });

  it('fails with the very same certificate login when ssh2 is not patched (the patch is needed)', async () => {
    const key = sshd.userKey('user_unpatched', 'ed25519');
    const cert = sshd.sign(`${key}.pub`, { principals: [sshd.login] });
    // A fresh module registry holds a copy of ssh2 that the patch was never applied to.
    let fresh!: {
      ssh2: typeof import('ssh2');
      auth: typeof import('../../../src/proxy/upstream/ssh2-cert-auth');
    };
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports -- isolateModules needs a synchronous require */
      fresh = { ssh2: require('ssh2'), auth: require('../../../src/proxy/upstream/ssh2-cert-auth') };
      /* eslint-enable @typescript-eslint/no-require-imports */
    });
    const certKey = fresh.auth.createCertificateAuthKey({
      privateKey: readFileSync(key, 'utf8'),
      certificate: cert,
    });
    const logBefore = sshd.log().length;
    const err = await new Promise<Error & { level?: string }>((resolve, reject) => {
      const client = new fresh.ssh2.Client();
      client.on('ready', () => {
        client.end();
        reject(new Error('unpatched ssh2 logged in with a certificate'));
      });
      client.on('error', resolve);
      const auth: PublicKeyAuthMethod = { type: 'publickey', username: sshd.login, key: certKey };
      client.connect({ host: '127.0.0.1', port: sshd.port, username: sshd.login, authHandler: [auth] });
    });
    expect(err.level).toBe('client-authentication');
    // sshd accepted the certificate itself (CA, principal, validity) and then failed the signature.
    expect(await sshd.waitForLog(CONNECTION_END, logBefore)).toMatch(
      /Accepted certificate ID[^\n]*\n(.*\n)*Failed publickey for [^\n]*ED25519-CERT/,
    );
  });

  it('is refused by sshd when the certificate names another principal', async () => {
    const key = sshd.userKey('user_wrong_principal', 'ed25519');
    const cert = sshd.sign(`${key}.pub`, { principals: ['somebody-else'] });
    expect(await expectRefused(options(key, cert), 'PROXY_UPSTREAM_AUTH')).toMatch(
      /Certificate invalid: name is not a listed principal/,
    );
  });

  it('is refused by sshd when the certificate comes from a CA the host does not trust', async () => {
    const key = sshd.userKey('user_other_ca', 'ed25519');
    const cert = sshd.sign(`${key}.pub`, { principals: [sshd.login], ca: 'untrusted' });
    const log = await expectRefused(options(key, cert), 'PROXY_UPSTREAM_AUTH');
    expect(log).toMatch(/Failed publickey for /);
    expect(log).not.toMatch(/Accepted certificate/);
  });

  it('is refused by sshd when the certificate has expired', async () => {
    const key = sshd.userKey('user_expired', 'ed25519');
    const cert = sshd.sign(`${key}.pub`, { principals: [sshd.login], validity: '-2h:-1h' });
    expect(await expectRefused(options(key, cert), 'PROXY_UPSTREAM_AUTH')).toMatch(
      /Certificate invalid: expired/,
    );
  });

  it('refuses a host whose key is not pinned, before authenticating', async () => {
    const key = sshd.userKey('user_unknown_host', 'ed25519');
    const cert = sshd.sign(`${key}.pub`, { principals: [sshd.login] });
    const otherHost = sshd.userKey('not_the_host_key', 'ed25519');
    const pin = sha256Fingerprint(
      Buffer.from(readFileSync(`${otherHost}.pub`, 'utf8').split(' ')[1]!, 'base64'),
    );
    const log = await expectRefused(
      options(key, cert, { hostKeyVerifier: createPinnedHostKeyVerifier([pin]) }),
      'PROXY_UPSTREAM_HOST_KEY',
    );
    expect(log).toMatch(/Connection from 127\.0\.0\.1/);
    expect(log).not.toMatch(/publickey|certificate/i);
  });

  it('refuses a certificate that does not certify the given private key without contacting the host', async () => {
    const key = sshd.userKey('user_mismatch', 'ed25519');
    const other = sshd.userKey('user_mismatch_other', 'ed25519');
    const cert = sshd.sign(`${other}.pub`, { principals: [sshd.login] });
    const err = await connectUpstream(options(key, cert)).catch((e: unknown) => e);
    expect(hasCode(err, 'PROXY_UPSTREAM_CREDENTIAL')).toBe(true);
  });
});

describe('connectUpstream verifying the host key with the host CA', () => {
  const hostname = 'db-1.internal';

  async function loginWith(hostKeyVerifier: UpstreamOptions['hostKeyVerifier']) {
    const key = sshd.userKey(`user_hostca_${Math.random().toString(36).slice(2)}`, 'ed25519');
    const cert = sshd.sign(`${key}.pub`, { principals: [sshd.login] });
    return connectUpstream(options(key, cert, { hostKeyVerifier }));
  }

  it('connects when the host key is certified by the trusted host CA for this host name', async () => {
    const { certificate, caPublicKey } = sshd.signHostKey({ hostnames: [hostname] });
    const client = await loginWith(
      createHostCertificateVerifier({
        certificates: [certificate],
        trustedCas: [caPublicKey],
        hostname,
        clock: systemClock,
      }),
    );
    try {
      expect((await exec(client, 'echo ok')).stdout).toBe('ok\n');
    } finally {
      client.end();
    }
  });

  it.each([
    ['for another host name', { hostnames: ['db-2.internal'] }, {}, /does not list|principal/],
    ['by a CA that is not trusted', { hostnames: [hostname], ca: 'other' as const }, {}, /not trusted/],
    ['that has expired', { hostnames: [hostname], validity: '-2h:-1h' }, {}, /expired/],
    ['that is revoked', { hostnames: [hostname] }, { isRevoked: () => true }, /revoked/],
  ])('refuses a host certificate %s, before authenticating', async (_label, signOpts, extra, reason) => {
    const { certificate } = sshd.signHostKey(signOpts);
    const trusted = sshd.signHostKey({ hostnames: ['unused'] }).caPublicKey;
    const verifier = createHostCertificateVerifier({
      certificates: [certificate],
      trustedCas: [trusted],
      hostname,
      clock: systemClock,
      ...extra,
    });
    const err = await loginWith(verifier).catch((e: unknown) => e);
    expect(hasCode(err, 'PROXY_UPSTREAM_HOST_KEY')).toBe(true);
    expect((err as Error).message).toMatch(reason);
  });

  it('checks validity at connection time with the injected clock', async () => {
    const { certificate, caPublicKey } = sshd.signHostKey({ hostnames: [hostname], validity: '-5m:+1h' });
    const clock = createFakeClock(Date.now() + 2 * 3600_000);
    const err = await loginWith(
      createHostCertificateVerifier({
        certificates: [certificate],
        trustedCas: [caPublicKey],
        hostname,
        clock,
      }),
    ).catch((e: unknown) => e);
    expect(hasCode(err, 'PROXY_UPSTREAM_HOST_KEY')).toBe(true);
  });

  it('accepts either a pin or the host CA when both are configured', async () => {
    const pinOnly = anyHostKeyVerifier(
      createHostCertificateVerifier({ certificates: [], trustedCas: [], hostname, clock: systemClock }),
      createPinnedHostKeyVerifier([sshd.hostKeyFingerprint]),
    );
    const client = await loginWith(pinOnly);
    client.end();
  });
});

function lenPrefixed(data: string | Buffer): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}
