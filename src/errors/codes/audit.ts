import { defineCodes } from './types';

/** Error codes of the audit capability (prefix AUDIT_). */
export const AUDIT_CODES = defineCodes({
  AUDIT_INVALID_EVENT: {
    status: 400,
    expose: true,
    doc: 'An audit event has an unknown type, a missing or malformed required field, or a bad actor/target; nothing was appended (the event table is in docs/audit.md).',
  },
  AUDIT_NOT_JSON: {
    status: 400,
    expose: true,
    doc: 'An audit event holds a value without a canonical JSON form (undefined in a list, a function, a bigint, NaN, Infinity, a lone surrogate, a non-plain object, a cycle or nesting deeper than 32); nothing was appended.',
  },
  AUDIT_UNAVAILABLE: {
    status: 503,
    expose: true,
    doc: 'The audit entry could not be made durable (the store failed or timed out); the operation that asked for it was not performed (fail closed).',
  },
  AUDIT_CLOSED: {
    status: 503,
    expose: true,
    doc: 'The audit log was closed (shutdown in progress); no entry was appended.',
  },
  AUDIT_KEY: {
    status: 500,
    expose: true,
    doc: 'The audit signing key file is unreadable, not an Ed25519 private key, or readable by group/others (needs mode 0600); fix or remove it (a new key is generated when none exists).',
  },
  AUDIT_PUBKEY_INVALID: {
    status: 400,
    expose: true,
    doc: 'The public key given to `audit verify --pubkey` is not an Ed25519 JWK, JWK set or PEM public key.',
  },
  AUDIT_CHECKPOINT_INVALID: {
    status: 400,
    expose: true,
    doc: 'The checkpoint given to `audit verify --checkpoint` is not a compact JWS or a checkpoint JSON file written by `audit checkpoint`/`exportCheckpoint()`.',
  },
  AUDIT_FILE_UNREADABLE: {
    status: 400,
    expose: true,
    doc: 'An audit log, key or checkpoint file named on the command line cannot be read.',
  },
});
