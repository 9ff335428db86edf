import type { PublicKey } from '../keys';

export type CertType = 'user' | 'host';

export const CERT_TYPE_CODE: Record<CertType, number> = { user: 1, host: 2 };

/** Certificate algorithm names per key type (what appears at the start of the blob and the line). */
export const CERT_ALGORITHMS = {
  'ssh-ed25519': 'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256': 'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384': 'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521': 'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'ssh-rsa': 'ssh-rsa-cert-v01@openssh.com',
} as const;

/** `valid_before` meaning "forever" in OpenSSH. */
export const FOREVER = (1n << 64n) - 1n;

/** Most principals OpenSSH accepts in one certificate. */
export const MAX_PRINCIPALS = 256;

/** Critical options OpenSSH defines for user certificates (none exist for host certificates). */
export const KNOWN_CRITICAL_OPTIONS = ['force-command', 'source-address', 'verify-required'] as const;

/** Extensions OpenSSH defines for user certificates; the allow-list is a subset of these. */
export const KNOWN_EXTENSIONS = [
  'no-touch-required',
  'permit-X11-forwarding',
  'permit-agent-forwarding',
  'permit-port-forwarding',
  'permit-pty',
  'permit-user-rc',
] as const;

export type KnownExtension = (typeof KNOWN_EXTENSIONS)[number];

/**
 * A vendor extension name, `name@domain` (PROTOCOL.certkeys: vendor extensions carry
 * the implementer's domain): a lowercase local part of 1–64 letters, digits and
 * `. _ -` (starting with a letter or digit), `@`, and a lowercase domain of dot-separated
 * labels. No `=`, spaces, commas or upper case, so one name can never look like another.
 */
export const VENDOR_EXTENSION_NAME_PATTERN =
  /^[a-z0-9][a-z0-9._-]{0,63}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Longest vendor extension name. */
export const MAX_VENDOR_EXTENSION_NAME = 128;

/**
 * The value of a vendor extension we issue: 1–256 characters of letters, digits and
 * `. _ @ : + = / -` (no whitespace, commas, quotes, backslashes or control characters),
 * so it prints and logs safely and never needs quoting.
 */
export const VENDOR_EXTENSION_VALUE_PATTERN = /^[A-Za-z0-9._@:+=/-]{1,256}$/;

/** Vendor extensions (with a value) allowed by default: the grant a certificate belongs to. */
export const DEFAULT_VENDOR_EXTENSIONS = ['grant-id@breakglass'] as const;

/**
 * An extension to put in a certificate: the name of a flag extension (empty data,
 * e.g. `permit-pty`), or a vendor extension `{ name: 'name@domain', value }` whose data
 * is the value as an SSH string (wrapped twice on the wire, like critical options).
 */
export type ExtensionRequest = string | { readonly name: string; readonly value: string };

/**
 * One critical option or extension. `data` is the raw data field: empty for flags,
 * otherwise an SSH string wrapping the value (so the value is wrapped twice on the
 * wire: once here, once by the tuple).
 */
export interface CertOption {
  readonly name: string;
  readonly data: Buffer;
}

/** What the CA decides; encoded in this order after the key fields. */
export interface CertificateFields {
  readonly certType: CertType;
  /** The certified key. */
  readonly key: PublicKey;
  readonly nonce: Buffer;
  readonly serial: bigint;
  readonly keyId: string;
  readonly principals: readonly string[];
  /** Seconds since the epoch. */
  readonly validAfter: bigint;
  /** Seconds since the epoch; FOREVER for no end. */
  readonly validBefore: bigint;
  /** Sorted by name (byte order), unique. */
  readonly criticalOptions: readonly CertOption[];
  /** Sorted by name (byte order), unique. */
  readonly extensions: readonly CertOption[];
  /** Ignored by OpenSSH; empty when we sign. */
  readonly reserved?: Buffer;
}

/** A parsed, signed certificate. */
export interface Certificate extends CertificateFields {
  /** The certificate algorithm, e.g. `ssh-ed25519-cert-v01@openssh.com`. */
  readonly type: string;
  readonly reserved: Buffer;
  /** The CA key that signed it. */
  readonly signatureKey: PublicKey;
  /** The SSH signature blob (`string algorithm ‖ string signature`). */
  readonly signature: Buffer;
  readonly signatureAlgorithm: string;
  /** Bytes the signature covers (everything before the signature field). */
  readonly signedData: Buffer;
  /** The whole certificate blob. */
  readonly blob: Buffer;
}

/** Critical options in typed form. */
export interface CriticalOptions {
  readonly forceCommand?: string;
  readonly sourceAddress?: readonly string[];
  readonly verifyRequired?: boolean;
}
