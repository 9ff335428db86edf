import type { Duplex } from 'node:stream';
import type {
  AcceptConnection,
  Client,
  ClientChannel,
  RejectConnection,
  ServerChannel,
  TcpipBindInfo,
  TcpipRequestInfo,
} from 'ssh2';
import { describeError, type GatewayConnection } from './connection';
import { rejectChannelWithReason } from './ssh2-server-internals';

/** Joins two channels both ways and closes each when the other closes. */
function join(a: Duplex, b: Duplex, onActivity: () => void): void {
  a.on('data', onActivity);
  b.on('data', onActivity);
  a.pipe(b).pipe(a);
  const closeBoth = () => {
    a.destroy();
    b.destroy();
  };
  a.once('close', closeBoth);
  b.once('close', closeBoth);
  a.on('error', closeBoth);
  b.on('error', closeBoth);
}

function portForwardingRefusal(conn: GatewayConnection): string | null {
  const g = conn.grant;
  if (!g) return 'port forwarding needs a target: connect as LOGIN@HOST';
  return g.constraints.portForwarding
    ? null
    : `port forwarding is not allowed by the policy of grant ${g.id}`;
}

/** `ssh -L`: a direct-tcpip channel from the user, opened from the host to its destination. */
export function handleDirectTcpip(
  conn: GatewayConnection,
  accept: AcceptConnection<ServerChannel>,
  reject: RejectConnection,
  info: TcpipRequestInfo,
): void {
  const refusal = portForwardingRefusal(conn);
  if (refusal) {
    conn.rt.logger.info('port forwarding refused', { connection: conn.id, reason: refusal });
    rejectChannelWithReason(conn.client, reject, refusal);
    return;
  }
  conn.touch();
  conn
    .upstream()
    .then(
      (client) =>
        new Promise<ClientChannel>((resolve, fail) =>
          client.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (err, ch) =>
            err ? fail(err) : resolve(ch),
          ),
        ),
    )
    .then(
      (up) => {
        conn.rt.logger.info('port forwarded', {
          connection: conn.id,
          destination: `${info.destIP}:${info.destPort}`,
        });
        join(accept(), up, () => conn.touch());
      },
      (err: unknown) =>
        rejectChannelWithReason(conn.client, reject, `the host refused: ${describeError(err)}`),
    );
}

/** Global requests: `ssh -R` (tcpip-forward) when allowed; everything else refused. */
export function handleGlobalRequest(
  conn: GatewayConnection,
  accept: ((port?: number) => void) | undefined,
  reject: (() => void) | undefined,
  name: string,
  info: TcpipBindInfo | undefined,
): void {
  if (name !== 'tcpip-forward' && name !== 'cancel-tcpip-forward') {
    reject?.();
    return;
  }
  const refusal = portForwardingRefusal(conn);
  if (refusal || !info) {
    conn.notices.push(`remote port forwarding was refused: ${refusal ?? 'malformed request'}`);
    reject?.();
    return;
  }
  conn
    .upstream()
    .then((client) => {
      if (name === 'cancel-tcpip-forward') {
        client.unforwardIn(info.bindAddr, info.bindPort, (err) => (err ? reject?.() : accept?.()));
        return;
      }
      client.forwardIn(info.bindAddr, info.bindPort, (err, port) => (err ? reject?.() : accept?.(port)));
    })
    .catch(() => reject?.());
}

/**
 * Connections the host opens back (remote forwards, X11): each is passed to the user's
 * client as a new channel. Installed once per upstream client, after it logged in.
 */
export function relayHostChannels(conn: GatewayConnection, client: Client): void {
  client.on('tcp connection', (info, accept, reject) => {
    if (!conn.grant?.constraints.portForwarding) return reject();
    conn.client.forwardOut(info.destIP, info.destPort, info.srcIP, info.srcPort, (err, down) => {
      if (err) return reject();
      join(down, accept(), () => conn.touch());
    });
  });
  client.on('x11', (info, accept, reject) => {
    if (!conn.grant?.constraints.x11Forwarding) return reject();
    conn.client.x11(info.srcIP, info.srcPort, (err, down) => {
      if (err) return reject();
      join(down, accept(), () => conn.touch());
    });
  });
}
