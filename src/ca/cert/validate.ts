import { caError } from '../errors';
import { hasControlChars } from '../text';
import { checkKeyPolicy, DEFAULT_KEY_POLICY, type KeyPolicy } from '../keys';
import { formatCidr, parseCidrList } from './cidr';
import {
  DEFAULT_VENDOR_EXTENSIONS,
  FOREVER,
  KNOWN_CRITICAL_OPTIONS,
  KNOWN_EXTENSIONS,
  MAX_PRINCIPALS,
  MAX_VENDOR_EXTENSION_NAME,
  VENDOR_EXTENSION_NAME_PATTERN,
  VENDOR_EXTENSION_VALUE_PATTERN,
  type CertificateFields,
  type CertOption,
} from './model';
import { decodeCriticalOptions, optionString } from './options';

/**
 * Safe principal: 1–256 characters; letters, digits and `_` first, then letters,
 * digits and `. _ @ : + -`. This excludes commas (list separators in
 * authorized_keys `principals=` and sshd patterns), whitespace, control characters,
 * quotes, the pattern characters `* ? ! [ ]`, `%` tokens, and a leading `-`
 * (option injection into commands).
 */
export const PRINCIPAL_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._@:+-]{0,255}$/;

/** Key id: 1–256 printable ASCII characters without `"` and `\`, not starting or ending with a space. */
export const KEY_ID_PATTERN = /^(?! )[\x20\x21\x23-\x5b\x5d-\x7e]{1,256}(?<! )$/;

export const MAX_FORCE_COMMAND = 4096;
export const NONCE_BYTES = 32;

export interface CertificateLimits {
  /** Longest lifetime of a user certificate (ms). */
  readonly maxUserTtlMs: number;
  /** Longest lifetime of a host certificate (ms). */
  readonly maxHostTtlMs: number;
  /** How far `valid_after` is backdated (ms). */
  readonly clockSkewMs: number;
  /** Flag extensions a user certificate may carry (a subset of OpenSSH's six). */
  readonly allowedExtensions: readonly string[];
  /** Vendor extensions (`name@domain`, always with a value) a user certificate may carry. */
  readonly allowedVendorExtensions: readonly string[];
  readonly keyPolicy: KeyPolicy;
}

export const DEFAULT_LIMITS: CertificateLimits = {
  maxUserTtlMs: 12 * 3_600_000,
  maxHostTtlMs: 90 * 86_400_000,
  clockSkewMs: 60_000,
  allowedExtensions: KNOWN_EXTENSIONS,
  allowedVendorExtensions: DEFAULT_VENDOR_EXTENSIONS,
  keyPolicy: DEFAULT_KEY_POLICY,
};

/** Whether `name` is a well-formed vendor extension name (`name@domain`, see the pattern). */
export function isVendorExtensionName(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length <= MAX_VENDOR_EXTENSION_NAME &&
    VENDOR_EXTENSION_NAME_PATTERN.test(name)
  );
}

/**
 * Throws TypeError (a configuration bug, found at start-up) unless the flag allow-list
 * holds only OpenSSH's extensions and the vendor allow-list only well-formed
 * `name@domain` names: nothing else can ever enter a certificate's extensions.
 */
export function checkExtensionLimits(
  limits: Pick<CertificateLimits, 'allowedExtensions' | 'allowedVendorExtensions'>,
): void {
  for (const name of limits.allowedExtensions) {
    if (!(KNOWN_EXTENSIONS as readonly string[]).includes(name))
      throw new TypeError(
        `CA allowed extension ${show(String(name))} is not an OpenSSH extension (accepted: ${KNOWN_EXTENSIONS.join(', ')}; vendor extensions with a value go in the vendor allow-list)`,
      );
  }
  for (const name of limits.allowedVendorExtensions) {
    if (!isVendorExtensionName(name))
      throw new TypeError(
        `CA allowed vendor extension ${show(String(name))} is not of the form name@domain (lowercase letters, digits and . _ -; at most ${MAX_VENDOR_EXTENSION_NAME} characters)`,
      );
  }
}

