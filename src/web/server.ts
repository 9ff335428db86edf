import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { systemClock, systemRandom, type Clock, type Random } from '../core';
import type { Config } from '../config';
import {
  createIdentity,
  spawnDevIdp,
  type AuditSink,
  type DevIdpProcess,
  type Identity,
  type OidcClientSettings,
} from '../identity';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import type { Store } from '../store';
import { createApp, type UiRouterFactory } from './app';
import type { ApiRoute } from './api/route';
import type { ReadinessCheck } from './health';
import { sharedSecret } from './shared-secret';
import { loadTls, type TlsMaterial } from './tls';

export interface WebServerDeps {
  config: Readonly<Config>;
  logger: Logger;
  store: Store;
  audit: AuditSink;
  metrics: Metrics;
  clock?: Clock;
  random?: Random;
  readiness?: ReadinessCheck[];
  apiRoutes?: ApiRoute[];
  /** Page routers of other capabilities (mounted with sessions and CSRF checks). */
  uiRouters?: UiRouterFactory[];
  version?: string;
  /** An IdP started elsewhere; otherwise identity.dev_idp.enabled starts one here. */
  devIdp?: OidcClientSettings | null;
}

export interface WebServer {
  readonly app: Express;
  readonly identity: Identity;
  /** The URL users reach the server at (server.public_url, or derived from the bound address). */
  readonly url: string;
  readonly tls: TlsMaterial | null;
  readonly server: Server;
  /** Starts answering requests (the socket is already bound); resolves with the address. */
  listen(): Promise<{ url: string; port: number; host: string }>;
  /** Stops accepting, closes connections, stops the development IdP if this server started it. */
  close(): Promise<void>;
}

function urlHost(listen: string): string {
  if (listen === '0.0.0.0' || listen === '') return '127.0.0.1';
  if (listen === '::') return '[::1]';
  return listen.includes(':') ? `[${listen}]` : listen;
}

/**
 * Composes the web server: TLS (configured or development certificate), the bound
 * socket (so the public URL is known even for port 0), the development IdP when
 * configured, identity (keys, sessions, OIDC) and the express app. Requests get 503
 * until `listen()` is called. `serve` calls this.
 */
export async function createWebServer(deps: WebServerDeps): Promise<WebServer> {
  const { config, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? systemRandom;
  const publicHost = config.server.public_url
    ? new URL(config.server.public_url).hostname.replace(/^\[|\]$/g, '')
    : null;
  const tls = loadTls(config.server.tls, config.certs_dir, {
    hosts: [config.server.listen, ...(publicHost ? [publicHost] : [])],
    clock,
  });
  if (tls?.development)
    logger.warn('serving HTTPS with a self-signed DEVELOPMENT certificate; clients trust it with --ca-file', {
      certFile: tls.certFile,
    });

  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.setHeader('Retry-After', '1');
    res.end('starting\n');
  };
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }) : createHttpServer();
  server.on('request', (req, res) => handler(req, res));
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.listen, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = (
    config.server.public_url ?? `${tls ? 'https' : 'http'}://${urlHost(config.server.listen)}:${address.port}`
  ).replace(/\/+$/, '');
  const https = url.startsWith('https://') || tls !== null;
  if (url.startsWith('https://') && !tls && config.server.trust_proxy === 0) {
    logger.warn(
      'server.public_url is https but this server speaks plain HTTP and trusts no proxy: session cookies (Secure) will not be set; set server.trust_proxy',
    );
  }

  let devIdpProcess: DevIdpProcess | null = null;
  const closeAll = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await devIdpProcess?.stop();
  };

  try {
    let devIdp = deps.devIdp ?? null;
    const dev = config.identity.dev_idp;
    if (!devIdp && dev.enabled && !config.identity.oidc.issuer) {
      devIdpProcess = await spawnDevIdp({
        port: dev.port,
        clientId: dev.client_id,
        clientSecret: dev.client_secret,
        redirectUris: [`${url}/auth/callback`],
        postLogoutRedirectUris: [`${url}/`],
      });
      devIdp = {
        issuer: devIdpProcess.issuer,
        clientId: devIdpProcess.clientId,
        clientSecret: devIdpProcess.clientSecret,
      };
      logger.warn(
        'the DEVELOPMENT IdP is running with demo users and known passwords; never use it in production',
        { issuer: devIdp.issuer },
      );
    }

    const identity = await createIdentity({
      config: config.identity,
      publicUrl: url,
      certsDir: config.certs_dir,
      store: deps.store,
      audit: deps.audit,
      logger,
      clock,
      random,
      devIdp,
    });
    const sessionSecrets = [
      config.identity.session.secret ?? (await sharedSecret(deps.store, 'session-cookie', random)),
    ];
    const app = createApp({
      config,
      logger,
      store: deps.store,
      metrics: deps.metrics,
      identity,
      sessionSecrets,
      https,
      readiness: deps.readiness,
      apiRoutes: deps.apiRoutes,
      uiRouters: deps.uiRouters,
      version: deps.version,
      clock,
      random,
    });
    return {
      app,
      identity,
      url,
      tls,
      server,
      listen: async () => {
        handler = app;
        logger.info('web server listening', {
          url,
          tls: tls ? (tls.development ? 'development certificate' : 'configured') : 'off',
        });
        return { url, port: address.port, host: config.server.listen };
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
