import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { spawnDevIdp, type DevIdpProcess } from '../../src/identity';
import { freePort } from './ports';

/**
 * The development IdP for tests: the built CLI (`npx tsc -p tsconfig.build.json`
 * first) running `breakglass dev-idp` on a free port of 127.0.0.1, ready once its
 * discovery document answers. Start it once per test file (beforeAll).
 */
export async function startDevIdp(options: {
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  clientId?: string;
  clientSecret?: string;
}): Promise<DevIdpProcess> {
  const port = await freePort();
  return spawnDevIdp({
    port,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    redirectUris: options.redirectUris,
    postLogoutRedirectUris:
      options.postLogoutRedirectUris ?? options.redirectUris.map((u) => new URL('/', u).toString()),
  });
}

export interface BrowserResponse {
  status: number;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  location?: string;
}

interface Cookie {
  origin: string;
  name: string;
  value: string;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: string | null;
  expires: number | null;
}

/**
 * A minimal browser for tests: a cookie jar (per origin, with paths, Max-Age and
 * Secure), manual or automatic redirects, form posts. Enough to drive the real
 * redirects and HTML forms of Breakglass and the development IdP.
 */
export class HttpBrowser {
  private cookies: Cookie[] = [];
  /** Every URL visited, in order (redirects included). */
  readonly history: string[] = [];

  constructor(private readonly options: { ca?: string } = {}) {}

  cookie(origin: string, name: string): Cookie | undefined {
    return this.cookies.find(
      (c) =>
        c.origin === new URL(origin).origin &&
        c.name === name &&
        (c.expires === null || c.expires > Date.now()),
    );
  }

  setCookie(origin: string, name: string, value: string): void {
    this.cookies = this.cookies.filter((c) => !(c.origin === new URL(origin).origin && c.name === name));
    this.cookies.push({
      origin: new URL(origin).origin,
      name,
      value,
      path: '/',
      secure: false,
      httpOnly: true,
      sameSite: null,
      expires: null,
    });
  }

  clearCookies(origin?: string): void {
    this.cookies = origin ? this.cookies.filter((c) => c.origin !== new URL(origin).origin) : [];
  }

