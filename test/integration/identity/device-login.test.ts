import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../src/cli/main';
import type { CliIo } from '../../../src/cli/io';
import type { DevIdpProcess } from '../../../src/identity';
import { runCli } from '../../helpers/cli';
import {
  HttpBrowser,
  approveDeviceLogin,
  enterDeviceCode,
  readForm,
  startDevIdp,
} from '../../helpers/dev-idp';
import { freePort } from '../../helpers/ports';
import { tmpDir } from '../../helpers/tmp';
import { startGateway, type TestGateway } from '../../fixtures/identity/gateway';

let idp: DevIdpProcess;
let gw: TestGateway;
const home = tmpDir('breakglass-cli-home-');
const env = { XDG_CONFIG_HOME: join(home.path, 'config'), HOME: home.path };
const credentials = join(home.path, 'config', 'breakglass', 'credentials.json');

beforeAll(async () => {
  const port = await freePort();
  idp = await startDevIdp({ redirectUris: [`http://127.0.0.1:${port}/auth/callback`] });
  gw = await startGateway({
    port,
    overrides: {
      identity: {
        oidc: {
          issuer: idp.issuer,
          client_id: idp.clientId,
          client_secret: idp.clientSecret,
          scopes: ['openid', 'profile', 'email', 'groups'],
        },
        device_flow: { poll_interval: '1s' },
      },
    },
  });
});

afterAll(async () => {
  await gw?.close();
  await idp?.stop();
  home.cleanup();
});

/** Runs `breakglass login` in-process; resolves the prompt (URL and code) as soon as it is printed. */
function startLogin(args: string[] = []) {
  let out = '';
  let err = '';
  let onPrompt: (p: { url: string; code: string }) => void = () => undefined;
  const prompt = new Promise<{ url: string; code: string }>((resolve) => (onPrompt = resolve));
  const io: CliIo = {
    out: (t) => {
      out += t;
      const m = /open (\S+)\nand check that it shows the code (\S+)/.exec(out);
      if (m) onPrompt({ url: m[1]!, code: m[2]! });
    },
    err: (t) => {
      err += t;
    },
    env,
    cwd: home.path,
  };
  const done = run(['node', 'breakglass', 'login', '--server', gw.url, ...args], io).then((code) => ({
    code,
    out,
    err,
  }));
  return { prompt, done };
}

describe('CLI login through the device flow', () => {
  it('logs in (the user approves at the IdP), keeps the token 0600, whoami answers, logout revokes it and deletes the file', async () => {
    const { prompt, done } = startLogin();
    const { url, code } = await prompt;
    expect(url.startsWith(`${idp.issuer}/device`)).toBe(true);
    const page = await approveDeviceLogin(new HttpBrowser(), url, code, 'bob@example.com');
    expect(page.body).toContain('Device connected');
    const result = await done;
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain(`Logged in to ${gw.url} as bob@example.com (groups: approvers)`);

    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    expect(statSync(join(home.path, 'config', 'breakglass')).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(readFileSync(credentials, 'utf8')) as { server: string; token: string };
    expect(saved.server).toBe(gw.url);
    expect(result.out).not.toContain(saved.token);

    const who = await runCli(['whoami'], { env });
    expect(who.code).toBe(0);
    expect(who.stdout).toMatch(/subject: bob\n/);
    expect(who.stdout).toMatch(/groups:\s+approvers\n/);
    expect(who.stdout).not.toContain(saved.token);

    const types = gw.events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['login', 'token.issued']));
    expect(gw.events.find((e) => e.type === 'login')).toMatchObject({
      actor: 'user:bob@example.com',
      data: { method: 'device', groups: ['approvers'] },
    });

    const out = await runCli(['logout'], { env });
    expect(out.code).toBe(0);
    expect(existsSync(credentials)).toBe(false);
    const me = await new HttpBrowser().get(`${gw.url}/api/v1/me`, { authorization: `Bearer ${saved.token}` });
    expect(me.status).toBe(401);
    expect(JSON.parse(me.body).error.code).toBe('IDENTITY_TOKEN_REVOKED');
    expect(gw.events.at(-1)).toMatchObject({ type: 'logout', actor: 'user:bob@example.com' });

    const after = await runCli(['whoami'], { env });
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('not logged in');
  });

  it('reports a login the user refused at the IdP, stores nothing and records login.failed', async () => {
    const { prompt, done } = startLogin();
    const { url, code } = await prompt;
    const browser = new HttpBrowser();
    const confirm = readForm(await enterDeviceCode(browser, url, code), 'op.deviceConfirmForm');
    await browser.follow(
      await browser.post(confirm.action, { ...confirm.fields, confirm: '', abort: 'yes' }),
    );
    const result = await done;
    expect(result.code).toBe(1);
    expect(result.err).toContain('login did not complete: the login was refused at the IdP');
    expect(existsSync(credentials)).toBe(false);
    expect(gw.events.at(-1)).toMatchObject({ type: 'login.failed', data: { method: 'device' } });
  });

  it('tells a client that polls faster than the interval to slow down, and refuses unknown device codes', async () => {
    const api = (path: string, body: unknown) =>
      new HttpBrowser().request('POST', `${gw.url}/api/v1${path}`, { json: body });
    const start = JSON.parse((await api('/auth/device', {})).body) as {
      device_code: string;
      interval: number;
    };
    expect(start.interval).toBe(1);
    const first = await api('/auth/token', { device_code: start.device_code });
    expect([first.status, JSON.parse(first.body).error.code]).toEqual([400, 'IDENTITY_DEVICE_PENDING']);
    const second = await api('/auth/token', { device_code: start.device_code });
    expect([second.status, JSON.parse(second.body).error.code]).toEqual([400, 'IDENTITY_DEVICE_SLOW_DOWN']);
    expect(JSON.parse(second.body).error.details.interval).toBe(6);
    for (const device_code of ['unknown', 'A'.repeat(43)]) {
      const res = await api('/auth/token', { device_code });
      expect(JSON.parse(res.body).error.code).toBe('IDENTITY_DEVICE_EXPIRED');
    }
  });

  it('refuses whoami and logout without a stored login', async () => {
    for (const cmd of ['whoami', 'logout']) {
      const res = await runCli([cmd], { env });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('not logged in; run `breakglass login --server URL`');
    }
  });

  it('refuses a malformed --server before contacting anything', async () => {
    const res = await runCli(['login', '--server', 'ftp://example.com'], { env });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('CLI_USAGE');
  });
});