function show(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

/** Throws CA_INVALID_PRINCIPAL unless the list is non-empty, at most 256, unique and every entry safe. */
export function validatePrincipals(principals: readonly string[]): void {
  if (!Array.isArray(principals) || principals.length === 0) {
    throw caError(
      'CA_INVALID_PRINCIPAL',
      'no principals: a certificate must name at least one login or host name (an empty list would mean "any")',
    );
  }
  if (principals.length > MAX_PRINCIPALS) {
    throw caError(
      'CA_INVALID_PRINCIPAL',
      `${principals.length} principals, accepted: at most ${MAX_PRINCIPALS}`,
      { count: principals.length },
    );
  }
  const seen = new Set<string>();
  for (const p of principals) {
    if (typeof p !== 'string' || !PRINCIPAL_PATTERN.test(p)) {
      throw caError(
        'CA_INVALID_PRINCIPAL',
        `principal ${show(String(p))} is not allowed (accepted: 1-256 characters of letters, digits and . _ @ : + -, starting with a letter, digit or _; no commas, whitespace, control characters or wildcards)`,
        { principal: String(p).slice(0, 64) },
      );
    }
    if (seen.has(p))
      throw caError('CA_INVALID_PRINCIPAL', `principal ${show(p)} is listed twice`, { principal: p });
    seen.add(p);
  }
}

/** Throws CA_INVALID_KEY_ID unless the key id matches KEY_ID_PATTERN. */
export function validateKeyId(keyId: string): void {
  if (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId)) {
    throw caError(
      'CA_INVALID_KEY_ID',
      `key id ${show(String(keyId))} is not allowed (accepted: 1-256 printable ASCII characters without quotes or backslashes, no leading or trailing space)`,
    );
  }
}

/**
 * Makes a key id fragment out of arbitrary text (e.g. a display name): characters
 * outside the key id alphabet become `_`, the result is trimmed and cut to `max`.
 */
export function sanitizeKeyId(text: string, max = 256): string {
  const cleaned = [...text].map((c) => (/^[\x20\x21\x23-\x5b\x5d-\x7e]$/.test(c) ? c : '_')).join('');
  const trimmed = cleaned.trim().slice(0, max).trim();
  return trimmed.length > 0 ? trimmed : '_';
}

/** Throws CA_INVALID_SERIAL unless 1 <= serial <= 2^64-1. */
export function validateSerial(serial: bigint): bigint {
  if (typeof serial !== 'bigint' || serial < 1n || serial > FOREVER) {
    throw caError(
      'CA_INVALID_SERIAL',
      `serial ${String(serial)} is out of range (accepted: 1 to 2^64-1; 0 means "no serial" and is never issued)`,
    );
  }
  return serial;
}

/** Throws CA_INVALID_OPTION unless the force-command is 1–4096 characters without control characters. */
export function validateForceCommand(command: string): void {
  if (
    typeof command !== 'string' ||
    command.length === 0 ||
    command.length > MAX_FORCE_COMMAND ||
    hasControlChars(command)
  ) {
    throw caError(
      'CA_INVALID_OPTION',
      `force-command must be 1-${MAX_FORCE_COMMAND} characters without control characters (newlines, tabs, escapes)`,
    );
  }
}

/** Parses and canonicalises a source-address list; throws CA_INVALID_SOURCE_ADDRESS. */
export function normalizeSourceAddress(list: string | readonly string[]): string[] {
  return parseCidrList(list).map(formatCidr);
}

/**
 * Checks user certificate extensions against the allow-lists: a flag (empty data) must
 * be on `allowedExtensions`; an extension with data must be on `allowedVendorExtensions`
 * and its data exactly one SSH string whose value matches VENDOR_EXTENSION_VALUE_PATTERN.
 * Throws CA_EXTENSION_NOT_ALLOWED for names on neither list (and any extension on a host
 * certificate), CA_INVALID_OPTION for a flag with data, a vendor extension without a
 * value, or a value that is malformed or outside the charset.
 */
export function validateExtensions(
  certType: 'user' | 'host',
  extensions: readonly CertOption[],
  limits: Pick<CertificateLimits, 'allowedExtensions' | 'allowedVendorExtensions'>,
): void {
  if (certType === 'host' && extensions.length > 0) {
    throw caError('CA_EXTENSION_NOT_ALLOWED', 'host certificates carry no extensions (OpenSSH defines none)');
  }
  const flags = limits.allowedExtensions;
  const vendor = limits.allowedVendorExtensions;
  for (const e of extensions) {
    const isFlag = flags.includes(e.name);
    const isVendor = vendor.includes(e.name);
    if (!isFlag && !isVendor) {
      const accepted = [...flags, ...vendor.map((v) => `${v}=VALUE`)].join(', ') || 'none';
      throw caError(
        'CA_EXTENSION_NOT_ALLOWED',
        `extension ${show(e.name)} is not allowed (accepted: ${accepted})`,
        { extension: e.name.slice(0, 64) },
      );
    }
    if (isFlag) {
      if (e.data.length !== 0)
        throw caError('CA_INVALID_OPTION', `extension ${show(e.name)} is a flag and carries no value`);
      continue;
    }
    if (e.data.length === 0)
      throw caError('CA_INVALID_OPTION', `extension ${show(e.name)} needs a value (${e.name}=VALUE)`);
    let value: string;
    try {
      value = optionString(e);
    } catch {
      throw caError('CA_INVALID_OPTION', `extension ${show(e.name)}: the data is not exactly one string`);
    }
    if (!VENDOR_EXTENSION_VALUE_PATTERN.test(value)) {
      throw caError(
        'CA_INVALID_OPTION',
        `extension ${show(e.name)} value ${show(value)} is not allowed (accepted: 1-256 characters of letters, digits and . _ @ : + = / -)`,
        { extension: e.name.slice(0, 64) },
      );
    }
  }
}