  private cookieHeader(url: URL): string {
    const now = Date.now();
    return this.cookies
      .filter(
        (c) =>
          c.origin === url.origin &&
          (c.expires === null || c.expires > now) &&
          (!c.secure || url.protocol === 'https:'),
      )
      .filter(
        (c) =>
          url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
      )
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, setCookie: string | string[] | undefined): void {
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const cookie: Cookie = {
        origin: url.origin,
        name,
        value,
        path: '/',
        secure: false,
        httpOnly: false,
        sameSite: null,
        expires: null,
      };
      for (const attr of attrs) {
        const [k, v] = attr.split('=');
        const key = k!.toLowerCase();
        if (key === 'path' && v) cookie.path = v;
        else if (key === 'secure') cookie.secure = true;
        else if (key === 'httponly') cookie.httpOnly = true;
        else if (key === 'samesite') cookie.sameSite = v ?? null;
        else if (key === 'max-age') cookie.expires = Date.now() + Number(v) * 1000;
        else if (key === 'expires' && cookie.expires === null && v) cookie.expires = Date.parse(v);
      }
      this.cookies = this.cookies.filter(
        (c) => !(c.origin === cookie.origin && c.name === cookie.name && c.path === cookie.path),
      );
      if (cookie.expires === null || cookie.expires > Date.now()) this.cookies.push(cookie);
    }
  }

  /** One request; no redirect following. */
  request(
    method: string,
    target: string,
    opts: { form?: Record<string, string>; json?: unknown; headers?: Record<string, string> } = {},
  ): Promise<BrowserResponse> {
    const url = new URL(target);
    this.history.push(url.toString());
    const headers: Record<string, string> = { accept: 'text/html,application/json', ...opts.headers };
    const jar = this.cookieHeader(url);
    if (jar) headers.cookie = jar;
    let body: string | undefined;
    if (opts.form) {
      body = new URLSearchParams(opts.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] = 'application/json';
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        { method, headers, ...(this.options.ca ? { ca: this.options.ca } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            this.store(url, res.headers['set-cookie']);
            const location = res.headers.location ? new URL(res.headers.location, url).toString() : undefined;
            resolve({
              status: res.statusCode ?? 0,
              url: url.toString(),
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
              ...(location ? { location } : {}),
            });
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(20_000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** Follows redirects (303/302/301 become GET, 307/308 keep the method) up to `max` hops. */
  async follow(first: BrowserResponse, max = 20): Promise<BrowserResponse> {
    let res = first;
    for (let i = 0; i < max && res.location && res.status >= 300 && res.status < 400; i++) {
      res = await this.request('GET', res.location);
    }
    return res;
  }

  get(url: string, headers?: Record<string, string>): Promise<BrowserResponse> {
    return this.request('GET', url, { headers });
  }

  post(
    url: string,
    form: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<BrowserResponse> {
    return this.request('POST', url, { form, headers });
  }
}

/** The form with `id` (or the first form) of a page: its absolute action and its fields (hidden and named inputs). */
export function readForm(
  page: BrowserResponse,
  id?: string,
): { action: string; fields: Record<string, string> } {
  const forms = [...page.body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
  const match = id ? forms.find((f) => new RegExp(`id="${id.replace(/\./g, '\\.')}"`).test(f[1]!)) : forms[0];
  if (!match)
    throw new Error(
      `no form${id ? ` #${id}` : ''} on ${page.url} (HTTP ${page.status}):\n${page.body.slice(0, 2000)}`,
    );
  const action = /action="([^"]*)"/.exec(match[1]!)?.[1] ?? page.url;
  const fields: Record<string, string> = {};
  for (const input of match[2]!.matchAll(/<input\b([^>]*?)\/?>/g)) {
    const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
    const value = /value="([^"]*)"/.exec(input[1]!)?.[1] ?? '';
    if (name)
      fields[name] = value
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>');
  }
  return { action: new URL(action.replace(/&amp;/g, '&'), page.url).toString(), fields };
}

/** On the development IdP's sign-in page: picks `email`, types the password (default: the name before @), submits. */
export async function submitDevIdpLogin(
  browser: HttpBrowser,
  page: BrowserResponse,
  email: string,
  password = email.split('@')[0]!,
): Promise<BrowserResponse> {
  const form = readForm(page, 'login');
  return browser.post(form.action, { ...form.fields, login: email, password });
}

/**
 * A full browser login: GET APP/auth/login, follow to the IdP, sign in as `email`,
 * follow the redirects back through the callback. Resolves with the last response
 * (the page after login).
 */
export async function loginThroughDevIdp(
  browser: HttpBrowser,
  appUrl: string,
  email: string,
  opts: { returnTo?: string } = {},
): Promise<BrowserResponse> {
  const start = `${appUrl}/auth/login${opts.returnTo !== undefined ? `?return_to=${encodeURIComponent(opts.returnTo)}` : ''}`;
  const loginPage = await browser.follow(await browser.get(start));
  if (loginPage.status !== 200 || !loginPage.body.includes('id="login"')) {
    throw new Error(
      `expected the dev IdP sign-in page, got HTTP ${loginPage.status} at ${loginPage.url}:\n${loginPage.body.slice(0, 1000)}`,
    );
  }
  return browser.follow(await submitDevIdpLogin(browser, loginPage, email));
}

/** Plays the user of a device login: opens the verification URI, enters the code, confirms, signs in as `email`. */
export async function approveDeviceLogin(
  browser: HttpBrowser,
  verificationUri: string,
  userCode: string,
  email: string,
): Promise<BrowserResponse> {
  const confirmPage = await enterDeviceCode(browser, verificationUri, userCode);
  const confirm = readForm(confirmPage, 'op.deviceConfirmForm');
  let page = await browser.follow(await browser.post(confirm.action, confirm.fields));
  if (page.body.includes('id="login"'))
    page = await browser.follow(await submitDevIdpLogin(browser, page, email));
  return page;
}

/**
 * Opens the verification URI and submits the user code: the code entry form, or the
 * self-submitting form the IdP serves for verification_uri_complete. Resolves with the
 * confirmation page (form `op.deviceConfirmForm`).
 */
export async function enterDeviceCode(
  browser: HttpBrowser,
  verificationUri: string,
  userCode: string,
): Promise<BrowserResponse> {
  const first = await browser.follow(await browser.get(verificationUri));
  const form = first.body.includes('id="op.deviceInputForm"')
    ? readForm(first, 'op.deviceInputForm')
    : readForm(first);
  return browser.follow(
    await browser.post(form.action, { ...form.fields, user_code: form.fields.user_code || userCode }),
  );
}
