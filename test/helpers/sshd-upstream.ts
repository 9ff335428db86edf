import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from './ports';
import { tmpDir } from './tmp';

/**
 * A real OpenSSH sshd on 127.0.0.1 for upstream-client tests: its own host key, pid file
 * and config in a temp dir, user certificates trusted from a CA made with ssh-keygen, no
 * authorized_keys, no passwords. Logs in as the current user (root in CI).
 */
export interface UpstreamSshd {
  readonly port: number;
  readonly dir: string;
  /** `SHA256:…` of the host key, as printed by `ssh-keygen -lf`. */
  readonly hostKeyFingerprint: string;
  /** The login the certificates are for (the current user). */
  readonly login: string;
  /** Generates a user key pair with ssh-keygen; returns the private key path. */
  userKey(name: string, type: 'ed25519' | 'ecdsa' | 'rsa'): string;
  /** Signs `pubKeyPath` with the trusted user CA (or another CA); returns the certificate line. */
  sign(
    pubKeyPath: string,
    opts: { principals: string[]; ca?: 'trusted' | 'untrusted'; validity?: string },
  ): string;
  /**
   * Certifies sshd's host key with a host CA made by ssh-keygen (`trusted` or `other`);
   * returns the certificate line and that CA's public key line.
   */
  signHostKey(opts: { hostnames: string[]; ca?: 'trusted' | 'other'; validity?: string }): {
    certificate: string;
    caPublicKey: string;
  };
  /** sshd's log so far (stderr, LogLevel VERBOSE). */
  log(): string;
  /** Waits until sshd's log after `from` (a length of `log()`) matches `pattern`; returns that part. */
  waitForLog(pattern: RegExp, from: number, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

/** Resolves once 127.0.0.1:port accepts connections. (ports.ts's waitForPort uses a dynamic import that jest on Node 20 refuses.) */
async function waitListening(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect({ host: '127.0.0.1', port });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd not listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

function keygen(args: string[]): string {
  return execFileSync('ssh-keygen', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function startUpstreamSshd(): Promise<UpstreamSshd> {
  const tmp = tmpDir('breakglass-sshd-');
  const dir = tmp.path;
  const hostKey = join(dir, 'host_ed25519');
  keygen(['-q', '-t', 'ed25519', '-N', '', '-C', 'test-host', '-f', hostKey]);
  keygen(['-q', '-t', 'ed25519', '-N', '', '-C', 'user-ca', '-f', join(dir, 'user_ca')]);
  keygen(['-q', '-t', 'ed25519', '-N', '', '-C', 'other-ca', '-f', join(dir, 'other_ca')]);
  keygen(['-q', '-t', 'ed25519', '-N', '', '-C', 'host-ca', '-f', join(dir, 'host_ca')]);
  const hostKeyFingerprint = keygen(['-l', '-E', 'sha256', '-f', `${hostKey}.pub`]).split(/\s+/)[1]!;
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `TrustedUserCAKeys ${join(dir, 'user_ca.pub')}`,
      'AuthorizedKeysFile none',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin yes',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // As root, sshd insists on its privilege-separation directory (created by the Debian service normally).
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config, '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => {
    log += d.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([
      waitListening(port),
      exited.then(() => Promise.reject(new Error(`sshd exited at start-up:\n${log}`))),
    ]);
  } catch (err) {
    child.kill('SIGTERM');
    tmp.cleanup();
    throw err;
  }
  let serial = 1;
  return {
    port,
    dir,
    hostKeyFingerprint,
    login: userInfo().username,
    userKey(name, type) {
      const path = join(dir, name);
      const bits = type === 'rsa' ? ['-b', '2048'] : type === 'ecdsa' ? ['-b', '256'] : [];
      keygen(['-q', '-t', type, ...bits, '-N', '', '-C', name, '-f', path]);
      return path;
    },
    sign(pubKeyPath, opts) {
      const ca = join(dir, opts.ca === 'untrusted' ? 'other_ca' : 'user_ca');
      keygen([
        '-q',
        '-s',
        ca,
        '-I',
        `test-${serial}`,
        '-z',
        String(serial++),
        '-n',
        opts.principals.join(','),
        '-V',
        opts.validity ?? '-5m:+1h',
        pubKeyPath,
      ]);
      return readFileSync(pubKeyPath.replace(/\.pub$/, '-cert.pub'), 'utf8');
    },
    signHostKey(opts) {
      const ca = join(dir, opts.ca === 'other' ? 'other_ca' : 'host_ca');
      const pub = join(dir, `host_copy_${serial}.pub`);
      writeFileSync(pub, readFileSync(`${hostKey}.pub`));
      keygen([
        '-q',
        '-s',
        ca,
        '-h',
        '-I',
        `host-${serial}`,
        '-z',
        String(serial++),
        '-n',
        opts.hostnames.join(','),
        '-V',
        opts.validity ?? '-5m:+1h',
        pub,
      ]);
      return {
        certificate: readFileSync(pub.replace(/\.pub$/, '-cert.pub'), 'utf8'),
        caPublicKey: readFileSync(`${ca}.pub`, 'utf8'),
      };
    },
    log: () => log,
    async waitForLog(pattern, from, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(log.slice(from))) {
        if (Date.now() > deadline) throw new Error(`sshd log never matched ${pattern}:\n${log.slice(from)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return log.slice(from);
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      tmp.cleanup();
    },
  };
}
