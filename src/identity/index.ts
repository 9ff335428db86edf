export {
  createIdentity,
  oidcSettings,
  claimMapping,
  type Identity,
  type IdentityDeps,
  type IdentityConfig,
  type OidcClientSettings,
} from './identity';
export {
  claimsToSubject,
  policySubject,
  readClaim,
  subjectLabel,
  DEFAULT_CLAIM_MAPPING,
  type Subject,
  type ClaimMapping,
} from './subject';
export { safeReturnPath } from './return-url';
export { requireSubject, createAuthenticator, type Auth, type Authenticator } from './authenticate';
export {
  API_AUDIENCE,
  DEFAULT_VERIFY_CACHE,
  createApiTokens,
  type ApiTokens,
  type ApiTokensDeps,
  type IssuedToken,
  type TokenAuth,
} from './tokens';
export {
  createVerifiedTokenCache,
  type VerifiedClaims,
  type VerifiedTokenCache,
  type VerifiedTokenCacheOptions,
} from './token-cache';
export {
  createLoginSessions,
  LOGIN_SESSIONS_NS,
  type LoginSession,
  type LoginSessions,
} from './login-sessions';
export {
  createKeyRing,
  loadOrCreateSigningKey,
  TOKEN_KEYS_NS,
  type KeyRing,
  type SigningKey,
} from './token-keys';
export {
  createDiscovery,
  parseDiscovery,
  discoveryUrl,
  type Discovery,
  type OidcMetadata,
} from './discovery';
export { createIdpClient, ASYMMETRIC_ALGORITHMS, type IdpClient, type ClientCredentials } from './idp';
export { createDeviceFlow, type DeviceFlow, type DeviceStart } from './device-flow';
export { createOidcLogin, type OidcLogin } from './oidc-login';
export { regenerateSession, saveSession, destroySession, type SessionLogin } from './session-data';
export { httpRequest, jsonObject, HttpFailure, type HttpResponse, type HttpRequestOptions } from './http';
export { ANONYMOUS, userActor, type AuditSink, type IdentityAuditEvent } from './audit-sink';
export { joseToCoded } from './token-errors';
export { DEMO_USERS, findDemoUser, amrFor, type DemoUser } from './dev-idp/users';
export { startDevIdp, type DevIdpOptions, type RunningDevIdp } from './dev-idp/server';
export { spawnDevIdp, devIdpDefaults, type DevIdpProcess } from './dev-idp/spawn';
export { createApiClient, normalizeServer, type ApiClient } from './cli/client';
export {
  credentialsPath,
  readCredentials,
  writeCredentials,
  deleteCredentials,
  type Credentials,
} from './cli/credentials';
