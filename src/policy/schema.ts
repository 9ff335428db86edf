import { z } from 'zod';
import { duration } from '../config';
import { PERMISSIONS } from './types';

/**
 * The file formats, as zod schemas of the plain values YAML gives. Structure only:
 * patterns, regexes, logins and cross-references are checked when compiling, where
 * the location of each value is known too.
 */

const DAY = 86_400_000;
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const name = () =>
  z.string().regex(NAME_RE, {
    message:
      'not a valid name (accepted: letters, digits, _ . - up to 64 characters, starting with a letter or digit)',
  });
const text = (max: number) => z.string().max(max);
const nonEmptyString = () => z.string().min(1);

/** One pattern or a list of them (`env: prod` or `env: [dev, prod]`). */
const patternList = () =>
  z.preprocess(
    (v) => (typeof v === 'string' ? [v] : v),
    z.array(nonEmptyString()).min(1, { message: 'empty list (accepted: one or more patterns)' }),
  );
const patterns = () =>
  z.array(nonEmptyString()).min(1, { message: 'empty list (accepted: one or more patterns)' });
const instant = () =>
  z.iso
    .datetime({ offset: true, message: 'not a timestamp (accepted: RFC 3339, e.g. 2026-01-31T18:00:00Z)' })
    .transform((s) => Date.parse(s));

export const subjectMatcherSchema = z
  .strictObject({
    groups: patterns().optional().describe('Any of these IdP groups (patterns).'),
    emails: patterns().optional().describe('The email matches any of these patterns (case-insensitive).'),
    claims: z
      .record(z.string().min(1), patternList())
      .optional()
      .describe('Every listed claim matches one of its patterns.'),
  })
  .refine((m) => m.groups !== undefined || m.emails !== undefined || m.claims !== undefined, {
    message: 'empty subject matcher (accepted: at least one of groups, emails, claims)',
  });

export const hostSelectorSchema = z
  .strictObject({
    names: patterns().optional().describe('The host name matches any of these patterns (case-insensitive).'),
    labels: z
      .record(z.string().min(1), patternList())
      .optional()
      .describe('Every listed label matches one of its patterns.'),
  })
  .refine((m) => m.names !== undefined || m.labels !== undefined, {
    message: 'empty host selector (accepted: at least one of names, labels)',
  });

const validity = {
  valid_from: instant().optional().describe('The rule applies from this instant.'),
  valid_until: instant().optional().describe('The rule stops applying at this instant.'),
};

export const roleSchema = z.strictObject({
  name: name(),
  description: text(1000).optional(),
  subjects: z.array(subjectMatcherSchema).min(1, { message: 'no subjects (accepted: a list of matchers)' }),
  hosts: z
    .array(hostSelectorSchema)
    .min(1, { message: 'no host selectors (accepted: a list of selectors)' })
    .optional(),
  logins: z
    .array(nonEmptyString())
    .min(1, { message: 'no logins (accepted: a list of logins or templates)' })
    .optional(),
  max_ttl: duration({ min: 60_000, max: 30 * DAY }).optional(),
  ...validity,
  approval: z
    .strictObject({
      required: z.number().int().min(0).max(10).default(0),
      reviewers: z
        .strictObject({
          roles: z.array(name()).default([]),
          groups: z.array(nonEmptyString()).default([]),
          emails: z.array(nonEmptyString()).default([]),
        })
        .prefault({}),
      reason_required: z.boolean().default(false),
      ticket_pattern: nonEmptyString().optional(),
    })
    .optional(),
  emergency: z
    .strictObject({
      allowed: z.boolean().default(false),
      max_ttl: duration({ min: 60_000, max: 30 * DAY }).optional(),
      notify: z.array(nonEmptyString()).default([]),
      post_review: z.boolean().default(true),
    })
    .optional(),
  mfa: z
    .strictObject({
      required: z.boolean().default(false),
      methods: z.array(nonEmptyString()).min(1).default(['mfa']),
    })
    .optional(),
  ssh: z
    .strictObject({
      pty: z.boolean().default(true),
      exec: z.boolean().default(true),
      sftp: z.boolean().default(false),
      port_forwarding: z.boolean().default(false),
      agent_forwarding: z.boolean().default(false),
      x11_forwarding: z.boolean().default(false),
      force_command: z.string().min(1).max(1024).optional(),
      source_address: z.array(nonEmptyString()).min(1).optional(),
      idle_timeout: duration({ min: 1000, max: DAY }).optional(),
      record_input: z.boolean().default(false),
    })
    .prefault({}),
  can: z
    .array(z.enum(PERMISSIONS, { message: `unknown permission (accepted: ${PERMISSIONS.join(', ')})` }))
    .default([]),
  immutable: z.boolean().default(false),
});

export const denySchema = z.strictObject({
  name: name(),
  description: text(1000).optional(),
  message: text(500).optional(),
  subjects: z.array(subjectMatcherSchema).min(1, { message: 'no subjects (accepted: a list of matchers)' }),
  hosts: z.array(hostSelectorSchema).min(1).optional(),
  logins: z.array(nonEmptyString()).min(1).optional(),
  applies_to: z
    .array(z.enum(['normal', 'emergency']))
    .min(1)
    .default(['normal', 'emergency']),
  ...validity,
});

/** The outer shape of a roles file; each item is validated on its own so one bad role does not hide the others' problems. */
export const rolesFileSchema = z.strictObject({
  roles: z.array(z.unknown()).default([]),
  deny: z.array(z.unknown()).default([]),
});

export const HOST_NAME_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
export const LABEL_KEY_RE = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/;
export const LABEL_VALUE_RE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

export const hostSchema = z.strictObject({
  name: z.string().regex(HOST_NAME_RE, {
    message: 'not a valid host name (accepted: lower-case letters, digits, . and -)',
  }),
  address: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9.:-]+$/, { message: 'not an IP address or DNS name' }),
  port: z.number().int().min(1).max(65535).default(22),
  labels: z
    .record(
      z
        .string()
        .regex(LABEL_KEY_RE, { message: 'not a valid label key (accepted: a-z 0-9 . _ / -, up to 63)' }),
      z.string().regex(LABEL_VALUE_RE, {
        message: 'not a valid label value (accepted: A-Z a-z 0-9 . _ -, up to 63)',
      }),
    )
    .default({}),
  trust: z
    .strictObject({
      host_ca: z.boolean().default(false),
      fingerprints: z
        .array(
          z.string().regex(FINGERPRINT_RE, {
            message: 'not a fingerprint (accepted: SHA256:<43 base64 characters>)',
          }),
        )
        .default([]),
    })
    .refine((t) => t.host_ca || t.fingerprints.length > 0, {
      message: 'no way to trust the host key (accepted: host_ca: true and/or fingerprints: [SHA256:…])',
    }),
  immutable: z.boolean().default(false),
  description: text(1000).optional(),
});

export const hostsFileSchema = z.strictObject({
  label_keys: z.array(z.string().regex(LABEL_KEY_RE)).default([]),
  hosts: z.array(hostSchema).default([]),
});

export type RoleDoc = z.output<typeof roleSchema>;
export type DenyDoc = z.output<typeof denySchema>;
export type HostDoc = z.output<typeof hostSchema>;
export type HostsFileDoc = z.output<typeof hostsFileSchema>;
export type SubjectMatcherDoc = z.output<typeof subjectMatcherSchema>;
export type HostSelectorDoc = z.output<typeof hostSelectorSchema>;
