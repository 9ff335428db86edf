/**
 * The certificate authority: OpenSSH certificates (user and host), their strict
 * parsing and verification, KRLs, CA key storage and signers. Knows the SSH wire
 * format and nothing about HTTP.
 */
export {
  createAuthority,
  type Authority,
  type AuthorityDeps,
  type UserCertificateRequest,
  type HostCertificateRequest,
  type IssuedCertificate,
} from './authority';
export { initKeystore, openKeystore, type Keystore, type KeystoreOptions } from './keystore';
export {
  createKeyObjectSigner,
  loadFileSigner,
  readPrivateKeyFile,
  type Signer,
  type LoadKeyOptions,
} from './signer';
export { CA_ROLES, CA_KEY_FILES, type CaRole } from './roles';
export { limitsFromConfig, type CaConfigSlice } from './limits';
export {
  parseCertificate,
  parseCertificateLine,
  formatCertificateLine,
  verifyCertificate,
  describeCertificate,
  certificateToJson,
  signCertificate,
  sanitizeKeyId,
  validatePrincipals,
  validateKeyId,
  decodeCriticalOptions,
  extensionValue,
  isVendorExtensionName,
  parseCidrList,
  cidrListContains,
  PRINCIPAL_PATTERN,
  KEY_ID_PATTERN,
  KNOWN_EXTENSIONS,
  KNOWN_CRITICAL_OPTIONS,
  VENDOR_EXTENSION_NAME_PATTERN,
  VENDOR_EXTENSION_VALUE_PATTERN,
  DEFAULT_VENDOR_EXTENSIONS,
  FOREVER,
  DEFAULT_LIMITS,
  type Certificate,
  type CertificateFields,
  type CertificateLimits,
  type CertOption,
  type ExtensionRequest,
  type CertType,
  type CriticalOptions,
  type VerifyOptions,
  type VerifiedCertificate,
} from './cert';
export {
  encodeKrl,
  parseKrl,
  isRevoked,
  describeKrl,
  krlToJson,
  KRL_MAGIC,
  type Krl,
  type KrlInput,
  type SerialRange,
} from './krl';
export {
  parseAuthorizedKey,
  formatAuthorizedKey,
  parsePublicKeyBlob,
  parsePrivateKey,
  encodeOpensshPrivateKey,
  encodePkcs8Pem,
  fingerprint,
  verifySignature,
  publicKeyToKeyObject,
  publicKeyFromKeyObject,
  generateKeyPair,
  checkKeyPolicy,
  CA_KEY_KINDS,
  type PublicKey,
  type KeyType,
  type CaKeyKind,
  type KeyPolicy,
} from './keys';
export { readInputFile, writeFileAtomic } from './files';
