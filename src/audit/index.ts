export { canonicalize, MAX_DEPTH, type JsonValue } from './canonical';
export {
  HASH_DOMAIN,
  GENESIS_PREV,
  prepareEntry,
  sealEntry,
  entryHash,
  isoTime,
  type AuditEntry,
  type EntryDraft,
  type PreparedEntry,
  type SealedEntry,
} from './entry';
export {
  EVENT_TYPES,
  CHECKPOINT_TYPE,
  validateEvent,
  isEventType,
  type EventType,
  type EventSpec,
  type FieldKind,
} from './events';
export {
  CHECKPOINT_TYP,
  createKeySigner,
  decodeCheckpoint,
  checkpointSignatureProblem,
  parseCheckpointText,
  checkpointOf,
  type AuditSigner,
  type Checkpoint,
  type CheckpointPayload,
  type DecodedCheckpoint,
} from './checkpoint';
export {
  loadOrCreateAuditKey,
  readAuditKey,
  parsePublicKeys,
  publicJwkOf,
  ed25519Thumbprint,
  type AuditKeyPair,
  type AuditPublicJwk,
  type PublicKeys,
} from './keys';
export {
  createAuditLog,
  auditStoreLog,
  SYSTEM_ACTOR,
  type AuditLog,
  type AuditLogDeps,
  type AuditEvent,
} from './log';
export {
  createVerifier,
  type Verifier,
  type VerifyOptions,
  type VerifyResult,
  type VerifyProblem,
  type VerifiedCheckpoint,
  type ProblemKind,
} from './verify';
export { verifyText, verifyLines } from './verify-input';
export {
  QueuedTransport,
  createWinstonForwarder,
  type AuditForwarder,
  type ForwardStats,
  type ForwardRecord,
  type QueuedTransportOptions,
} from './forward';
export { FileTransport, HttpTransport, type HttpTransportOptions } from './transports';
export { SyslogTransport, formatSyslog, type SyslogFormat, type SyslogTransportOptions } from './syslog';
export { createForwarderFromConfig, createFileSigner, openAuditLog } from './open';
export { readAuditLines, tailAuditLog, latestStoredCheckpoint, type TailFilter } from './read';
export { verifyFile, readSmallFile } from './file';
export { defaultThreads as defaultVerifyThreads, verifyFileParallel } from './parallel';
