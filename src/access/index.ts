/**
 * Just-in-time access: requests, N-of-M reviews, emergency access, grants and their
 * certificates, revocation (KRL), host registration, drift and notifications.
 * See docs/access.md and docs/hosts.md.
 */
export {
  createAccess,
  GRANT_REVOKED_CHANNEL,
  GRANT_ENDED_CHANNEL,
  type Access,
  type AccessDeps,
  type CreateRequestInput,
  type ListScope,
} from './service';
export { transition, nextDeadline } from './machine';
export { approvalsOf, samePerson, actorOf, SYSTEM_ACCESS, SYSTEM_POLICY } from './transition';
export type { AccessEvent, AuditDraft, NotificationDraft, NotificationEvent, Transition } from './transition';
export type {
  AccessRecord,
  RequestStatus,
  Person,
  Requester,
  Review,
  StoredDecision,
  PostReview,
  IssuedRecord,
} from './types';
export { FINAL_STATUSES } from './types';
export { toView, explain, type RequestView } from './view';
export {
  createNotifier,
  renderPayload,
  signPayload,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  EVENT_HEADER,
  DELIVERY_HEADER,
  type Notifier,
} from './notify';
export {
  createKrlPublisher,
  certKey,
  KRL_CHANNEL,
  KRL_VERSION_COUNTER,
  type KrlPublisher,
  type KrlSnapshot,
} from './krl';
export {
  GRANT_ID_EXTENSION,
  grantIdExtension,
  grantIdFromExtensions,
  checkGrantUsable,
  SERIAL_COUNTER,
  type GrantCertificate,
  type CertificateIssuer,
} from './certificates';
export {
  HOSTS_CHANNEL,
  TOKEN_EVENT,
  type HostRegistry,
  type JoinToken,
  type Registration,
  type RegisteredHost,
} from './hosts';
export { type SessionEnd, type Taint, type Drift } from './drift';
export { createRepository, NS as ACCESS_NAMESPACES, type Repository, type AuditAppender } from './repository';
export {
  safeText,
  unsafeTextProblem,
  UNSAFE_TEXT_RE,
  LABEL_KEY_RE,
  LABEL_VALUE_RE,
  SELECTOR_VALUE_RE,
  HOST_NAME_RE,
  TICKET_RE,
  ID_RE,
} from './text';
export { newRequestId } from './ids';
