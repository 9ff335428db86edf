import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  encodeOpensshPrivateKey,
  fingerprint,
  formatAuthorizedKey,
  generateKeyPair,
  parsePrivateKey,
  readPrivateKeyFile,
  type PublicKey,
} from '../../ca';
import type { Random } from '../../core';

/** The gateway's own SSH host key (what users pin in known_hosts). */
export interface GatewayHostKey {
  readonly path: string;
  /** openssh-key-v1 text, as ssh2's Server takes it (never logged). */
  readonly privateKeyText: string;
  readonly publicKey: PublicKey;
  /** `SHA256:…`, as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string;
  /** `ssh-ed25519 AAAA… breakglass-gateway` */
  readonly publicKeyLine: string;
  /** Whether this call created the key. */
  readonly created: boolean;
}

export interface GatewayHostKeyOptions {
  /** `certs_dir`. */
  readonly dir: string;
  /** File name under `dir`. */
  readonly file: string;
  readonly random: Random;
  /** Create the key when absent (default true). */
  readonly create?: boolean;
}

const COMMENT = 'breakglass-gateway';

/** Writes a new file with mode 0600 without ever replacing one (temp file, fsync, hard link). */
function writeNewPrivateFile(path: string, content: string, random: Random): boolean {
  const tmp = `${path}.tmp-${random.bytes(6).toString('hex')}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false; // another replica made it first
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Loads the gateway host key from `dir/file` (mode 0600 or stricter, openssh-key-v1 or
 * PEM), creating an Ed25519 key there on first use. An existing key is never replaced:
 * users have pinned it.
 */
export function loadOrCreateGatewayHostKey(opts: GatewayHostKeyOptions): GatewayHostKey {
  const path = join(opts.dir, opts.file);
  let created = false;
  if (!existsSync(path) && opts.create !== false) {
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPair('ed25519');
    created = writeNewPrivateFile(
      path,
      encodeOpensshPrivateKey(privateKey, { comment: COMMENT, random: opts.random }),
      opts.random,
    );
  }
  const text = readPrivateKeyFile(path);
  const { privateKey, publicKey } = parsePrivateKey(text);
  // ssh2 reads openssh-key-v1 but not Node's PKCS8 PEM for Ed25519: hand it openssh-key-v1 always.
  const privateKeyText = text.includes('BEGIN OPENSSH PRIVATE KEY')
    ? text
    : encodeOpensshPrivateKey(privateKey, { comment: COMMENT, random: opts.random });
  return {
    path,
    privateKeyText,
    publicKey,
    fingerprint: fingerprint(publicKey),
    publicKeyLine: formatAuthorizedKey(publicKey, COMMENT),
    created,
  };
}

/** The known_hosts line for the gateway as users reach it (`[host]:port` unless port 22). */
export function knownHostsLine(key: Pick<GatewayHostKey, 'publicKey'>, host: string, port: number): string {
  const name = port === 22 ? host : `[${host}]:${port}`;
  return `${name} ${formatAuthorizedKey(key.publicKey)}`;
}
