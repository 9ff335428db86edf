import { z } from 'zod';
import {
  HOST_NAME_RE,
  ID_RE,
  LABEL_KEY_RE,
  LABEL_VALUE_RE,
  SELECTOR_VALUE_RE,
  TICKET_RE,
  safeText,
} from '../../../access';
import { parseDuration } from '../../../config';
import { SAFE_LOGIN_RE } from '../../../policy';

export { policySubject } from '../../../identity'; // one conversion, the identity module's

export const idParams = z.strictObject({
  id: z.string().regex(ID_RE, { message: 'not a request id' }).describe('Request (and grant) id.'),
});

export const hostNameParams = z.strictObject({
  name: z.string().max(253).regex(HOST_NAME_RE).describe('Registered host name.'),
});

const DURATION_RE = /^(\d{1,9})(s|m|h|d)$/;
export const durationText = z
  .string()
  .regex(DURATION_RE, { message: 'not a duration (accepted: an integer with s, m, h or d, e.g. 30m)' })
  .transform((t) => parseDuration(t)!)
  .refine((ms) => ms > 0, { message: 'must be positive' });

export const labelsSchema = z
  .record(z.string().regex(LABEL_KEY_RE), z.string().regex(LABEL_VALUE_RE))
  .refine((o) => Object.keys(o).length <= 32, { message: 'at most 32 labels' });

export function createRequestBody(maxReason: number) {
  return z
    .strictObject({
      host: z.string().max(253).regex(HOST_NAME_RE).optional().describe('One host of the inventory.'),
      selector: z
        .record(z.string().regex(LABEL_KEY_RE), z.string().regex(SELECTOR_VALUE_RE))
        .refine((o) => Object.keys(o).length >= 1 && Object.keys(o).length <= 16, {
          message: '1 to 16 labels',
        })
        .optional()
        .describe('Label selector (literal, glob or ^regex$ per label); give this or host.'),
      login: z.string().regex(SAFE_LOGIN_RE).describe('Unix account on the target.'),
      ttl: durationText
        .optional()
        .describe('How long (e.g. 30m, 2h); absent: the longest the policy allows.'),
      reason: safeText(maxReason)
        .default('')
        .describe('Why (plain text; control, zero-width and bidi characters are refused).'),
      ticket: z.string().regex(TICKET_RE).optional().describe('Change or incident ticket.'),
      emergency: z
        .boolean()
        .default(false)
        .describe('Break-glass: active at once where policy allows it; reviewed afterwards.'),
    })
    .refine((b) => (b.host === undefined) !== (b.selector === undefined), {
      message: 'give exactly one of host and selector',
    });
}

export function reviewBody(maxReason: number) {
  return z.strictObject({
    verdict: z.enum(['approve', 'deny']),
    comment: safeText(maxReason).default(''),
  });
}

export function signOffBody(maxReason: number) {
  return z.strictObject({
    outcome: z.enum(['acceptable', 'unacceptable']),
    comment: safeText(maxReason).default(''),
  });
}

export function revokeBody(maxReason: number) {
  return z.strictObject({ reason: safeText(maxReason).refine((r) => r.length > 0, { message: 'say why' }) });
}

export const certificateBody = z.strictObject({
  public_key: z
    .string()
    .min(16)
    .max(16_384)
    .regex(/^[\x20-\x7e]+\n?$/, { message: 'not an OpenSSH public key line' })
    .describe('OpenSSH public key line (`ssh-ed25519 AAAA… comment`).'),
});

export const listQuery = z.strictObject({
  scope: z.enum(['mine', 'review', 'all', 'post-review']).default('mine'),
  status: z.enum(['open', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const requestView = z
  .object({
    id: z.string(),
    status: z.enum(['pending', 'active', 'denied', 'cancelled', 'expired', 'revoked']),
    emergency: z.boolean(),
    summary: z.string().describe('Where the request stands and why.'),
    requester: z.object({ sub: z.string(), email: z.string() }),
    hosts: z.array(z.string()),
    login: z.string(),
    reason: z.string(),
    decision: z
      .object({
        effect: z.string(),
        reasons: z.array(z.object({ rule: z.string(), effect: z.string(), message: z.string() })),
      })
      .loose(),
    approvals: z.number(),
    grant: z.object({ id: z.string(), starts_at: z.string(), ends_at: z.string() }).nullable(),
    post_review: z
      .object({ status: z.enum(['open', 'signed_off']) })
      .loose()
      .nullable(),
    history: z.array(z.object({ at: z.string(), event: z.string(), actor: z.string() }).loose()),
  })
  .loose();

export const certificateView = z.object({
  certificate: z.string().describe('OpenSSH certificate line (save as id_ed25519-cert.pub).'),
  serial: z.string(),
  key_id: z.string(),
  principals: z.array(z.string()),
  valid_after: z.string(),
  valid_before: z.string(),
  grant: z.string(),
  extensions: z.array(z.string()),
  critical_options: z.record(z.string(), z.string()),
});

export const joinTokenBody = z.strictObject({
  labels: labelsSchema.describe('Labels the registered host gets (the policy selects hosts by them).'),
  ttl: durationText.optional().describe('Token lifetime (default access.hosts.join_token_ttl).'),
  name: z
    .string()
    .max(253)
    .regex(HOST_NAME_RE)
    .optional()
    .describe('Only this host name may register (and may replace an earlier registration).'),
});

const hostKey = z
  .string()
  .min(16)
  .max(16_384)
  .regex(/^[\x20-\x7e]+\n?$/, { message: 'not an OpenSSH public key line' });

export const registerBody = z.strictObject({
  token: z.string().min(1).max(256),
  name: z.string().max(253).regex(HOST_NAME_RE),
  host_key: hostKey.describe('The host public key line (/etc/ssh/ssh_host_ed25519_key.pub).'),
  address: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9.:-]+$/)
    .optional()
    .describe('Address the gateway connects to (default: the name).'),
  port: z.number().int().min(1).max(65535).optional(),
});

export const renewBody = z.strictObject({
  renew_token: z.string().min(1).max(256),
  host_key: hostKey,
});

export const registrationView = z.object({
  name: z.string(),
  host_certificate: z.string(),
  certificate_serial: z.string(),
  certificate_valid_before: z.string(),
  trusted_user_ca_keys: z.string(),
  krl_url: z.string(),
  renew_token: z.string(),
  registration_expires_at: z.string(),
  labels: z.record(z.string(), z.string()),
});
