import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createApiClient } from '../../../src/identity';
import { HttpBrowser } from '../../helpers/dev-idp';
import { startGateway, type TestGateway } from '../../fixtures/identity/gateway';
import { startStaticIssuer, type StaticIssuer } from '../../fixtures/identity/static-issuer';

let idp: StaticIssuer;
let gw: TestGateway;
let certFile: string;

beforeAll(async () => {
  idp = await startStaticIssuer();
  gw = await startGateway({
    overrides: {
      server: { tls: { dev_certificate: true } },
      identity: {
        oidc: { issuer: idp.issuer, client_id: 'breakglass-web', client_secret: 'secret-for-test' },
      },
    },
  });
  certFile = join(gw.config.certs_dir, 'dev-tls.crt');
});

afterAll(async () => {
  await gw?.close();
  await idp?.close();
});

describe('HTTPS with a development certificate', () => {
  it('serves https and writes the certificate and key with mode 0600', () => {
    expect(gw.url.startsWith('https://127.0.0.1:')).toBe(true);
    for (const f of ['dev-tls.crt', 'dev-tls.key'])
      expect(statSync(join(gw.config.certs_dir, f)).mode & 0o777).toBe(0o600);
  });

  it('marks the session cookie Secure and sends HSTS and upgrade-insecure-requests', async () => {
    const browser = new HttpBrowser({ ca: readFileSync(certFile, 'utf8') });
    const res = await browser.get(`${gw.url}/auth/login`);
    expect(res.status).toBe(302);
    expect(res.location!.startsWith(`${idp.issuer}/auth?`)).toBe(true);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/breakglass\.sid=[^;]+;/);
    expect(setCookie).toContain('Secure');
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(res.headers['strict-transport-security']).toContain('max-age=');
    expect(String(res.headers['content-security-policy'])).toContain('upgrade-insecure-requests');
  });

  it('is reachable by the CLI client only when it trusts the certificate (--ca-file)', async () => {
    await expect(createApiClient(gw.url).call('GET', '/api/v1/openapi.json')).rejects.toMatchObject({
      code: 'IDENTITY_SERVER_UNREACHABLE',
    });
    const doc = await createApiClient(gw.url, { caFile: certFile }).call('GET', '/api/v1/openapi.json');
    expect(doc.openapi).toBe('3.1.0');
  });

  it('asks the IdP with a fresh state and nonce for every login and our callback as redirect_uri', async () => {
    const browser = new HttpBrowser({ ca: readFileSync(certFile, 'utf8') });
    const first = new URL((await browser.get(`${gw.url}/auth/login`)).location!);
    const second = new URL((await browser.get(`${gw.url}/auth/login`)).location!);
    for (const u of [first, second]) {
      expect(u.searchParams.get('state')!.length).toBeGreaterThanOrEqual(24);
      expect(u.searchParams.get('nonce')!.length).toBeGreaterThanOrEqual(20);
      expect(u.searchParams.get('redirect_uri')).toBe(`${gw.url}/auth/callback`);
      expect(u.searchParams.get('scope')).toBe('openid profile email');
    }
    expect(second.searchParams.get('state')).not.toBe(first.searchParams.get('state'));
    expect(second.searchParams.get('nonce')).not.toBe(first.searchParams.get('nonce'));
  });
});
