import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BreakglassError } from '../../errors';

/** What `breakglass login` keeps: the server and a gateway API token (never printed). */
export interface Credentials {
  server: string;
  token: string;
  /** ISO 8601 expiry of the token. */
  expires_at: string;
  /** CA certificate file trusted for the server (from --ca-file). */
  ca_file?: string;
  sub?: string;
  email?: string | null;
}

/** `$XDG_CONFIG_HOME/breakglass/credentials.json`, else `~/.config/breakglass/credentials.json`. */
export function credentialsPath(env: NodeJS.ProcessEnv): string {
  const base =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/')
      ? env.XDG_CONFIG_HOME
      : env.HOME
        ? join(env.HOME, '.config')
        : null;
  if (!base)
    throw new BreakglassError(
      'CLI_USAGE',
      'cannot tell where to keep credentials: set HOME or XDG_CONFIG_HOME',
    );
  return join(base, 'breakglass', 'credentials.json');
}

export function readCredentials(env: NodeJS.ProcessEnv): Credentials {
  const path = credentialsPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BreakglassError(
        'IDENTITY_CREDENTIALS_MISSING',
        'not logged in; run `breakglass login --server URL`',
      );
    }
    throw new BreakglassError(
      'IDENTITY_CREDENTIALS_MISSING',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new BreakglassError(
      'IDENTITY_CREDENTIALS_MISSING',
      `${path} is readable by others; delete it and log in again`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null;
  }
  const c = value as Partial<Credentials> | null;
  if (!c || typeof c.server !== 'string' || typeof c.token !== 'string' || typeof c.expires_at !== 'string') {
    throw new BreakglassError(
      'IDENTITY_CREDENTIALS_MISSING',
      `${path} is damaged; run \`breakglass login\` again`,
    );
  }
  return c as Credentials;
}

/** Writes the credentials file atomically with mode 0600 (directory 0700). */
export function writeCredentials(env: NodeJS.ProcessEnv, creds: Credentials): string {
  const path = credentialsPath(env);
  const dir = join(path, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return path;
}

export function deleteCredentials(env: NodeJS.ProcessEnv): boolean {
  const path = credentialsPath(env);
  try {
    statSync(path);
  } catch {
    return false;
  }
  rmSync(path, { force: true });
  return true;
}
