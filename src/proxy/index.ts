/**
 * Public surface of the SSH proxy: the gateway (certificate logins, grants, recorded
 * sessions, session control and live viewing) and its upstream (gateway → host) client.
 */
export * from './upstream';
export {
  startGateway,
  recordingsDir,
  type Gateway,
  type GatewayDeps,
  type GatewaySessions,
} from './gateway/start';
export {
  loadOrCreateGatewayHostKey,
  knownHostsLine,
  type GatewayHostKey,
  type GatewayHostKeyOptions,
} from './gateway/host-key-file';
export { verifyClientCertificate, type ClientAuthResult, type PublicKeyAttempt } from './gateway/client-auth';
export {
  upstreamKeyId,
  upstreamExtensions,
  createUpstreamIssuer,
  type UpstreamIssuer,
} from './gateway/upstream-cert';
export {
  grantProblem,
  selectCandidates,
  type Candidate,
  type EndedSession,
  type GatewayGrant,
  type GrantDirectory,
  type SessionHooks,
  type Selection,
  type Unsubscribe,
  type UpstreamCertificateIssued,
} from './grants';
export { createInventoryHostDirectory, type HostDirectory, type TargetHost } from './hosts';
export { parseTarget, formatTarget, type TargetRequest } from './target';
export {
  createSessionRegistry,
  connectionIdOf,
  KILL_CHANNEL,
  SESSIONS_NS,
  type LiveChannel,
  type LiveSessionRecord,
  type SessionRegistry,
} from './sessions/registry';
export { createLiveHub, WATCH_CHANNEL, type LiveHub, type WatchOptions } from './sessions/live';
export { SftpObserver, type SftpOperation } from './sftp/observer';
export {
  createAccessGrantDirectory,
  createAccessSessionHooks,
  accessRegisteredFingerprints,
  createKrlCheck,
  grantFromRecord,
  type KrlCheck,
} from './access-adapter';
export { SealCollector, type AuditSeal, type AuditEntryLike } from './seal';
export { startNodeGateway, type NodeGatewayDeps } from './with-access';
