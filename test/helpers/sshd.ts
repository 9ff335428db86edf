import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import { generateKey } from './ssh-keygen';
import { tmpDir } from './tmp';
import { sshBaseOptions } from './ssh-client';

/**
 * A real OpenSSH server for tests: its own config, host key, pid file and log in a
 * temporary directory, listening on 127.0.0.1 only, logging in as the current user
 * (as root too: PermitRootLogin is set). Start one per test file (beforeAll).
 *
 *   const setup = prepareSshd();                       // temp dir + ed25519 host key
 *   // … write CA keys, KRL, host certificate into setup.dir …
 *   const sshd = await startSshd(setup, ['TrustedUserCAKeys /…/ca.pub', 'RevokedKeys /…/krl']);
 *   const r = await runSsh(sshd.clientArgs({ identity, certificate, command: 'id -u' }));
 *   await sshd.stop();
 */
export const SSHD_PATH = '/usr/sbin/sshd';

export interface SshdSetup {
  readonly dir: string;
  /** The ed25519 host key (private and .pub). */
  readonly hostKey: { privatePath: string; publicPath: string };
  readonly cleanup: () => void;
}

export interface SshRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ClientOptions {
  /** Private key file for public-key authentication. */
  identity: string;
  /** Certificate file presented with the key (CertificateFile). */
  certificate?: string;
  /** known_hosts to check the server against; default: no host key checking. */
  knownHosts?: string;
  /** Host name the client checks the host certificate and known_hosts against (HostKeyAlias). */
  hostKeyAlias?: string;
  /** Login name (default: the current user). */
  user?: string;
  command: string;
  /** Extra `-o` options. */
  options?: string[];
}

export interface SshdHandle {
  readonly port: number;
  readonly dir: string;
  /** The login the server accepts (the user running the tests). */
  readonly user: string;
  readonly logPath: string;
  /** Current length of the log, to wait for lines written after this point. */
  logOffset(): number;
  /** Resolves with the log text after `offset` once it matches `pattern`, rejects after `timeoutMs`. */
  waitForLog(pattern: RegExp, offset: number, timeoutMs?: number): Promise<string>;
  /** `ssh` arguments for one command against this server. */
  clientArgs(options: ClientOptions): string[];
  stop(): Promise<void>;
}

/** Creates the temporary directory and host key. */
export function prepareSshd(): SshdSetup {
  const tmp = tmpDir('bg-sshd-');
  const hostKey = generateKey(tmp.path, 'ssh_host_ed25519_key', 'ed25519');
  return { dir: tmp.path, hostKey, cleanup: tmp.cleanup };
}

function readLog(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Resolves true once sshd logs that it listens on `port`, false after `timeoutMs`. */
async function waitForListening(logPath: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (readLog(logPath).includes(`Server listening on 127.0.0.1 port ${port}.`)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Starts `sshd -D` with the base configuration plus `extraConfig` lines; resolves once it listens. */
export async function startSshd(setup: SshdSetup, extraConfig: string[] = []): Promise<SshdHandle> {
  if (!existsSync(SSHD_PATH)) throw new Error(`${SSHD_PATH} is missing: install openssh-server`);
  const user = userInfo().username;
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) {
    // sshd running as root needs its privilege-separation directory (normally made by the service unit).
    mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
  }
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const configPath = join(setup.dir, 'sshd_config');
    const logPath = join(setup.dir, `sshd-${port}.log`);
    writeFileSync(
      configPath,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${setup.hostKey.privatePath}`,
        `PidFile ${join(setup.dir, 'sshd.pid')}`,
        'AuthorizedKeysFile none',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'StrictModes no',
        'UsePAM no',
        'PermitRootLogin yes',
        'UseDNS no',
        'PrintMotd no',
        'PrintLastLog no',
        'MaxStartups 100',
        'LogLevel VERBOSE',
        'Subsystem sftp internal-sftp',
        ...extraConfig,
        '',
      ].join('\n'),
    );
    const child: ChildProcess = spawn(SSHD_PATH, ['-D', '-f', configPath, '-E', logPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const started = await Promise.race([waitForListening(logPath, port, 10_000), exited.then(() => false)]);
    if (!started) {
      lastError = `${stderr}${readLog(logPath)}`;
      child.kill('SIGKILL');
      continue;
    }
    const handle: SshdHandle = {
      port,
      dir: setup.dir,
      user,
      logPath,
      logOffset: () => readLog(logPath).length,
      async waitForLog(pattern, offset, timeoutMs = 5000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const text = readLog(logPath).slice(offset);
          if (pattern.test(text)) return text;
          if (Date.now() > deadline)
            throw new Error(`sshd log has no ${pattern} after ${timeoutMs} ms:\n${text}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      },
      clientArgs(o) {
        return [
          ...sshBaseOptions(o.knownHosts),
          '-o',
          'UpdateHostKeys=no',
          '-o',
          'ConnectTimeout=10',
          '-o',
          'LogLevel=ERROR',
          ...(o.hostKeyAlias ? ['-o', `HostKeyAlias=${o.hostKeyAlias}`] : []),
          '-i',
          o.identity,
          ...(o.certificate ? ['-o', `CertificateFile=${o.certificate}`] : []),
          ...(o.options ?? []).flatMap((opt) => ['-o', opt]),
          '-p',
          String(port),
          `${o.user ?? user}@127.0.0.1`,
          o.command,
        ];
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
      },
    };
    return handle;
  }
  throw new Error(`sshd did not start: ${lastError}`);
}

/** Runs the OpenSSH client with `args` (see `clientArgs`), collecting output. */
export function runSsh(args: string[], timeoutMs = 30_000): Promise<SshRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ssh timed out after ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
