import type { Command } from 'commander';
import { BreakglassError, isBreakglassError } from '../../errors';
import {
  createApiClient,
  credentialsPath,
  deleteCredentials,
  devIdpDefaults,
  DEMO_USERS,
  normalizeServer,
  readCredentials,
  startDevIdp,
  writeCredentials,
} from '../../identity';
import { CliExit, type CliIo } from '../io';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `breakglass login|whoami|logout|dev-idp` */
export function registerIdentityCommands(program: Command, io: CliIo): void {
  program
    .command('login')
    .description(
      'log in to a Breakglass server with the device flow and keep an API token in ~/.config/breakglass/credentials.json (mode 0600)',
    )
    .option('--server <url>', 'Breakglass server URL (default: the one of the last login)')
    .option(
      '--ca-file <path>',
      'PEM certificate to trust for the server (e.g. certs/dev-tls.crt of `serve --dev`)',
    )
    .action(async (opts: { server?: string; caFile?: string }) => {
      let server = opts.server;
      let caFile = opts.caFile;
      if (!server) {
        try {
          const previous = readCredentials(io.env);
          server = previous.server;
          caFile ??= previous.ca_file;
        } catch {
          throw new BreakglassError(
            'CLI_USAGE',
            'say which server: breakglass login --server https://breakglass.example.com',
          );
        }
      }
      server = normalizeServer(server);
      const api = createApiClient(server, { caFile });
      const start = await api.call('POST', '/api/v1/auth/device', { body: {} });
      const deviceCode = String(start.device_code);
      const url =
        typeof start.verification_uri_complete === 'string'
          ? start.verification_uri_complete
          : String(start.verification_uri);
      io.out(`To log in, open ${url}\nand check that it shows the code ${String(start.user_code)}\n`);
      let interval = Math.max(1, Number(start.interval) || 5) * 1000;
      const deadline = Date.now() + Math.max(1, Number(start.expires_in) || 600) * 1000;
      for (;;) {
        await sleep(interval);
        try {
          const done = await api.call('POST', '/api/v1/auth/token', { body: { device_code: deviceCode } });
          const subject = (done.subject ?? {}) as { sub?: string; email?: string | null; groups?: string[] };
          const path = writeCredentials(io.env, {
            server,
            token: String(done.access_token),
            expires_at: String(done.expires_at),
            ...(caFile ? { ca_file: caFile } : {}),
            sub: subject.sub,
            email: subject.email ?? null,
          });
          io.out(
            `Logged in to ${server} as ${subject.email ?? subject.sub ?? '?'}${subject.groups?.length ? ` (groups: ${subject.groups.join(', ')})` : ''}.\n`,
          );
          io.out(`The API token expires at ${String(done.expires_at)}; it is kept in ${path}.\n`);
          return;
        } catch (err) {
          if (isBreakglassError(err) && err.code === 'IDENTITY_DEVICE_PENDING' && Date.now() < deadline)
            continue;
          if (isBreakglassError(err) && err.code === 'IDENTITY_DEVICE_SLOW_DOWN') {
            const asked = Number(err.details?.interval);
            interval = Number.isFinite(asked) && asked > 0 ? asked * 1000 : interval + 5000;
            continue;
          }
          if (
            isBreakglassError(err) &&
            (err.code === 'IDENTITY_DEVICE_DENIED' ||
              err.code === 'IDENTITY_DEVICE_EXPIRED' ||
              err.code === 'IDENTITY_DEVICE_PENDING')
          ) {
            io.err(
              `breakglass: login did not complete: ${err.code === 'IDENTITY_DEVICE_PENDING' ? 'the code expired before it was approved' : err.message}\n`,
            );
            throw new CliExit(1);
          }
          throw err;
        }
      }
    });

  program
    .command('whoami')
    .description('show who the stored API token belongs to, as the server sees it')
    .option('--json', 'print the answer as JSON')
    .action(async (opts: { json?: boolean }) => {
      const creds = loggedIn(io);
      const api = createApiClient(creds.server, { caFile: creds.ca_file });
      let me: Record<string, unknown>;
      try {
        me = await api.call('GET', '/api/v1/me', { token: creds.token });
      } catch (err) {
        if (isBreakglassError(err) && err.status === 401) {
          io.err(`breakglass: ${err.code}: ${err.message}\nrun \`breakglass login\` to log in again\n`);
          throw new CliExit(1);
        }
        throw err;
      }
      if (opts.json) {
        io.out(`${JSON.stringify(me, null, 2)}\n`);
        return;
      }
      const list = (v: unknown) => (Array.isArray(v) && v.length > 0 ? v.join(', ') : '-');
      io.out(
        `server:  ${creds.server}\n` +
          `subject: ${String(me.sub)}\n` +
          `email:   ${String(me.email ?? '-')}\n` +
          `name:    ${String(me.name ?? '-')}\n` +
          `groups:  ${list(me.groups)}\n` +
          `amr:     ${list(me.amr)}\n` +
          `token expires at ${creds.expires_at}\n`,
      );
    });

  program
    .command('logout')
    .description(
      'end the login on the server (its API tokens stop working) and delete the stored credentials',
    )
    .action(async () => {
      const creds = loggedIn(io);
      let failure: BreakglassError | null = null;
      try {
        await createApiClient(creds.server, { caFile: creds.ca_file }).call('POST', '/api/v1/auth/logout', {
          token: creds.token,
          body: {},
        });
      } catch (err) {
        if (!isBreakglassError(err)) throw err;
        // A token the server no longer accepts is as logged out as it gets.
        if (err.status !== 401) failure = err;
      }
      deleteCredentials(io.env);
      if (failure) {
        io.err(
          `breakglass: deleted ${credentialsPath(io.env)}, but the server could not end the login: ${failure.code}: ${failure.message}\n`,
        );
        throw new CliExit(1);
      }
      io.out(`Logged out of ${creds.server}.\n`);
    });

  program
    .command('dev-idp')
    .description('run the DEVELOPMENT OpenID provider with demo users on 127.0.0.1 (never for production)')
    .option('--port <port>', 'port on 127.0.0.1', String(devIdpDefaults.port))
    .option('--issuer <url>', 'issuer URL (default http://127.0.0.1:PORT)')
    .option('--client-id <id>', 'client id registered for Breakglass', devIdpDefaults.clientId)
    .option('--client-secret <secret>', 'client secret of that client', devIdpDefaults.clientSecret)
    .option(
      '--redirect-uri <uri...>',
      'allowed redirect URIs (default: http(s)://127.0.0.1:8080/auth/callback and localhost)',
    )
    .option(
      '--post-logout-redirect-uri <uri...>',
      'allowed post-logout redirect URIs (default: http(s)://127.0.0.1:8080/ and localhost)',
    )
    .action(
      async (opts: {
        port: string;
        issuer?: string;
        clientId: string;
        clientSecret: string;
        redirectUri?: string[];
        postLogoutRedirectUri?: string[];
      }) => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new BreakglassError('CLI_USAGE', `--port ${opts.port} is not a port (accepted: 0-65535)`);
        const bases = [
          'http://127.0.0.1:8080',
          'https://127.0.0.1:8080',
          'http://localhost:8080',
          'https://localhost:8080',
        ];
        const idp = await startDevIdp({
          port,
          issuer: opts.issuer,
          clientId: opts.clientId,
          clientSecret: opts.clientSecret,
          redirectUris: opts.redirectUri ?? bases.map((b) => `${b}/auth/callback`),
          postLogoutRedirectUris: opts.postLogoutRedirectUri ?? bases.map((b) => `${b}/`),
          log: (line) => io.err(`${line}\n`),
        });
        io.out(
          '*** Breakglass development IdP: FOR DEVELOPMENT ONLY. Demo users with known passwords; never expose it. ***\n' +
            `issuer:    ${idp.issuer}\n` +
            `client id: ${opts.clientId}\n` +
            `users:     ${DEMO_USERS.map((u) => `${u.email} (password ${u.password}; groups ${u.groups.join(',')}${u.mfa ? '; mfa' : ''})`).join('\n           ')}\n`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await idp.close();
      },
    );
}

function loggedIn(io: CliIo) {
  try {
    return readCredentials(io.env);
  } catch (err) {
    if (isBreakglassError(err) && err.code === 'IDENTITY_CREDENTIALS_MISSING') {
      io.err(`breakglass: ${err.message}\n`);
      throw new CliExit(1);
    }
    throw err;
  }
}
