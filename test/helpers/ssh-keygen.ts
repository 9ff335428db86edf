import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Thin wrappers over the real `ssh-keygen`, the external referee of the CA tests.
 * Times are printed in UTC (TZ=UTC) so listings compare with our own output.
 */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function sshKeygen(args: string[], input?: string): Run {
  const r = spawnSync('ssh-keygen', args, {
    encoding: 'utf8',
    input,
    env: { PATH: process.env.PATH, TZ: 'UTC' },
    timeout: 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function must(args: string[]): Run {
  const r = sshKeygen(args);
  if (r.code !== 0) throw new Error(`ssh-keygen ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
}

export type KeygenType = 'ed25519' | 'ecdsa' | 'rsa';

/** Generates an unencrypted key pair `dir/name` and `dir/name.pub`. */
export function generateKey(
  dir: string,
  name: string,
  type: KeygenType = 'ed25519',
  bits?: number,
): { privatePath: string; publicPath: string } {
  const privatePath = join(dir, name);
  must([
    '-q',
    '-t',
    type,
    ...(bits ? ['-b', String(bits)] : []),
    '-N',
    '',
    '-C',
    `${name}@test`,
    '-f',
    privatePath,
  ]);
  return { privatePath, publicPath: `${privatePath}.pub` };
}

export interface KeygenSignOptions {
  caPath: string;
  publicPath: string;
  keyId: string;
  principals: string[];
  serial?: bigint | number;
  /** ssh-keygen -V syntax, e.g. `-5m:+1h`. */
  validity?: string;
  host?: boolean;
  /** -O options, e.g. `force-command=ls`, `clear`. */
  options?: string[];
}

/** Signs with `ssh-keygen -s` and returns the path of the `-cert.pub` file. */
export function signWithSshKeygen(o: KeygenSignOptions): string {
  must([
    '-q',
    '-s',
    o.caPath,
    '-I',
    o.keyId,
    '-n',
    o.principals.join(','),
    ...(o.serial !== undefined ? ['-z', String(o.serial)] : []),
    ...(o.validity ? ['-V', o.validity] : []),
    ...(o.host ? ['-h'] : []),
    ...(o.options ?? []).flatMap((opt) => ['-O', opt]),
    o.publicPath,
  ]);
  return o.publicPath.replace(/\.pub$/, '-cert.pub');
}

export interface CertificateListing {
  type: string;
  publicKey: string;
  signingCa: string;
  keyId: string;
  serial: string;
  valid: string;
  principals: string[];
  criticalOptions: string[];
  extensions: string[];
}

/** Runs `ssh-keygen -L -f FILE` and parses its listing. */
export function listCertificate(path: string): CertificateListing {
  const lines = must(['-L', '-f', path]).stdout.split('\n');
  const field = (name: string) => {
    const line = lines.find((l) => l.trimStart().startsWith(`${name}:`));
    if (line === undefined) throw new Error(`ssh-keygen -L printed no ${name}`);
    return line.slice(line.indexOf(':') + 1).trim();
  };
  const block = (name: string) => {
    const start = lines.findIndex((l) => l.trimStart().startsWith(`${name}:`));
    if (start < 0 || lines[start]!.includes('(none)')) return [];
    const out: string[] = [];
    for (let i = start + 1; i < lines.length && /^\s{16}/.test(lines[i]!); i++) out.push(lines[i]!.trim());
    return out;
  };
  return {
    type: field('Type'),
    publicKey: field('Public key'),
    signingCa: field('Signing CA'),
    keyId: field('Key ID'),
    serial: field('Serial'),
    valid: field('Valid'),
    principals: block('Principals'),
    criticalOptions: block('Critical Options'),
    extensions: block('Extensions'),
  };
}

/** `ssh-keygen -Q -f KRL FILE`: whether the KRL revokes the key or certificate in FILE. */
export function krlRevokes(krlPath: string, path: string): boolean {
  const r = sshKeygen(['-Q', '-f', krlPath, path]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`ssh-keygen -Q failed (${r.code}): ${r.stderr}`);
  if (/REVOKED/.test(r.stdout)) return true;
  if (/: ok$/m.test(r.stdout)) return false;
  throw new Error(`unexpected ssh-keygen -Q output: ${r.stdout} ${r.stderr}`);
}

/** `ssh-keygen -Q -l -f KRL`: the KRL as ssh-keygen understands it. */
export function dumpKrl(krlPath: string): string {
  return must(['-Q', '-l', '-f', krlPath]).stdout;
}

/** `SHA256:…` fingerprint of a key or certificate file as ssh-keygen computes it. */
export function keygenFingerprint(path: string): string {
  return must(['-l', '-E', 'sha256', '-f', path]).stdout.split(' ')[1]!;
}
