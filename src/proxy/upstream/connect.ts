import type { KeyObject } from 'node:crypto';
import { Client, type Algorithms, type BaseAgent, type PublicKeyAuthMethod } from 'ssh2';
import { BreakglassError, isBreakglassError } from '../../errors';
import type { HostKeyVerdict, HostKeyVerifier } from './host-key';
import { createCertificateAuthKey, installSsh2CertAuthPatch } from './ssh2-cert-auth';

export interface UpstreamTimeouts {
  /** Whole handshake + authentication budget (default 10 s). */
  readyMs?: number;
  /** Keepalive probe interval once connected; 0 disables (default 15 s). */
  keepaliveMs?: number;
  /** Unanswered keepalives before the connection is dropped (default 3). */
  keepaliveCountMax?: number;
}

export interface UpstreamOptions {
  host: string;
  port: number;
  /** The login on the target (the certificate's principal). */
  username: string;
  /** Private key of the per-session certificate: Node KeyObject or OpenSSH/PEM text. */
  privateKey: KeyObject | string | Buffer;
  /** The per-session OpenSSH certificate (`TYPE BASE64 [comment]` line or raw blob). */
  certificate: string | Buffer;
  /** Decides on the target's host key; no trust on first use. */
  hostKeyVerifier: HostKeyVerifier;
  timeouts?: UpstreamTimeouts;
  /** Identification sent to the target (shows in its logs), default `Breakglass`. */
  ident?: string;
  /** Algorithm preferences (e.g. ciphers); ssh2's defaults otherwise. */
  algorithms?: Algorithms;
  /**
   * Agent the target may reach through forwarding (never used to authenticate: the
   * certificate is the only method). Sessions ask for forwarding with `agentForward`.
   */
  agent?: BaseAgent;
}

/** An ssh2 error as raised by its client (`level` says which phase failed). */
type Ssh2Error = Error & { level?: string; code?: string };

function classify(err: Ssh2Error, target: string, hostVerdict: HostKeyVerdict | undefined): BreakglassError {
  const details = { target };
  if (hostVerdict && !hostVerdict.ok) {
    return new BreakglassError(
      'PROXY_UPSTREAM_HOST_KEY',
      `${target}: ${hostVerdict.reason}; refusing to connect`,
      { details, cause: err },
    );
  }
  if (err.level === 'client-authentication') {
    return new BreakglassError('PROXY_UPSTREAM_AUTH', `${target} refused the per-session certificate`, {
      details,
      cause: err,
    });
  }
  if (err.level === 'client-timeout') {
    return new BreakglassError(
      'PROXY_UPSTREAM_TIMEOUT',
      `${target} did not finish the SSH handshake in time`,
      { details, cause: err },
    );
  }
  const why = err.code ?? err.message;
  return new BreakglassError(
    'PROXY_UPSTREAM_UNREACHABLE',
    `${target} could not be reached over SSH (${why})`,
    { details, cause: err },
  );
}

/**
 * Connects to a target host as `username` with a per-session OpenSSH certificate and
 * resolves with the authenticated ssh2 Client. Rejects with a PROXY_UPSTREAM_* error and
 * leaves nothing open when the host key, the certificate or the network fails.
 */
export function connectUpstream(opts: UpstreamOptions): Promise<Client> {
  installSsh2CertAuthPatch();
  const target = `${opts.username}@${opts.host}:${opts.port}`;
  let key: ReturnType<typeof createCertificateAuthKey>;
  try {
    key = createCertificateAuthKey({ privateKey: opts.privateKey, certificate: opts.certificate });
  } catch (err) {
    return Promise.reject(
      isBreakglassError(err)
        ? err
        : new BreakglassError('PROXY_UPSTREAM_CREDENTIAL', 'upstream credential unusable', { cause: err }),
    );
  }
  const timeouts = opts.timeouts ?? {};
  return new Promise<Client>((resolve, reject) => {
    const client = new Client();
    let hostVerdict: HostKeyVerdict | undefined;
    let settled = false;
    const fail = (err: Ssh2Error) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(classify(err, target, hostVerdict));
    };
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      client.off('error', fail);
      client.off('close', onClose);
      resolve(client);
    });
    client.on('error', fail);
    const onClose = () =>
      fail(Object.assign(new Error('connection closed during the handshake'), { code: 'ECONNRESET' }));
    client.once('close', onClose);
    const publicKeyAuth: PublicKeyAuthMethod = { type: 'publickey', username: opts.username, key };
    client.connect({
      host: opts.host,
      port: opts.port,
      username: opts.username,
      ident: opts.ident ?? 'Breakglass',
      readyTimeout: timeouts.readyMs ?? 10_000,
      keepaliveInterval: timeouts.keepaliveMs ?? 15_000,
      keepaliveCountMax: timeouts.keepaliveCountMax ?? 3,
      hostVerifier: (hostKey: Buffer) => {
        hostVerdict = opts.hostKeyVerifier(hostKey);
        return hostVerdict.ok;
      },
      // Exactly one attempt: the certificate. No password, agent or keyboard fallback.
      authHandler: [publicKeyAuth],
      ...(opts.algorithms ? { algorithms: opts.algorithms } : {}),
      ...(opts.agent ? { agent: opts.agent } : {}),
    });
  });
}
