import { createFakeClock, type Random } from '../../../src/core';
import {
  createDeviceFlow,
  DEFAULT_CLAIM_MAPPING,
  type ClientCredentials,
  type IdpClient,
  type OidcMetadata,
} from '../../../src/identity';
import { memoryStore } from '../../fixtures/identity/memory-store';

const META: OidcMetadata = {
  issuer: 'https://idp.example.com',
  authorization_endpoint: 'https://idp.example.com/auth',
  token_endpoint: 'https://idp.example.com/token',
  jwks_uri: 'https://idp.example.com/jwks',
  device_authorization_endpoint: 'https://idp.example.com/device',
};

function setup(
  opts: {
    meta?: OidcMetadata;
    tokenAnswers?: Array<{ status: number; body: Record<string, unknown> }>;
    client?: ClientCredentials;
  } = {},
) {
  const clock = createFakeClock();
  const store = memoryStore(clock);
  let counter = 0;
  const random: Random = { bytes: (n) => Buffer.alloc(n, ++counter) };
  const posts: Array<{
    endpoint: string;
    fields: Record<string, string | undefined>;
    client?: ClientCredentials;
  }> = [];
  const verified: Array<ClientCredentials | undefined> = [];
  const answers = [...(opts.tokenAnswers ?? [])];
  const idp: IdpClient = {
    discovery: { get: async () => opts.meta ?? META, peek: () => opts.meta ?? META },
    verifyIdToken: async (t, client) => (
      verified.push(client),
      {
        sub: t === 'id-token-bob' ? 'bob' : 'someone',
        email: 'bob@example.com',
        groups: ['approvers'],
        amr: ['pwd'],
      }
    ),
    verifyAccessToken: async () => ({}),
    userinfo: async () => null,
    postForm: async (endpoint, fields, client) => {
      posts.push({ endpoint, fields, client });
      if (endpoint === META.device_authorization_endpoint) {
        return {
          status: 200,
          body: {
            device_code: 'IDP-DEVICE-CODE',
            user_code: 'ABCD-EFGH',
            verification_uri: 'https://idp.example.com/activate',
            expires_in: 600,
            interval: 2,
          },
        };
      }
      return answers.shift() ?? { status: 400, body: { error: 'authorization_pending' } };
    },
  };
  const flow = createDeviceFlow({
    idp,
    store,
    clock,
    random,
    scopes: ['openid', 'profile'],
    pollIntervalMs: 5000,
    mapping: DEFAULT_CLAIM_MAPPING,
    useUserinfo: true,
    ...(opts.client ? { client: opts.client } : {}),
  });
  return { clock, store, flow, posts, verified };
}

describe('the proxied device flow', () => {
  it('hands out its own handle, never the IdP device code, with the larger of both intervals', async () => {
    const { flow, posts } = setup();
    const start = await flow.start();
    expect(start.device_code).not.toContain('IDP-DEVICE-CODE');
    expect(start.device_code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(start).toMatchObject({
      user_code: 'ABCD-EFGH',
      verification_uri: 'https://idp.example.com/activate',
      expires_in: 600,
      interval: 5,
    });
    expect(posts[0]!.fields.scope).toBe('openid profile');
  });

  it('polls the IdP with the real code, says pending, slows down a client that polls too fast, then logs in once', async () => {
    const { flow, clock, posts } = setup({
      tokenAnswers: [
        { status: 400, body: { error: 'authorization_pending' } },
        { status: 200, body: { id_token: 'id-token-bob', access_token: 'at' } },
      ],
    });
    const { device_code } = await flow.start();
    await expect(flow.poll(device_code)).rejects.toMatchObject({ code: 'IDENTITY_DEVICE_PENDING' });
    expect(posts.at(-1)!.fields).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: 'IDP-DEVICE-CODE',
    });
    clock.advance(1000);
    await expect(flow.poll(device_code)).rejects.toMatchObject({
      code: 'IDENTITY_DEVICE_SLOW_DOWN',
      details: { interval: 10 },
    });
    const idpCalls = posts.length;
    clock.advance(10_000);
    const subject = await flow.poll(device_code);
    expect(subject).toMatchObject({ sub: 'bob', groups: ['approvers'] });
    expect(posts.length).toBe(idpCalls + 1); // the too-fast poll never reached the IdP
    clock.advance(10_000);
    await expect(flow.poll(device_code)).rejects.toMatchObject({ code: 'IDENTITY_DEVICE_EXPIRED' });
  });

  it.each([
    ['access_denied', 'IDENTITY_DEVICE_DENIED', true],
    ['expired_token', 'IDENTITY_DEVICE_EXPIRED', true],
    ['slow_down', 'IDENTITY_DEVICE_SLOW_DOWN', false],
    ['invalid_client', 'IDENTITY_IDP_ERROR', false],
  ])('turns the IdP answer %s into %s', async (error, code, forgotten) => {
    const { flow, clock } = setup({
      tokenAnswers: [{ status: 400, body: { error, error_description: 'because' } }],
    });
    const { device_code } = await flow.start();
    await expect(flow.poll(device_code)).rejects.toMatchObject({ code });
    clock.advance(60_000);
    const next = flow.poll(device_code);
    await expect(next).rejects.toMatchObject({
      code: forgotten ? 'IDENTITY_DEVICE_EXPIRED' : 'IDENTITY_DEVICE_PENDING',
    });
  });

  it('runs with a separate device client when one is configured (public: no secret) and checks the ID token for it', async () => {
    const tv = { id: 'breakglass-cli' };
    const { flow, posts, verified, clock } = setup({
      client: tv,
      tokenAnswers: [{ status: 200, body: { id_token: 'id-token-bob' } }],
    });
    const { device_code } = await flow.start();
    clock.advance(10_000);
    await flow.poll(device_code);
    expect(posts.map((p) => p.client)).toEqual([tv, tv]);
    expect(verified).toEqual([tv]);
  });

  it('forgets a pending login when its time is up', async () => {
    const { flow, clock } = setup();
    const { device_code } = await flow.start();
    clock.advance(601_000);
    await expect(flow.poll(device_code)).rejects.toMatchObject({ code: 'IDENTITY_DEVICE_EXPIRED' });
  });

  it('says so when the IdP has no device authorization endpoint', async () => {
    const { flow } = setup({ meta: { ...META, device_authorization_endpoint: undefined } });
    await expect(flow.start()).rejects.toMatchObject({ code: 'IDENTITY_DEVICE_UNSUPPORTED' });
  });
});
