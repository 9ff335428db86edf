export {
  CERT_ALGORITHMS,
  CERT_TYPE_CODE,
  FOREVER,
  MAX_PRINCIPALS,
  KNOWN_CRITICAL_OPTIONS,
  KNOWN_EXTENSIONS,
  VENDOR_EXTENSION_NAME_PATTERN,
  VENDOR_EXTENSION_VALUE_PATTERN,
  MAX_VENDOR_EXTENSION_NAME,
  DEFAULT_VENDOR_EXTENSIONS,
  type ExtensionRequest,
  type CertType,
  type CertOption,
  type CertificateFields,
  type Certificate,
  type CriticalOptions,
  type KnownExtension,
} from './model';
export {
  flagOption,
  stringOption,
  sortOptions,
  optionString,
  extensionValue,
  encodeExtensions,
  encodeCriticalOptions,
  decodeCriticalOptions,
} from './options';
export {
  certAlgorithm,
  encodeToBeSigned,
  assembleCertificate,
  parseCertificate,
  parseOwnedCertificate,
  parseCertificateLine,
  formatCertificateLine,
} from './codec';
export { parseCidr, parseCidrList, formatCidr, cidrListContains, parseIp, type Cidr } from './cidr';
export {
  PRINCIPAL_PATTERN,
  KEY_ID_PATTERN,
  NONCE_BYTES,
  DEFAULT_LIMITS,
  validatePrincipals,
  validateKeyId,
  sanitizeKeyId,
  validateSerial,
  validateForceCommand,
  normalizeSourceAddress,
  validateExtensions,
  isVendorExtensionName,
  checkExtensionLimits,
  validateCriticalOptions,
  validateValidity,
  validateCertificateFields,
  validateRequestFields,
  type RequestFields,
  type CertificateLimits,
} from './validate';
export { verifyCertificate, formatTime, type VerifyOptions, type VerifiedCertificate } from './verify';
export { describeCertificate, certificateToJson, printable } from './describe';
export { signCertificate } from './sign';