/** Throws CA_INVALID_OPTION for unknown critical options or options on host certificates; checks values. */
export function validateCriticalOptions(certType: 'user' | 'host', options: readonly CertOption[]): void {
  if (certType === 'host' && options.length > 0) {
    throw caError('CA_INVALID_OPTION', 'host certificates carry no critical options (OpenSSH defines none)');
  }
  const decoded = decodeCriticalOptions(options);
  if (decoded.unknown.length > 0) {
    throw caError(
      'CA_INVALID_OPTION',
      `critical option ${show(decoded.unknown[0]!)} is unknown (accepted: ${KNOWN_CRITICAL_OPTIONS.join(', ')})`,
    );
  }
  if (decoded.forceCommand !== undefined) validateForceCommand(decoded.forceCommand);
  if (decoded.sourceAddress !== undefined) {
    const canonical = normalizeSourceAddress(decoded.sourceAddress);
    if (canonical.join(',') !== decoded.sourceAddress.join(',')) {
      throw caError(
        'CA_INVALID_SOURCE_ADDRESS',
        `source-address must be in canonical form (${canonical.join(',')})`,
      );
    }
  }
}

/** Throws unless names are strictly increasing in byte order (sorted, unique). */
export function checkSorted(options: readonly CertOption[], what: string): void {
  for (let i = 1; i < options.length; i++) {
    if (Buffer.compare(Buffer.from(options[i - 1]!.name), Buffer.from(options[i]!.name)) >= 0) {
      throw caError('CA_INVALID_OPTION', `${what}s must be sorted by name in byte order and unique`);
    }
  }
}

/**
 * Checks a validity window against `nowMs`: starts no later than now and no earlier
 * than the skew allows, ends in the future within the maximum TTL for the type.
 */
export function validateValidity(
  fields: Pick<CertificateFields, 'certType' | 'validAfter' | 'validBefore'>,
  nowMs: number,
  limits: CertificateLimits,
): void {
  const maxTtl = fields.certType === 'user' ? limits.maxUserTtlMs : limits.maxHostTtlMs;
  const nowS = BigInt(Math.floor(nowMs / 1000));
  if (fields.validBefore <= nowS)
    throw caError('CA_INVALID_VALIDITY', 'the certificate would end in the past (accepted: a positive TTL)');
  if (fields.validBefore === FOREVER || Number(fields.validBefore) * 1000 - nowMs > maxTtl) {
    throw caError(
      'CA_INVALID_VALIDITY',
      `the ${fields.certType} certificate lifetime exceeds the maximum TTL of ${maxTtl / 1000} s`,
      { maxTtlSeconds: maxTtl / 1000 },
    );
  }
  if (fields.validAfter > nowS)
    throw caError('CA_INVALID_VALIDITY', 'the certificate would start in the future');
  if (nowMs - Number(fields.validAfter) * 1000 > limits.clockSkewMs + 1000) {
    throw caError(
      'CA_INVALID_VALIDITY',
      `valid_after is backdated by more than the configured skew (${limits.clockSkewMs / 1000} s)`,
    );
  }
}

/**
 * The request-level checks: key policy, principals, key id, extensions and validity.
 * `keyId` is absent when the key id is made from the serial (checked once it exists).
 */
export type RequestFields = Pick<
  CertificateFields,
  'certType' | 'key' | 'principals' | 'validAfter' | 'validBefore' | 'extensions'
> & { readonly keyId?: string };

/**
 * What the authority checks before it spends a serial: key policy, principals,
 * key id (when already known), extensions and validity. Critical options are built
 * from typed values that were validated on the way in (force-command, canonical
 * source-address).
 */
export function validateRequestFields(fields: RequestFields, nowMs: number, limits: CertificateLimits): void {
  checkKeyPolicy(fields.key, limits.keyPolicy);
  validatePrincipals(fields.principals);
  if (fields.keyId !== undefined) validateKeyId(fields.keyId);
  checkSorted(fields.extensions, 'extension');
  validateExtensions(fields.certType, fields.extensions, limits);
  validateValidity(fields, nowMs, limits);
}

/**
 * Every check of a complete certificate (what the authority applies again to what
 * it produced): the request checks plus serial, nonce and the critical options
 * decoded from their wire form (known names, sorted, values valid and canonical).
 */
export function validateCertificateFields(
  fields: CertificateFields,
  nowMs: number,
  limits: CertificateLimits,
): void {
  validateRequestFields(fields, nowMs, limits);
  validateSerial(fields.serial);
  if (fields.nonce.length !== NONCE_BYTES) throw new TypeError(`nonce must be ${NONCE_BYTES} bytes`);
  checkSorted(fields.criticalOptions, 'critical option');
  validateCriticalOptions(fields.certType, fields.criticalOptions);
}
