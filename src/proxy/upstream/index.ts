export { connectUpstream, type UpstreamOptions, type UpstreamTimeouts } from './connect';
export {
  anyHostKeyVerifier,
  createHostCertificateVerifier,
  createPinnedHostKeyVerifier,
  sha256Fingerprint,
  type HostCertificateVerifierOptions,
  type HostKeyVerdict,
  type HostKeyVerifier,
} from './host-key';
export {
  assertSsh2Version,
  createCertificateAuthKey,
  installSsh2CertAuthPatch,
  SSH2_PINNED_VERSION,
  type CertificateAuthKeyOptions,
} from './ssh2-cert-auth';
