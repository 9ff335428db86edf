import { z } from 'zod';
import { duration, secret } from '../types';

/** Events a webhook can subscribe to. */
export const NOTIFICATION_EVENTS = [
  'request.created',
  'request.reviewed',
  'emergency.activated',
  'grant.revoked',
  'host.tainted',
] as const;

const webhook = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
      .describe(
        'Target name, as policies name it in `emergency.notify` (lowercase letters, digits, _ and -).',
      ),
    url: z.url({ protocol: /^https?$/ }).describe('Where the JSON payload is POSTed.'),
    secret: secret()
      .min(16)
      .optional()
      .describe(
        'HMAC-SHA256 key: each delivery carries `X-Breakglass-Signature: sha256=HEX` over `TIMESTAMP.BODY` and `X-Breakglass-Timestamp`. Unset: unsigned.',
      ),
    events: z
      .array(z.enum(NOTIFICATION_EVENTS))
      .default([...NOTIFICATION_EVENTS])
      .describe(
        'Events delivered to this target. Emergency activations also go to every target a policy names in `emergency.notify`.',
      ),
    format: z
      .enum(['json', 'slack'])
      .default('json')
      .describe(
        '`json`: the Breakglass event document; `slack`: a Slack incoming-webhook payload (`text` and `blocks`).',
      ),
  })
  .describe('One notification target.');

export const accessSection = z
  .strictObject({
    pending_ttl: duration({ min: 60_000, max: 30 * 86_400_000 })
      .prefault('24h')
      .describe(
        'A pending request that has not received its approvals in this time expires (its history stays).',
      ),
    sweep_interval: duration({ min: 100, max: 3_600_000 })
      .prefault('5s')
      .describe(
        'How often every replica looks for pending requests and grants that reached their end, expired host registrations and KRL changes (idempotent on every replica).',
      ),
    lock_timeout: duration({ min: 100, max: 60_000 })
      .prefault('10s')
      .describe(
        'A change to one request holds a short lease on it; a lease older than this (its holder died) is taken over.',
      ),
    max_reason_length: z
      .number()
      .int()
      .min(16)
      .max(4000)
      .default(1000)
      .describe('Longest reason or review comment accepted, in characters.'),
    krl_file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'File the KRL (OpenSSH binary format) is written to, atomically, before a revoke call returns and on every change (for hosts sharing a file system, or a sidecar that copies it). Relative paths are under data_dir. Unset: only served at /api/v1/krl.',
      ),
    hosts: z
      .strictObject({
        join_token_ttl: duration({ min: 60_000, max: 30 * 86_400_000 })
          .prefault('1h')
          .describe(
            'Default lifetime of a host join token (`breakglass hosts token --ttl` overrides it up to max_join_token_ttl).',
          ),
        max_join_token_ttl: duration({ min: 60_000, max: 30 * 86_400_000 })
          .prefault('7d')
          .describe('Longest lifetime a join token may be given.'),
        registration_ttl: duration({ min: 60_000, max: 365 * 86_400_000 })
          .prefault('24h')
          .describe('A registered host leaves the inventory when it has not renewed within this time.'),
        certificate_ttl: duration({ min: 60_000, max: 3650 * 86_400_000 })
          .prefault('7d')
          .describe(
            'Lifetime of the host certificate issued at registration and renewal (at most ca.max_host_ttl).',
          ),
      })
      .prefault({})
      .describe('Registration of immutable hosts with one-time join tokens.'),
    notifications: z
      .strictObject({
        webhooks: z.array(webhook).max(64).default([]).describe('Notification targets (webhooks).'),
        max_attempts: z
          .number()
          .int()
          .min(1)
          .max(20)
          .default(6)
          .describe(
            'Deliveries are retried until the target answers 2xx, at most this many attempts in all.',
          ),
        initial_backoff: duration({ min: 10, max: 600_000 })
          .prefault('1s')
          .describe('Wait before the first retry; it doubles for each further retry (with jitter).'),
        max_backoff: duration({ min: 10, max: 3_600_000 })
          .prefault('5m')
          .describe('Longest wait between two attempts.'),
        timeout: duration({ min: 100, max: 60_000 })
          .prefault('5s')
          .describe('Time allowed for one delivery.'),
        queue_limit: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(10_000)
          .describe(
            'Deliveries waiting per target on each replica; past it the oldest are dropped (and logged).',
          ),
      })
      .prefault({})
      .describe('Webhooks: JSON, HMAC-signed, retried with backoff, never blocking the request path.'),
  })
  .describe(
    'Just-in-time access: requests, approvals, grants, revocation, host registration and notifications.',
  );

export type AccessConfig = z.output<typeof accessSection>;
