import { defineCodes } from './types';

/** Error codes of the policy capability (prefix POLICY_). */
export const POLICY_CODES = defineCodes({
  POLICY_INVALID: {
    status: 422,
    expose: true,
    doc: 'The policy set was refused; every problem is listed as `file:line:column: message`. The last good policy stays active.',
  },
  POLICY_DIR_UNREADABLE: {
    status: 422,
    expose: true,
    doc: 'The policy directory or one of its files cannot be read; check the path (`policy.dir`) and permissions.',
  },
  POLICY_TOO_MANY_FILES: {
    status: 422,
    expose: true,
    doc: 'The policy directory holds more `*.yaml` files than `policy.limits.max_files` allows.',
  },
  POLICY_FILE_TOO_LARGE: {
    status: 422,
    expose: true,
    doc: 'A policy file is larger than `policy.limits.max_file_bytes`; it was refused unread.',
  },
  POLICY_NOT_UTF8: {
    status: 422,
    expose: true,
    doc: 'A policy file is not valid UTF-8 text; save it as UTF-8.',
  },
  POLICY_YAML_SYNTAX: {
    status: 422,
    expose: true,
    doc: 'A policy file is not valid YAML (or has a duplicate key); the location is given.',
  },
  POLICY_TOO_DEEP: {
    status: 422,
    expose: true,
    doc: 'A policy file nests collections deeper than `policy.limits.max_depth`; policies never need that.',
  },
  POLICY_ALIAS_REFUSED: {
    status: 422,
    expose: true,
    doc: 'A policy file uses YAML anchors, aliases or tags, which are refused (no alias bombs); write the values out.',
  },
  POLICY_SCHEMA: {
    status: 422,
    expose: true,
    doc: 'A policy field is unknown, missing or of the wrong type; the message lists what is accepted (see docs/policy.md).',
  },
  POLICY_BAD_PATTERN: {
    status: 422,
    expose: true,
    doc: 'A pattern is malformed: a regex must be `^…$`, within the length limit, and valid JavaScript syntax.',
  },
  POLICY_UNSAFE_REGEX: {
    status: 422,
    expose: true,
    doc: 'A regex could take exponential time (nested quantifiers like `(a+)+`, backreferences) and was refused; rewrite it.',
  },
  POLICY_DUPLICATE_NAME: {
    status: 422,
    expose: true,
    doc: 'Two roles, deny rules or hosts share a name; names are unique across all files.',
  },
  POLICY_UNKNOWN_REFERENCE: {
    status: 422,
    expose: true,
    doc: 'A policy names a label key or a role that does not exist; the message lists the known ones.',
  },
  POLICY_UNSAFE_LOGIN: {
    status: 422,
    expose: true,
    doc: 'A login (literal or template) is not a safe Unix account name `^[a-z_][a-z0-9_.-]{0,31}$`.',
  },
  POLICY_NOT_LOADED: {
    status: 503,
    expose: true,
    doc: 'No valid policy has been loaded yet, so every request is denied.',
  },
  POLICY_BAD_REQUEST: {
    status: 400,
    expose: true,
    doc: 'An access request given to the policy is malformed (e.g. both host and selector); the message says what is accepted.',
  },
  POLICY_CASES_INVALID: {
    status: 400,
    expose: true,
    doc: 'A policy test-case file is malformed; the message is located as `file:line:column` and lists what is accepted.',
  },
});
