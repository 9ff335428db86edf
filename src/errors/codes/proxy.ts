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
});
