import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { discoveryUrl } from '../discovery';
import { httpRequest } from '../http';

export interface DevIdpProcess {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far (for diagnostics). */
  stderr(): string;
  stop(): Promise<void>;
}

/** Defaults shared by `breakglass dev-idp`, `serve --dev` and the tests. */
export const devIdpDefaults = Object.freeze({
  port: 8081,
  clientId: 'breakglass-dev',
  clientSecret: 'breakglass-dev-secret',
});

/** bin/breakglass.js, from src/identity/dev-idp (ts-jest) or dist/src/identity/dev-idp (built). */
export function breakglassBin(): string {
  for (const rel of ['../../../bin/breakglass.js', '../../../../bin/breakglass.js']) {
    const candidate = join(__dirname, rel);
    if (existsSync(candidate)) return candidate;
  }
  throw new TypeError(`cannot find bin/breakglass.js from ${__dirname}`);
}

/**
 * Starts `breakglass dev-idp` (the built CLI) as its own process on 127.0.0.1 and
 * resolves once its discovery document answers. Only ever called when the
 * configuration or a test asks for the development IdP.
 */
export async function spawnDevIdp(options: {
  port: number;
  clientId?: string;
  clientSecret?: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}): Promise<DevIdpProcess> {
  const clientId = options.clientId ?? devIdpDefaults.clientId;
  const clientSecret = options.clientSecret ?? devIdpDefaults.clientSecret;
  const issuer = `http://127.0.0.1:${options.port}`;
  const args = [
    breakglassBin(),
    'dev-idp',
    '--port',
    String(options.port),
    '--client-id',
    clientId,
    '--client-secret',
    clientSecret,
  ];
  for (const uri of options.redirectUris) args.push('--redirect-uri', uri);
  for (const uri of options.postLogoutRedirectUris) args.push('--post-logout-redirect-uri', uri);
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  child.stdout!.resume();
  let exited: number | null = null;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code ?? -1;
      resolve();
    }),
  );
  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (exited !== null)
      throw new Error(`the development IdP exited with ${exited} before it answered:\n${err}`);
    try {
      const res = await httpRequest(discoveryUrl(issuer), { timeoutMs: 1000 });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `the development IdP did not answer at ${issuer} within ${options.timeoutMs ?? 30_000} ms:\n${err}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { issuer, clientId, clientSecret, child, stderr: () => err, stop };
}
