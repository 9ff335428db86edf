import type { AddressInfo } from 'node:net';
import { Server, type AuthContext, type Connection, type PublicKeyAuthContext } from 'ssh2';
import type { Certificate, PublicKey } from '../../ca';
import { BreakglassError } from '../../errors';
import type { Store, Unsubscribe } from '../../store';
import { selectCandidates, type GatewayGrant } from '../grants';
import { connectionIdOf, KILL_CHANNEL, parseKillMessage } from '../sessions/registry';
import { parseTarget } from '../target';
import { verifyClientCertificate } from './client-auth';
import { describeError, GatewayConnection } from './connection';
import { handleDirectTcpip, handleGlobalRequest } from './forwarding';
import type { GatewayHostKey } from './host-key-file';
import type { AuthenticatedUser, GatewayRuntime } from './runtime';
import { handleSessionChannel } from './session-channel';
import { sendAuthBanner } from './ssh2-server-internals';

export interface GatewayServerOptions {
  readonly rt: GatewayRuntime;
  readonly store: Pick<Store, 'subscribe'>;
  readonly hostKey: GatewayHostKey;
  /** User CA keys (current ones: read at every login, so a rotation applies at once). */
  readonly trustedUserCas: () => readonly PublicKey[];
  /** The KRL: true means the certificate is revoked. */
  readonly isRevoked?: (certificate: Certificate) => boolean;
  readonly listen: string;
  readonly port: number;
  readonly authTimeoutMs: number;
  readonly maxConnections: number;
  readonly enforceIntervalMs: number;
  readonly recheckIntervalMs: number;
  /** Ciphers offered to users (ssh2's defaults when absent). */
  readonly ciphers?: readonly string[];
}

export interface GatewayServer {
  readonly address: { readonly host: string; readonly port: number };
  /** Connections of this replica (authenticated ones). */
  connections(): readonly GatewayConnection[];
  close(): Promise<void>;
}

type Decision = { ok: true; user: AuthenticatedUser } | { ok: false; reason: string };

