import { z } from 'zod';
import { duration, port, secret } from '../types';

const LOG_ID_RE = /^[A-Za-z0-9._:@-]{1,64}$/;
const KEY_FILE_RE = /^[A-Za-z0-9._-]{1,128}$/;

const fileForward = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Append every entry as one canonical JSON line to this file (the file passes `breakglass audit verify`); unset: off.',
      ),
  })
  .describe('Forwarding to a local file (for a log shipper).');

const syslogForward = z
  .strictObject({
    host: z.string().min(1).optional().describe('Syslog collector host name or address; unset: off.'),
    port: port().default(514).describe('Syslog collector port.'),
    protocol: z
      .enum(['udp', 'tcp'])
      .default('udp')
      .describe(
        '`udp`: one RFC 5424 message per datagram (RFC 5426); `tcp`: octet-counted frames (RFC 6587).',
      ),
    app_name: z
      .string()
      .regex(/^[!-~]{1,48}$/)
      .default('breakglass')
      .describe('APP-NAME field of each RFC 5424 message (printable ASCII, no spaces).'),
    facility: z.number().int().min(0).max(23).default(13).describe('Syslog facility number (13: log audit).'),
  })
  .describe('Forwarding to a syslog collector (RFC 5424 framing).');

const httpForward = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('POST batches of entries as a JSON array to this URL; unset: off.'),
    authorization: secret()
      .optional()
      .describe(
        'Value of the Authorization header sent with each POST (e.g. `Bearer …`); redacted from logs.',
      ),
    timeout: duration({ min: 100, max: 60_000 }).prefault('5s').describe('Time allowed for one POST.'),
    retries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(3)
      .describe('Retries of a failed POST (exponential back-off) before its batch is dropped and counted.'),
    batch_size: z.number().int().min(1).max(1000).default(100).describe('Most entries sent in one POST.'),
  })
  .describe('Forwarding to an HTTP collector (JSON).');

export const auditSection = z
  .strictObject({
    log_id: z
      .string()
      .regex(LOG_ID_RE)
      .default('breakglass')
      .describe(
        "Name of this deployment's audit log, signed into every checkpoint and part of the store key (`audit/<log_id>`); changing it starts a new log. Use one name per deployment.",
      ),
    key_file: z
      .string()
      .regex(KEY_FILE_RE)
      .default('audit_key')
      .describe(
        'File name under `certs_dir` of the Ed25519 checkpoint signing key (PKCS#8 PEM, mode 0600, generated on first use); the public key is written beside it as `<key_file>.pub` (JWK).',
      ),
    checkpoint: z
      .strictObject({
        every_entries: z
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(1000)
          .describe('Write a signed checkpoint after this many entries appended by this process.'),
        interval: duration({ min: 1000, max: 86_400_000 })
          .prefault('60s')
          .describe(
            'Write a signed checkpoint at least this often while entries are being appended; one is always written at shutdown.',
          ),
      })
      .prefault({})
      .describe('Signed checkpoints (JWS, EdDSA) over the head of the log.'),
    forward: z
      .strictObject({
        max_queue: z
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(10_000)
          .describe(
            'Entries each forwarding transport holds while its peer is slow; beyond this, entries are dropped from forwarding (never from the log) and counted.',
          ),
        file: fileForward.prefault({}),
        syslog: syslogForward.prefault({}),
        http: httpForward.prefault({}),
      })
      .prefault({})
      .describe(
        'SIEM forwarding of every entry (after it is durable; never delays or fails an append). All transports are off by default.',
      ),
  })
  .describe('Tamper-evident audit log: checkpoints and SIEM forwarding.');

export type AuditConfig = z.output<typeof auditSection>;
