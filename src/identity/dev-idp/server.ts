import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response, type NextFunction } from 'express';
import type { Provider as ProviderType } from 'oidc-provider';
import {
  deviceConfirmPage,
  deviceInputPage,
  deviceSuccessPage,
  errorPage,
  loggedOutPage,
  loginPage,
  logoutPage,
} from './pages';
import { amrFor, claimsFor, findDemoUser, DEMO_USERS } from './users';

export interface DevIdpOptions {
  /** Port on 127.0.0.1 (0 picks a free one). */
  port: number;
  /** Issuer URL; default http://127.0.0.1:PORT. */
  issuer?: string;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Where progress lines go (default: nowhere). */
  log?: (line: string) => void;
}

export interface RunningDevIdp {
  readonly issuer: string;
  readonly port: number;
  close(): Promise<void>;
}

export const DEV_IDP_SCOPES = ['openid', 'offline_access', 'email', 'profile', 'groups'] as const;

/**
 * Starts the development OpenID provider (oidc-provider 9) on 127.0.0.1 with the
 * demo users. Loaded with a dynamic import because oidc-provider is ESM-only; this
 * runs only in the `breakglass dev-idp` process.
 */
export async function startDevIdp(options: DevIdpOptions): Promise<RunningDevIdp> {
  const log = options.log ?? (() => undefined);
  // oidc-provider warns about Node 20 ("use Node 22"); it works here and the warning would only confuse.
  const mod = (await import('oidc-provider')) as { default: typeof ProviderType };
  const Provider = mod.default;

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = (options.issuer ?? `http://127.0.0.1:${port}`).replace(/\/+$/, '');

  const provider = new Provider(issuer, providerConfiguration(options));
  provider.proxy = false;
  provider.on('server_error', (_ctx: unknown, err: unknown) =>
    log(`dev IdP error: ${String((err as Error)?.message ?? err)}`),
  );

  const app = express();
  app.disable('x-powered-by');
  app.use(noStore);
  app.get('/', (_req, res) => {
    res
      .type('html')
      .send(
        `<!doctype html><title>dev IdP</title><p>Breakglass development IdP (for development only). Issuer <code>${issuer}</code>. ` +
          `Discovery: <a href="/.well-known/openid-configuration">/.well-known/openid-configuration</a>. Users: ${DEMO_USERS.map((u) => u.email).join(', ')}.</p>`,
      );
  });
  app.get('/interaction/:uid', interaction(provider, options.clientId));
  app.post(
    '/interaction/:uid/login',
    express.urlencoded({ extended: false, limit: '8kb' }),
    submitLogin(provider, options.clientId),
  );
  const handle = provider.callback();
  app.use((req, res) => handle(req, res));
  server.on('request', app);

  return {
    issuer,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}

/** The provider's configuration: one confidential client, the demo users, the device flow, our pages. */
export function providerConfiguration(options: DevIdpOptions): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = {
    ...privateKey.export({ format: 'jwk' }),
    kid: `dev-${randomBytes(6).toString('hex')}`,
    alg: 'RS256',
    use: 'sig',
  };
  return {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        client_name: 'Breakglass',
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris,
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    async findAccount(_ctx: unknown, id: string) {
      const user = findDemoUser(id);
      if (!user) return undefined;
      return { accountId: user.sub, claims: async () => claimsFor(user) };
    },
    claims: {
      // amr in every ID token (it says whether the login used MFA).
      openid: ['sub', 'amr'],
      email: ['email', 'email_verified'],
      // groups come with the profile scope too, so the default scopes (openid profile email) get them.
      profile: ['name', 'preferred_username', 'groups'],
      groups: ['groups'],
      acr: null,
      auth_time: null,
      iss: null,
      sid: null,
    },
    scopes: [...DEV_IDP_SCOPES],
    // Put profile, e-mail and group claims into the ID token too (not only /userinfo).
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: { keys: [jwk] },
    pkce: { required: () => false },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      DeviceCode: 600,
      Interaction: 1800,
      Session: 86_400,
      Grant: 86_400,
      RefreshToken: 86_400,
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // A first-party client: consent is granted for the requested scopes without a page.
    loadExistingGrant: autoConsent,
    renderError: async (ctx: { type: string; body: string }, out: Record<string, unknown>) => {
      ctx.type = 'html';
      ctx.body = errorPage(out);
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: async (
          ctx: { body: string },
          form: string,
          _out: unknown,
          err?: { name?: string; userCode?: string },
        ) => {
          ctx.body = deviceInputPage(
            form,
            err
              ? err.userCode || err.name === 'NoCodeError'
                ? 'That code is not valid; try again.'
                : 'The request could not be completed.'
              : undefined,
          );
        },
        userCodeConfirmSource: async (
          ctx: { body: string },
          form: string,
          client: { clientName?: string; clientId: string },
          _info: unknown,
          userCode: string,
        ) => {
          ctx.body = deviceConfirmPage(form, client.clientName ?? client.clientId, userCode);
        },
        successSource: async (ctx: { body: string }) => {
          ctx.body = deviceSuccessPage();
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: { body: string }, form: string) => {
          ctx.body = logoutPage(form);
        },
        postLogoutSuccessSource: async (ctx: { body: string }) => {
          ctx.body = loggedOutPage();
        },
      },
    },
  };
}

interface GrantCtx {
  oidc: {
    provider: ProviderType;
    client: { clientId: string };
    session: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    result?: { consent?: { grantId?: string } };
    requestParamOIDCScopes?: Set<string>;
  };
}

async function autoConsent(ctx: GrantCtx) {
  const { oidc } = ctx;
  const existingId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
  const grant =
    (existingId ? await oidc.provider.Grant.find(existingId) : undefined) ??
    new oidc.provider.Grant({ accountId: oidc.session.accountId!, clientId: oidc.client.clientId });
  grant.addOIDCScope(DEV_IDP_SCOPES.join(' '));
  await grant.save();
  return grant;
}

function interaction(provider: ProviderType, clientId: string) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
        res
          .type('html')
          .send(loginPage({ action: `/interaction/${details.uid}/login`, clientId, selected: hint }));
        return;
      }
      // Consent for the first-party client is automatic (see autoConsent); finish any other prompt the same way.
      const grant = new provider.Grant({
        accountId: details.session!.accountId!,
        clientId: String(details.params.client_id),
      });
      grant.addOIDCScope(DEV_IDP_SCOPES.join(' '));
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    } catch (err) {
      next(err);
    }
  };
}

function submitLogin(provider: ProviderType, clientId: string) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const details = await provider.interactionDetails(req, res);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const login = typeof body.login === 'string' ? body.login : '';
      const password = typeof body.password === 'string' ? body.password : '';
      const user = findDemoUser(login);
      if (!user || password !== user.password) {
        res
          .status(401)
          .type('html')
          .send(
            loginPage({
              action: `/interaction/${details.uid}/login`,
              clientId,
              error: 'Unknown user or wrong password.',
              selected: login,
            }),
          );
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.sub, amr: amrFor(user), remember: false } },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      next(err);
    }
  };
}
