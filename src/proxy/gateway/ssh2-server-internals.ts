/**
 * The three things the gateway needs from ssh2's server that its public API lacks,
 * written for ssh2 1.17.0 exactly (the version is asserted, as for the client patch in
 * `../upstream/ssh2-cert-auth.ts`). None changes ssh2's code; each sends one message
 * through ssh2's own packet writer or channel table:
 *
 * 1. `sendAuthBanner`: SSH_MSG_USERAUTH_BANNER (RFC 4252 §5.4) at any time before
 *    authentication succeeds, so a refused user reads why ("no active grant for …")
 *    instead of only "Permission denied (publickey)".
 * 2. `rejectChannelWithReason`: ssh2's channel-open `reject()` always sends an empty
 *    description; this fills it in ("port forwarding is not allowed by the grant").
 * 3. `openAgentChannel`: opens an `auth-agent@openssh.com` channel to the client (agent
 *    forwarding), which ssh2's server cannot open by itself.
 * 4. `disconnectWithReason`: SSH_MSG_DISCONNECT with a description (ssh2's `end()` sends
 *    none), which OpenSSH prints: "Received disconnect from …: 11: breakglass: session
 *    ended: grant g-1 was revoked".
 */
import type { Connection } from 'ssh2';
import { assertSsh2Version } from '../upstream';

/* eslint-disable @typescript-eslint/no-require-imports -- ssh2 internals have no types or public export */
const { sendPacket } = require('ssh2/lib/protocol/utils.js') as {
  sendPacket: (proto: unknown, packet: Buffer, bypass?: boolean) => boolean;
};
const { MAX_WINDOW, PACKET_SIZE } = require('ssh2/lib/Channel.js') as {
  MAX_WINDOW: number;
  PACKET_SIZE: number;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const USERAUTH_BANNER = 53;
const DISCONNECT = 1;
const DISCONNECT_BY_APPLICATION = 11;
const CHANNEL_OPEN_ADMINISTRATIVELY_PROHIBITED = 1;

interface ProtocolInternals {
  _packetRW: {
    write: {
      allocStart: number;
      allocStartKEX: number;
      alloc(size: number, force?: boolean): Buffer;
      finalize(packet: Buffer, force?: boolean): Buffer;
    };
  };
  channelOpenFail(remote: number, reason: number, desc: string): void;
  openssh_authAgent(chan: number, initWindow: number, maxPacket: number): void;
}

interface ConnectionInternals {
  _protocol?: ProtocolInternals;
  _sock?: { writable?: boolean; end(): void };
  _chanMgr?: { add(val: unknown): number };
  authenticated?: boolean;
}

function internals(conn: Connection): ConnectionInternals {
  assertSsh2Version();
  return conn as unknown as ConnectionInternals;
}

/** Sends a user-authentication banner (shown by OpenSSH on stderr); a no-op once authenticated. */
export function sendAuthBanner(conn: Connection, text: string): void {
  const c = internals(conn);
  const proto = c._protocol;
  if (!proto || c.authenticated) return;
  const body = Buffer.from(text.endsWith('\r\n') ? text : `${text.replace(/\n$/, '')}\r\n`, 'utf8');
  const payload = Buffer.alloc(1 + 4 + body.length + 4);
  payload[0] = USERAUTH_BANNER;
  payload.writeUInt32BE(body.length, 1);
  body.copy(payload, 5);
  // language tag: empty string (the trailing 4 zero bytes)
  const writer = proto._packetRW.write;
  const start = writer.allocStart;
  const packet = writer.alloc(payload.length);
  payload.copy(packet, start);
  sendPacket(proto, writer.finalize(packet));
}

/**
 * Calls ssh2's channel-open `reject` so that the failure carries `description` (shown by
 * OpenSSH as "open failed: administratively prohibited: DESCRIPTION").
 */
export function rejectChannelWithReason(conn: Connection, reject: () => void, description: string): void {
  const proto = internals(conn)._protocol;
  if (!proto) return reject();
  const original = proto.channelOpenFail;
  proto.channelOpenFail = (remote) =>
    original.call(proto, remote, CHANNEL_OPEN_ADMINISTRATIVELY_PROHIBITED, description.slice(0, 200));
  try {
    reject();
  } finally {
    proto.channelOpenFail = original;
  }
}

/**
 * Opens an `auth-agent@openssh.com` channel to the client (whose ssh was started with -A);
 * the callback gets the channel stream, or an error when the client refuses.
 */
export function openAgentChannel(
  conn: Connection,
  cb: (err: Error | undefined, stream?: NodeJS.ReadWriteStream) => void,
): void {
  const c = internals(conn);
  if (!c._protocol || !c._chanMgr) return cb(new Error('connection is not open'));
  const wrapper = Object.assign(
    (err: Error | undefined, stream?: NodeJS.ReadWriteStream) => cb(err, stream),
    {
      type: 'auth-agent@openssh.com',
    },
  );
  const local = c._chanMgr.add(wrapper);
  if (local === -1) return cb(new Error('no free channels'));
  c._protocol.openssh_authAgent(local, MAX_WINDOW, PACKET_SIZE);
}

/**
 * Sends SSH_MSG_DISCONNECT (by application) with `description` and ends the socket, as
 * ssh2's `end()` does but with a reason the user sees.
 */
export function disconnectWithReason(conn: Connection, description: string): void {
  const c = internals(conn);
  const proto = c._protocol;
  const sock = c._sock;
  if (!proto || !sock || sock.writable === false) return;
  const text = Buffer.from(description.slice(0, 500), 'utf8');
  const payload = Buffer.alloc(1 + 4 + 4 + text.length + 4);
  payload[0] = DISCONNECT;
  payload.writeUInt32BE(DISCONNECT_BY_APPLICATION, 1);
  payload.writeUInt32BE(text.length, 5);
  text.copy(payload, 9);
  // Like ssh2's own disconnect: a full packet even during a key exchange.
  const writer = proto._packetRW.write;
  const start = writer.allocStartKEX;
  const packet = writer.alloc(payload.length, true);
  payload.copy(packet, start);
  sendPacket(proto, writer.finalize(packet, true), true);
  sock.end();
}
