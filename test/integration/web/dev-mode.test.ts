import { readFileSync } from 'node:fs';
import { DEV_CONFIG_OVERRIDES } from '../../../src/web';
import { HttpBrowser, loginThroughDevIdp } from '../../helpers/dev-idp';
import { freePort } from '../../helpers/ports';
import { startGateway, type TestGateway } from '../../fixtures/identity/gateway';

let gw: TestGateway;

beforeAll(async () => {
  const idpPort = await freePort();
  gw = await startGateway({
    overrides: { ...DEV_CONFIG_OVERRIDES, identity: { dev_idp: { enabled: true, port: idpPort } } },
  });
});
afterAll(async () => gw?.close());

describe('development mode (serve --dev)', () => {
  it('starts the development IdP as a child process and lets a demo user log in over HTTPS', async () => {
    expect(gw.url.startsWith('https://')).toBe(true);
    const idp = gw.web.identity.oidc!.settings;
    expect(idp.issuer).toBe(`http://127.0.0.1:${gw.config.identity.dev_idp.port}`);
    const browser = new HttpBrowser({ ca: readFileSync(`${gw.config.certs_dir}/dev-tls.crt`, 'utf8') });
    await loginThroughDevIdp(browser, gw.url, 'alice@example.com');
    const me = JSON.parse((await browser.get(`${gw.url}/api/v1/me`)).body);
    expect(me).toMatchObject({ sub: 'alice', groups: ['admins'] });
  });

  it('stops the development IdP with the server', async () => {
    const issuer = gw.web.identity.oidc!.settings.issuer;
    await gw.close();
    await expect(fetch(`${issuer}/.well-known/openid-configuration`)).rejects.toThrow();
  });
});
