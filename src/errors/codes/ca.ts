import { defineCodes } from './types';

/** Error codes of the ca capability (prefix CA_). */
export const CA_CODES = defineCodes({
  CA_MALFORMED: {
    status: 400,
    expose: true,
    doc: 'SSH wire data (a key, certificate, signature or KRL) is truncated, has a length past its end, trailing bytes or a field out of range; the message names the field.',
  },
  CA_KEY_REFUSED: {
    status: 400,
    expose: true,
    doc: 'The key type or size is refused by the key policy (DSA, unknown types, RSA below the configured minimum); the message lists the accepted types.',
  },
  CA_INVALID_PRINCIPAL: {
    status: 400,
    expose: true,
    doc: 'A certificate principal is missing, duplicated, too many (> 256) or outside the safe pattern described in docs/ca.md (no commas, whitespace, control characters or wildcards).',
  },
  CA_INVALID_KEY_ID: {
    status: 400,
    expose: true,
    doc: 'The certificate key id is empty, longer than 256 characters or contains characters outside printable ASCII without quotes and backslashes.',
  },
  CA_INVALID_VALIDITY: {
    status: 400,
    expose: true,
    doc: 'The requested lifetime is not positive, ends in the past or exceeds the configured maximum TTL.',
  },
  CA_INVALID_OPTION: {
    status: 400,
    expose: true,
    doc: 'A critical option is unknown, malformed, duplicated or out of byte order, or not allowed for this certificate type (force-command, source-address and verify-required are accepted for user certificates); or an extension is duplicated, a flag extension carries a value, or a vendor extension has no value or one outside 1-256 characters of letters, digits and . _ @ : + = / -.',
  },
  CA_INVALID_SOURCE_ADDRESS: {
    status: 400,
    expose: true,
    doc: 'A source-address entry is not an IPv4/IPv6 address or CIDR with zero host bits.',
  },
  CA_EXTENSION_NOT_ALLOWED: {
    status: 400,
    expose: true,
    doc: 'A certificate extension is not on the configured allow-lists (ca.allowed_extensions for flags such as permit-pty, ca.allowed_vendor_extensions for name@domain extensions with a value), or extensions were requested for a host certificate.',
  },
  CA_INVALID_SERIAL: {
    status: 400,
    expose: true,
    doc: 'A certificate serial is zero, negative or above 2^64-1; serials are unique non-zero 64-bit integers.',
  },
  CA_SIGNATURE_INVALID: {
    status: 403,
    expose: true,
    doc: 'A signature does not verify, uses a refused algorithm (ssh-rsa SHA-1) or does not match the key type.',
  },
  CA_UNTRUSTED_CA: {
    status: 403,
    expose: true,
    doc: 'The certificate is signed by a CA key that is not trusted for this use, or the CA key is itself a certificate.',
  },
  CA_CERT_REJECTED: {
    status: 403,
    expose: true,
    doc: 'The certificate is not valid for this use: wrong type (user/host), outside its validity window, principal not listed, unknown critical option, source address not permitted, or revoked.',
  },
  CA_PASSPHRASE: {
    status: 400,
    expose: true,
    doc: 'The private key is encrypted and no passphrase, or a wrong one, was given (set BREAKGLASS_CA_PASSPHRASE for the CLI).',
  },
  CA_FILE_UNREADABLE: {
    status: 400,
    expose: true,
    doc: 'A key, certificate or KRL file given to the CA cannot be read or is not in a recognised format.',
  },
  CA_KEY_FILE_MODE: {
    status: 500,
    expose: true,
    doc: 'A CA private key file is readable or writable by group or others; run `chmod 600 FILE` (or set ca.allow_loose_key_modes for a throwaway setup).',
  },
  CA_KEY_EXISTS: {
    status: 409,
    expose: true,
    doc: 'A CA key file already exists; `ca init` never overwrites keys. Move the old keys away first if you really mean to replace them.',
  },
  CA_KEY_MISSING: {
    status: 500,
    expose: true,
    doc: 'A CA key file is absent and generating keys on first use is disabled.',
  },
  CA_SIGNER_FAILED: {
    status: 500,
    expose: false,
    doc: 'A signer failed or produced a certificate that did not re-validate; nothing was issued. Details are in the server log.',
  },
});
