import { defineCodes } from './types';

/** Error codes of the proxy capability (prefix PROXY_). */
export const PROXY_CODES = defineCodes({
  PROXY_UPSTREAM_CREDENTIAL: {
    status: 500,
    expose: false,
    doc: 'The per-session upstream private key or certificate is unreadable, of an unsupported type (accepted: Ed25519, ECDSA P-256/384/521, RSA), or the certificate does not certify that key; nothing was sent to the host.',
  },
  PROXY_INVALID_HOST_KEY_PIN: {
    status: 400,
    expose: true,
    doc: 'A pinned host key fingerprint is not in OpenSSH form `SHA256:` followed by 43 unpadded base64 characters (as printed by `ssh-keygen -lf`).',
  },
  PROXY_INVALID_HOST_CERTIFICATE: {
    status: 400,
    expose: true,
    doc: 'A host certificate or host CA key given for upstream host-key verification cannot be parsed; the message names which.',
  },
  PROXY_UPSTREAM_HOST_KEY: {
    status: 502,
    expose: true,
    doc: 'The target host presented a host key that is neither pinned in the inventory nor certified by the host CA; the connection was closed before authenticating (no trust on first use).',
  },
  PROXY_UPSTREAM_AUTH: {
    status: 502,
    expose: true,
    doc: 'The target host refused the per-session certificate: check that its sshd trusts the host-access CA (TrustedUserCAKeys), that the login is an allowed principal and that the clocks agree.',
  },
  PROXY_UPSTREAM_UNREACHABLE: {
    status: 502,
    expose: true,
    doc: 'The target host could not be reached or closed the connection during the SSH handshake.',
  },
  PROXY_UPSTREAM_TIMEOUT: {
    status: 504,
    expose: true,
    doc: 'The target host did not complete the SSH handshake and authentication within the configured timeout.',
  },
  PROXY_LISTEN: {
    status: 500,
    expose: false,
    doc: 'The SSH gateway could not listen on `proxy.listen`:`proxy.port` (address in use, or not allowed); `breakglass serve` stops.',
  },
  PROXY_NO_TARGET: {
    status: 400,
    expose: true,
    doc: 'A channel was opened before a target was chosen: connect as `LOGIN@HOST@gateway`, or open an interactive session to get the menu.',
  },
  PROXY_UNKNOWN_HOST: {
    status: 404,
    expose: true,
    doc: 'The granted host is not in the inventory (hosts file or registered hosts), so the gateway does not know its address or how to check its host key.',
  },
  PROXY_SESSION_ENDED: {
    status: 409,
    expose: true,
    doc: 'The gateway connection ended (grant ended or revoked, terminated, idle) while the host connection was being opened.',
  },
  PROXY_SESSION_NOT_FOUND: {
    status: 404,
    expose: true,
    doc: 'No live session with this id runs on any replica (it may have ended).',
  },
  PROXY_TOO_MANY_VIEWERS: {
    status: 429,
    expose: true,
    doc: 'The live session already has `proxy.live.max_viewers` viewers.',
  },
  PROXY_VIEWER_TOO_SLOW: {
    status: 409,
    expose: true,
    doc: 'A live viewer fell more than `proxy.live.buffer_lines` lines behind and was disconnected; reconnect to continue (the recording has everything).',
  },
  PROXY_LIVE_DISABLED: {
    status: 403,
    expose: true,
    doc: 'Watching live sessions is turned off (`proxy.live.max_viewers` is 0).',
  },
  PROXY_RECORDING_NOT_SEALED: {
    status: 404,
    expose: true,
    doc: 'The audit log has neither a seal nor a checkpoint for this recording (no `session.ended` or `session.checkpoint` entry names it), so it cannot be verified.',
  },
});
