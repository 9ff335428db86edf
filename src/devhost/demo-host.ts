import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { encodeOpensshPrivateKey, formatAuthorizedKey, generateKeyPair, type Authority } from '../ca';
import type { Random } from '../core';
import type { Logger } from '../logging';
import { demoSshdConfig, isLoopback } from './sshd-config';

export const DEFAULT_SSHD_PATH = '/usr/sbin/sshd';

export interface DemoHostDeps {
  /** The inventory entry of the demo host (policies/hosts.yaml `demo`). */
  readonly host: { readonly name: string; readonly address: string; readonly port: number };
  /** Signs the host certificate (host CA) and names the CA sshd trusts for logins (host-access CA). */
  readonly authority: Pick<Authority, 'issueHostCertificate' | 'publicKey'>;
  /** The KRL file access writes (sshd's RevokedKeys; it must exist before logins work). */
  readonly krlFile: string;
  readonly logger: Logger;
  readonly random: Random;
  readonly sshdPath?: string;
  /** Where its temporary directory goes (default: the OS temp directory). */
  readonly tmpRoot?: string;
  readonly startTimeoutMs?: number;
  /** Lifetime of the host certificate (default 7 days; a restart issues a new one). */
  readonly certificateTtlMs?: number;
}

export interface DemoHost {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** The only login it accepts: the user running Breakglass (sshd runs as that user). */
  readonly login: string;
  /** Its host certificate line: the gateway checks the host's key against it. */
  readonly hostCertificate: string;
  readonly dir: string;
  readonly logFile: string;
  stop(): Promise<void>;
}

/**
 * The quick start's demo host: a local OpenSSH server on loopback, run as the current
 * user, that trusts the host-access CA (so only the gateway's per-session certificates
 * log in), honours the KRL, and presents a host certificate from the host CA. Its files
 * live in a temporary directory removed by `stop()`. Resolves null (and says why) when
 * OpenSSH's server is not installed.
 */
export async function startDemoHost(deps: DemoHostDeps): Promise<DemoHost | null> {
  const sshd = deps.sshdPath ?? DEFAULT_SSHD_PATH;
  const { host, logger } = deps;
  if (!existsSync(sshd)) {
    logger.info('no demo host: OpenSSH server is not installed', { path: sshd });
    return null;
  }
  if (!isLoopback(host.address))
    throw new TypeError(`demo host ${host.name} must listen on loopback, not ${host.address}`);
  const hostAccessCa = deps.authority.publicKey('host-access');
  if (!hostAccessCa) throw new TypeError('the demo host needs the host-access CA key');

  const dir = mkdtempSync(join(deps.tmpRoot ?? tmpdir(), 'breakglass-demo-host-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const key = generateKeyPair('ed25519');
    const hostKey = join(dir, 'ssh_host_ed25519_key');
    writeFileSync(
      hostKey,
      encodeOpensshPrivateKey(key.privateKey, { comment: `${host.name}-host`, random: deps.random }),
      {
        mode: 0o600,
      },
    );
    writeFileSync(`${hostKey}.pub`, `${formatAuthorizedKey(key.publicKey)}\n`, { mode: 0o644 });
    const issued = await deps.authority.issueHostCertificate({
      publicKey: key.publicKey,
      principals: [...new Set([host.name, host.address])],
      keyId: `breakglass-demo-host ${host.name}`,
      ttlMs: deps.certificateTtlMs ?? 7 * 86_400_000,
    });
    const hostCertificate = join(dir, 'ssh_host_ed25519_key-cert.pub');
    writeFileSync(hostCertificate, `${issued.line}\n`, { mode: 0o644 });
    const trusted = join(dir, 'trusted_user_ca_keys');
    writeFileSync(trusted, `${formatAuthorizedKey(hostAccessCa, 'breakglass-host-access-ca')}\n`, {
      mode: 0o644,
    });
    if (!existsSync(deps.krlFile))
      throw new TypeError(
        `the KRL file ${deps.krlFile} does not exist yet (start access before the demo host)`,
      );
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      demoSshdConfig({
        address: host.address,
        port: host.port,
        hostKey,
        hostCertificate,
        trustedUserCaKeys: trusted,
        revokedKeys: deps.krlFile,
        pidFile: join(dir, 'sshd.pid'),
      }),
      { mode: 0o600 },
    );
    if (process.getuid?.() === 0 && !existsSync('/run/sshd'))
      mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
    const logFile = join(dir, 'sshd.log');
    const child: ChildProcess = spawn(sshd, ['-D', '-f', config, '-E', logFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const listening = await waitFor(
      () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes(`port ${host.port}.`),
      exited,
      deps.startTimeoutMs ?? 10_000,
    );
    if (!listening) {
      child.kill('SIGKILL');
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      throw new Error(
        `the demo host's sshd did not start on ${host.address}:${host.port}: ${(stderr + log).trim().slice(-1000)}`,
      );
    }
    const login = userInfo().username;
    logger.info('demo host running', { host: host.name, address: `${host.address}:${host.port}`, login });
    let stopping: Promise<void> | null = null;
    return {
      name: host.name,
      address: host.address,
      port: host.port,
      login,
      hostCertificate: issued.line,
      dir,
      logFile,
      stop: () =>
        (stopping ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            await Promise.race([exited, new Promise((r) => setTimeout(r, 3000).unref())]);
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          }
          remove();
        })()),
    };
  } catch (err) {
    remove();
    throw err;
  }
}

async function waitFor(check: () => boolean, exited: Promise<void>, timeoutMs: number): Promise<boolean> {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !dead) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}