/** Starts the ssh2 server: certificate-only logins, grants, channels, session control. */
export async function startGatewayServer(o: GatewayServerOptions): Promise<GatewayServer> {
  const { rt } = o;
  const conns = new Map<string, GatewayConnection>();
  const clients = new Set<Connection>();
  let open = 0;
  /** When each connection's grant was last confirmed in the store. */
  const confirmed = new Map<string, number>();

  async function decide(
    certificate: Certificate,
    options: AuthenticatedUser['options'],
    username: string,
    clientAddress: string,
  ): Promise<Decision> {
    let grants: readonly GatewayGrant[];
    try {
      grants = await rt.grants.grantsFor(certificate);
    } catch (err) {
      rt.logger.error('grants could not be read; refusing the login', { error: describeError(err) });
      return { ok: false, reason: 'grants cannot be checked right now; try again shortly' };
    }
    const listed = grants.filter((g) => certificate.principals.includes(g.certificatePrincipal));
    if (grants.length > 0 && listed.length === 0)
      return { ok: false, reason: 'the certificate does not list the principal its grant was issued for' };
    const target = parseTarget(username);
    const selection = selectCandidates(listed, target, rt.clock.now());
    if (!selection.ok) return { ok: false, reason: selection.reason };
    return {
      ok: true,
      user: { certificate, options, target, candidates: selection.candidates, clientAddress, username },
    };
  }

  function auditRefusal(certificate: Certificate, reason: string, clientAddress: string): void {
    rt.audit
      .append({
        type: 'login.failed',
        actor: 'system:proxy',
        data: {
          method: 'ssh-certificate',
          reason: reason.slice(0, 4000),
          key_id: certificate.keyId.slice(0, 256) || '-',
          serial: certificate.serial.toString(),
          client_address: clientAddress,
        },
      })
      .catch((err: unknown) =>
        rt.logger.error('refused login could not be audited', { error: describeError(err) }),
      );
  }

  function onAuthentication(
    client: Connection,
    clientAddress: string,
    ctx: AuthContext,
    done: (u: AuthenticatedUser) => void,
  ): void {
    if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
    const pk = ctx as PublicKeyAuthContext;
    const result = verifyClientCertificate(
      {
        keyAlgo: pk.key.algo,
        keyData: pk.key.data,
        ...(pk.signature ? { signature: pk.signature } : {}),
        ...(pk.blob ? { signedData: pk.blob } : {}),
      },
      {
        now: rt.clock.now(),
        trustedCas: o.trustedUserCas(),
        clientAddress,
        ...(o.isRevoked ? { isRevoked: o.isRevoked } : {}),
      },
    );
    if (!result.ok) {
      if (result.code !== 'not-a-certificate') {
        rt.logger.info('gateway login refused', { reason: result.reason, client: clientAddress });
        sendAuthBanner(client, `breakglass: certificate refused: ${result.reason}`);
      }
      return ctx.reject(['publickey']);
    }
    if (!result.signed) return ctx.accept(); // "would you accept this key?": yes, so far
    decide(result.certificate, result.options, ctx.username, clientAddress).then(
      (d) => {
        if (!d.ok) {
          rt.logger.info('gateway login refused', {
            reason: d.reason,
            client: clientAddress,
            keyId: result.certificate.keyId,
          });
          sendAuthBanner(client, `breakglass: access refused: ${d.reason}`);
          auditRefusal(result.certificate, d.reason, clientAddress);
          return ctx.reject(['publickey']);
        }
        done(d.user);
        ctx.accept();
      },
      (err: unknown) => {
        rt.logger.error('login decision failed', { error: describeError(err) });
        ctx.reject(['publickey']);
      },
    );
  }

  const server = new Server(
    {
      hostKeys: [o.hostKey.privateKeyText],
      ident: 'Breakglass',
      ...(o.ciphers ? { algorithms: { cipher: [...o.ciphers] as never } } : {}),
    },
    (client, info) => {
      if (open >= o.maxConnections) {
        rt.logger.warn('gateway connection refused: too many connections', { client: info.ip });
        client.end();
        return;
      }
      open++;
      clients.add(client);
      // Keystrokes go out at once (Nagle would hold them for an ACK).
      (client as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
      const clientAddress = info.ip;
      let user: AuthenticatedUser | undefined;
      let conn: GatewayConnection | undefined;
      const authTimer = setTimeout(() => {
        if (!conn) client.end();
      }, o.authTimeoutMs);
      authTimer.unref();
      client.on('error', (err: Error) =>
        rt.logger.debug('gateway client error', { client: clientAddress, error: err.message }),
      );
      client.on('authentication', (ctx) =>
        onAuthentication(client, clientAddress, ctx, (u) => {
          user = u;
        }),
      );
      client.on('ready', () => {
        clearTimeout(authTimer);
        if (!user) return client.end();
        const id = `c${rt.random.bytes(8).toString('hex')}`;
        const c = new GatewayConnection(rt, client, user, id);
        conn = c;
        conns.set(id, c);
        confirmed.set(id, rt.clock.now());
        rt.logger.info('gateway login', {
          connection: id,
          user: user.candidates[0]?.grant.user,
          keyId: user.certificate.keyId,
          serial: user.certificate.serial.toString(),
          client: clientAddress,
          target: user.username,
        });
        if (user.candidates.length === 1 && user.target.kind !== 'any') c.choose(user.candidates[0]!);
        client.on('session', (accept) => handleSessionChannel(c, accept));
        client.on('tcpip', (accept, reject, info) => handleDirectTcpip(c, accept, reject, info));
        client.on('request', (accept, reject, name, info) =>
          handleGlobalRequest(c, accept, reject, name, info as never),
        );
      });
      client.on('close', () => {
        open--;
        clients.delete(client);
        clearTimeout(authTimer);
        if (conn) {
          conns.delete(conn.id);
          confirmed.delete(conn.id);
          void conn.end('the client disconnected');
        }
      });
    },
  );

  const enforce = setInterval(() => {
    const now = rt.clock.now();
    for (const c of conns.values()) {
      const reason = c.overdue(now);
      if (reason) void c.end(reason);
    }
  }, o.enforceIntervalMs);
  enforce.unref();

  const recheck = setInterval(() => {
    const byGrant = new Map<string, GatewayConnection[]>();
    for (const c of conns.values()) {
      const g = c.grant;
      if (!g || c.ended) continue;
      const list = byGrant.get(g.id) ?? [];
      list.push(c);
      byGrant.set(g.id, list);
    }
    const now = rt.clock.now();
    for (const [grantId, list] of byGrant) {
      rt.grants.get(grantId).then(
        (grant) => {
          for (const c of list) {
            confirmed.set(c.id, rt.clock.now());
            c.refreshGrant(grant);
          }
        },
        (err: unknown) => {
          rt.logger.warn('grant could not be re-read', { grant: grantId, error: describeError(err) });
          // Fail closed when the grant has not been confirmed for three intervals.
          for (const c of list)
            if (now - (confirmed.get(c.id) ?? now) > 3 * o.recheckIntervalMs)
              void c.end(
                `grant ${grantId} could not be re-checked for ${Math.round((3 * o.recheckIntervalMs) / 1000)} s`,
              );
        },
      );
    }
  }, o.recheckIntervalMs);
  recheck.unref();

  const subscriptions: Unsubscribe[] = [];
  const stopAll = async () => {
    clearInterval(enforce);
    clearInterval(recheck);
    for (const u of subscriptions.splice(0)) await u().catch(() => undefined);
  };
  try {
    subscriptions.push(
      await rt.grants.onRevoked((grantId) => {
        for (const c of conns.values())
          if (c.grant?.id === grantId) void c.end(`grant ${grantId} was revoked`);
      }),
    );
    subscriptions.push(
      await o.store.subscribe(KILL_CHANNEL, (text) => {
        const msg = parseKillMessage(text);
        if (!msg) return;
        const c = conns.get(connectionIdOf(msg.id)) ?? conns.get(msg.id);
        if (c) void c.end(`terminated by ${msg.by}${msg.reason ? `: ${msg.reason}` : ''}`);
      }),
    );
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(o.port, o.listen, () => {
        server.off('error', onError);
        resolve();
      });
    });
  } catch (err) {
    await stopAll();
    throw new BreakglassError(
      'PROXY_LISTEN',
      `the SSH gateway cannot listen on ${o.listen}:${o.port}: ${describeError(err)}`,
      {
        cause: err,
      },
    );
  }
  server.on('error', (err: Error) => rt.logger.error('gateway server error', { error: err.message }));
  const addr = server.address() as AddressInfo;

  return {
    address: { host: addr.address, port: addr.port },
    connections: () => [...conns.values()],
    async close() {
      await stopAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...conns.values()].map((c) => c.end('the gateway is shutting down')));
      for (const client of clients) client.end();
      await closed;
    },
  };
}
