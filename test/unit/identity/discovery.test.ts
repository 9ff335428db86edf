import { parseDiscovery, discoveryUrl } from '../../../src/identity';

const ISSUER = 'https://idp.example.com/realms/corp';
const good = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/auth`,
  token_endpoint: `${ISSUER}/token`,
  jwks_uri: `${ISSUER}/certs`,
  userinfo_endpoint: `${ISSUER}/userinfo`,
  end_session_endpoint: `${ISSUER}/logout`,
  device_authorization_endpoint: `${ISSUER}/device`,
  id_token_signing_alg_values_supported: ['RS256', 'ES256'],
};

describe('parseDiscovery', () => {
  it('keeps the endpoints Breakglass uses', () => {
    expect(parseDiscovery({ ...good, extra: 'ignored' }, ISSUER)).toEqual(good);
  });

  it('builds the discovery URL without doubling slashes', () => {
    expect(discoveryUrl(`${ISSUER}/`)).toBe(`${ISSUER}/.well-known/openid-configuration`);
  });

  it.each([
    ['not an object', [], /not a JSON object/],
    [
      'another issuer (mix-up)',
      { ...good, issuer: 'https://evil.example' },
      /names its issuer "https:\/\/evil.example"/,
    ],
    [
      'the issuer with a trailing slash',
      { ...good, issuer: `${ISSUER}/` },
      /set the configuration to exactly/,
    ],
    ['no token endpoint', { ...good, token_endpoint: undefined }, /token_endpoint/],
    [
      'an http endpoint for an https issuer',
      { ...good, jwks_uri: 'http://idp.example.com/certs' },
      /jwks_uri is not an absolute https URL/,
    ],
    ['a relative endpoint', { ...good, authorization_endpoint: '/auth' }, /authorization_endpoint/],
    [
      'a javascript: end_session_endpoint',
      { ...good, end_session_endpoint: 'javascript:alert(1)' },
      /end_session_endpoint/,
    ],
  ])('refuses a document with %s (IDENTITY_IDP_ERROR)', (_name, doc, message) => {
    expect(() => parseDiscovery(doc, ISSUER)).toThrow(
      expect.objectContaining({ code: 'IDENTITY_IDP_ERROR', message: expect.stringMatching(message) }),
    );
  });

  it('allows http endpoints only when the configured issuer is http (development)', () => {
    const dev = 'http://127.0.0.1:8081';
    const doc = {
      issuer: dev,
      authorization_endpoint: `${dev}/auth`,
      token_endpoint: `${dev}/token`,
      jwks_uri: `${dev}/jwks`,
    };
    expect(parseDiscovery(doc, dev).jwks_uri).toBe(`${dev}/jwks`);
  });
});
