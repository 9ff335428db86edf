import {
  closeSync,
  existsSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Random } from '../core';
import { caError } from './errors';
import {
  encodeOpensshPrivateKey,
  formatAuthorizedKey,
  generateKeyPair,
  parseAuthorizedKey,
  type CaKeyKind,
  type PublicKey,
} from './keys';
import { CA_KEY_FILES, CA_ROLES, type CaRole } from './roles';
import { loadFileSigner, type Signer } from './signer';

export interface KeystoreOptions {
  /** Directory holding the CA keys (created with mode 0700 when absent). */
  readonly dir: string;
  /** Type of keys generated on first use. */
  readonly keyType: CaKeyKind;
  /** Create a missing key on first use (default true); otherwise CA_KEY_MISSING. */
  readonly generate?: boolean;
  /** Accept key files readable by group or others (never for production). */
  readonly allowLooseModes?: boolean;
  readonly random: Random;
}

export interface Keystore {
  readonly dir: string;
  /** The signer of a role, loading (or generating) its key on first use. */
  signer(role: CaRole): Signer;
  /** The public key of a role (loads the signer). */
  publicKey(role: CaRole): PublicKey;
  /** Paths of a role's key files. */
  paths(role: CaRole): { privateKey: string; publicKey: string };
}

function pathsFor(dir: string, role: CaRole) {
  const privateKey = join(dir, CA_KEY_FILES[role]);
  return { privateKey, publicKey: `${privateKey}.pub` };
}

/**
 * Writes `content` to `path` with `mode`, never replacing an existing file: the
 * bytes go to a temporary file first, which is then hard-linked into place
 * (EEXIST if something is there) and removed.
 */
export function writeNewFile(path: string, content: string, mode: number, random: Random): void {
  const tmp = `${path}.tmp-${random.bytes(6).toString('hex')}`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, content);
    if ((fstatSync(fd).mode & 0o777) !== mode)
      throw new Error(`${tmp}: could not set mode ${mode.toString(8)}`);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw caError('CA_KEY_EXISTS', `${path} already exists; CA keys are never overwritten`, { path });
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

function ensureDir(dir: string, allowLooseModes: boolean): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (!st.isDirectory()) throw caError('CA_FILE_UNREADABLE', `${dir} is not a directory`, { path: dir });
  if ((st.mode & 0o022) !== 0 && !allowLooseModes) {
    throw caError(
      'CA_KEY_FILE_MODE',
      `${dir}: key directory is writable by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 700 ${dir}`,
      { path: dir },
    );
  }
}

function generateRole(dir: string, role: CaRole, keyType: CaKeyKind, random: Random): PublicKey {
  const { privateKey, publicKey } = generateKeyPair(keyType);
  const paths = pathsFor(dir, role);
  const comment = `breakglass ${role} CA`;
  writeNewFile(paths.privateKey, encodeOpensshPrivateKey(privateKey, { comment, random }), 0o600, random);
  writeNewFile(paths.publicKey, `${formatAuthorizedKey(publicKey, comment)}\n`, 0o644, random);
  return publicKey;
}

/**
 * Creates the three CA key pairs under `dir` (`user_ca`, `host_access_ca`,
 * `host_ca` and their `.pub`). Refuses with CA_KEY_EXISTS, before writing anything,
 * when any of the six files exists.
 */
export function initKeystore(
  options: Omit<KeystoreOptions, 'generate'>,
): Array<{ role: CaRole; path: string; publicKey: PublicKey }> {
  ensureDir(options.dir, options.allowLooseModes ?? false);
  for (const role of CA_ROLES) {
    for (const p of Object.values(pathsFor(options.dir, role))) {
      if (existsSync(p))
        throw caError('CA_KEY_EXISTS', `${p} already exists; ca init never overwrites keys`, { path: p });
    }
  }
  return CA_ROLES.map((role) => ({
    role,
    path: pathsFor(options.dir, role).privateKey,
    publicKey: generateRole(options.dir, role, options.keyType, options.random),
  }));
}

/**
 * The CA keys under one directory. Each role's key is loaded on first use (mode
 * checked: 0600 or stricter unless `allowLooseModes`), or generated when absent
 * and `generate` is not false. A `.pub` that disagrees with the private key is an error.
 */
export function openKeystore(options: KeystoreOptions): Keystore {
  const signers = new Map<CaRole, Signer>();
  const allowLoose = options.allowLooseModes ?? false;
  const load = (role: CaRole): Signer => {
    const cached = signers.get(role);
    if (cached) return cached;
    const paths = pathsFor(options.dir, role);
    if (!existsSync(paths.privateKey)) {
      if (options.generate === false)
        throw caError(
          'CA_KEY_MISSING',
          `${paths.privateKey} does not exist (run breakglass ca init, or enable generation)`,
          { path: paths.privateKey },
        );
      ensureDir(options.dir, allowLoose);
      try {
        generateRole(options.dir, role, options.keyType, options.random);
      } catch (err) {
        // Another process generated it at the same moment: use theirs.
        if (!(err as { code?: string }).code?.startsWith('CA_KEY_EXISTS')) throw err;
      }
    }
    const signer = loadFileSigner(paths.privateKey, { allowLooseModes: allowLoose });
    if (existsSync(paths.publicKey)) {
      const declared = parseAuthorizedKey(readFileSync(paths.publicKey, 'utf8'), paths.publicKey).key;
      if (!declared.blob.equals(signer.publicKey.blob)) {
        throw caError('CA_FILE_UNREADABLE', `${paths.publicKey} does not match ${paths.privateKey}`, {
          path: paths.publicKey,
        });
      }
    }
    signers.set(role, signer);
    return signer;
  };
  return {
    dir: options.dir,
    signer: load,
    publicKey: (role) => load(role).publicKey,
    paths: (role) => pathsFor(options.dir, role),
  };
}
