import { cpSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import type { Clock } from '../../src/core';
import { claimsToSubject, DEMO_USERS, type DevIdpProcess } from '../../src/identity';
import { createSilentLogger, type Logger } from '../../src/logging';
import { startBreakglass, type Breakglass } from '../../src/main';
import { HttpBrowser, loginThroughDevIdp, startDevIdp } from './dev-idp';
import { freePort } from './ports';
import { tmpDir } from './tmp';

export type DemoName = 'alice' | 'bob' | 'carol' | 'dave';

/** A person for `tokenFor`: a demo user's name, or any claims (`sub`, `email`, `groups`, `amr`). */
export type Who = DemoName | { sub: string; email: string; groups?: string[]; amr?: string[]; name?: string };

export interface ApiResult<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
  readonly raw: Buffer;
}

export interface Stack {
  /** Where this node listens (`http://127.0.0.1:PORT`); its public URL is `node.url`. */
  readonly url: string;
  readonly node: Breakglass;
  readonly config: Readonly<Config>;
  /** The temporary directory holding data/, certs/ and policies/ (kept for `restart`). */
  readonly dir: string;
  readonly policiesDir: string;
  /** An API token for a person, minted through the node's identity (fast; no IdP round trip). */
  tokenFor(who: Who): Promise<string>;
  /** A real browser login through the development IdP, then POST /api/v1/auth/tokens (needs `devIdp: true`). */
  loginAs(name: DemoName): Promise<string>;
  /** A JSON API call (`path` under /api/v1); non-JSON answers come back in `raw`. */
  api<T = Record<string, unknown>>(
    token: string | null,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResult<T>>;
  /** Stops the node (and keeps the directory). */
  stop(): Promise<void>;
  /** Stops the node and starts a new one on the same data, certs and policies. */
  restart(): Promise<void>;
  /** Stops everything and removes the directory. */
  close(): Promise<void>;
}

export interface StackOptions {
  /** Directory of policy files to copy (default: the repository's policies/). */
  policies?: string;
  /** Use a Redis server (`startRedis()` from helpers/redis) instead of the embedded store. */
  redisUrl?: string;
  /** Start the development IdP (a child process) so `loginAs` works. Default false. */
  devIdp?: boolean;
  /** Extra configuration, merged over the defaults. */
  overrides?: Record<string, unknown>;
  clock?: Clock;
  logger?: Logger;
  /** Share an existing directory (a second replica on the same certs and policies). */
  dir?: string;
  /** Run the quick start's demo host (a local sshd), as `serve --dev` does. */
  demoHost?: boolean;
}

type Obj = Record<string, unknown>;
function merge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v)
        ? merge(cur as Obj, v as Obj)
        : v;
  }
  return out;
}

function subjectOf(who: Who) {
  if (typeof who === 'string') {
    const u = DEMO_USERS.find((d) => d.sub === who)!;
    return claimsToSubject({
      sub: u.sub,
      email: u.email,
      name: u.name,
      groups: [...u.groups],
      amr: u.mfa ? ['pwd', 'mfa'] : ['pwd'],
    });
  }
  return claimsToSubject({
    sub: who.sub,
    email: who.email,
    name: who.name ?? who.sub,
    groups: who.groups ?? [],
    amr: who.amr ?? ['pwd'],
  });
}

/**
 * A whole Breakglass node for integration tests, started through the composition
 * root (`startBreakglass`) with a temporary config: data and certs directories, a
 * copy of the policies, the embedded store (or Redis), optionally the development
 * IdP. Start one per test file (beforeAll).
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const tmp = options.dir ? null : tmpDir('breakglass-stack-');
  const dir = options.dir ?? tmp!.path;
  const policiesDir = join(dir, 'policies');
  if (!options.dir) {
    mkdirSync(join(dir, 'certs'), { mode: 0o700 });
    cpSync(options.policies ?? resolve(__dirname, '../../policies'), policiesDir, {
      recursive: true,
      filter: (src) =>
        !src.includes(`${resolve(options.policies ?? resolve(__dirname, '../../policies'))}/tests`),
    });
  }
  const port = await freePort();
  let idp: DevIdpProcess | null = null;
  if (options.devIdp) idp = await startDevIdp({ redirectUris: [`http://127.0.0.1:${port}/auth/callback`] });
  const base: Obj = {
    data_dir: join(dir, 'data'),
    certs_dir: join(dir, 'certs'),
    server: { port, listen: '127.0.0.1' },
    // Parallel test files each run a node: never the default gateway port.
    proxy: { port: 0 },
    log: { level: 'error' },
    policy: { dir: policiesDir },
    store: options.redisUrl
      ? { driver: 'redis', redis: { url: options.redisUrl } }
      : { driver: 'embedded', embedded: { fsync: true } },
    identity: idp
      ? { oidc: { issuer: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret } }
      : {},
  };
  const config = loadConfig({ overrides: merge(base, options.overrides ?? {}) });
  const logger = options.logger ?? createSilentLogger();
  const boot = () =>
    startBreakglass(config, {
      logger,
      demoHost: options.demoHost === true,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  let node = await boot().catch(async (err: unknown) => {
    await idp?.stop();
    tmp?.cleanup();
    throw err;
  });
  let running = true;

  // The address this node listens on (its public URL may name another replica or a balancer).
  const localUrl = () => `${node.web.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const stack: Stack = {
    get url() {
      return localUrl();
    },
    get node() {
      return node;
    },
    config,
    dir,
    policiesDir,
    async tokenFor(who) {
      const login = await node.web.identity.sessions.create(subjectOf(who), 'oidc');
      return (await node.web.identity.issueToken(login, 'test')).token;
    },
    async loginAs(name) {
      if (!idp) throw new Error('startStack({ devIdp: true }) is needed for loginAs');
      const browser = new HttpBrowser();
      await loginThroughDevIdp(browser, localUrl(), `${name}@example.com`);
      const me = await browser.get(`${localUrl()}/api/v1/me`);
      const csrf = (JSON.parse(me.body) as { csrf_token: string }).csrf_token;
      const res = await browser.request('POST', `${localUrl()}/api/v1/auth/tokens`, {
        json: {},
        headers: { 'x-csrf-token': csrf },
      });
      if (res.status !== 200 && res.status !== 201)
        throw new Error(`token for ${name}: HTTP ${res.status} ${res.body}`);
      return (JSON.parse(res.body) as { access_token: string }).access_token;
    },
    async api(token, method, path, body, headers = {}) {
      const h: Record<string, string> = { accept: 'application/json', ...headers };
      if (token) h.authorization = `Bearer ${token}`;
      let payload: string | undefined;
      if (body !== undefined) {
        payload = typeof body === 'string' ? body : JSON.stringify(body);
        h['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${localUrl()}/api/v1${path}`, {
        method,
        headers: h,
        ...(payload !== undefined ? { body: payload } : {}),
      });
      const raw = Buffer.from(await res.arrayBuffer());
      let parsed: unknown = {};
      if ((res.headers.get('content-type') ?? '').includes('json') && raw.length > 0)
        parsed = JSON.parse(raw.toString('utf8'));
      return { status: res.status, body: parsed as never, headers: res.headers, raw };
    },
    async stop() {
      if (running) {
        running = false;
        await node.close();
      }
    },
    async restart() {
      await stack.stop();
      node = await boot();
      running = true;
    },
    async close() {
      await stack.stop();
      await idp?.stop();
      tmp?.cleanup();
    },
  };
  return stack;
}
