import { z } from 'zod';
import { duration, port } from '../types';

const FILE_RE = /^[A-Za-z0-9._-]{1,128}$/;
const CIDR_RE = /^[0-9A-Fa-f:.]{2,45}(\/\d{1,3})?$/;

const upstreamSection = z
  .strictObject({
    ready_timeout: duration({ min: 500, max: 120_000 })
      .prefault('10s')
      .describe('Time a target host has to finish the SSH handshake and accept the per-session certificate.'),
    keepalive_interval: duration({ max: 600_000 })
      .prefault('15s')
      .describe('Keepalive probes to the target once connected (0ms: none).'),
    keepalive_count_max: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe('Unanswered keepalives after which the target connection (and the session) is dropped.'),
    certificate_ttl: duration({ min: 10_000, max: 3_600_000 })
      .prefault('5m')
      .describe(
        'Lifetime of the per-session upstream certificate (never past the end of the grant); it is only needed while logging in.',
      ),
    source_address: z
      .array(z.string().regex(CIDR_RE, { message: 'not an address or CIDR (e.g. 10.0.0.5/32)' }))
      .max(32)
      .optional()
      .describe(
        'Addresses the gateway connects to hosts from (CIDRs); when set, the per-session certificates carry them as `source-address`.',
      ),
    ciphers: z
      .array(z.string().regex(/^[a-z0-9@.-]{1,64}$/))
      .min(1)
      .default([
        'aes128-gcm@openssh.com',
        'aes256-gcm@openssh.com',
        'chacha20-poly1305@openssh.com',
        'aes128-ctr',
      ])
      .describe(
        'Ciphers the gateway proposes to hosts, in order of preference (AES-GCM is fastest with AES-NI).',
      ),
  })
  .describe('Connections from the gateway to target hosts.');

const liveSection = z
  .strictObject({
    max_viewers: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(16)
      .describe('Most viewers streaming one live session at once (0: live viewing off).'),
    buffer_lines: z
      .number()
      .int()
      .min(16)
      .max(100_000)
      .default(2048)
      .describe('Recording lines buffered per viewer; a viewer that falls further behind is disconnected.'),
    lease: duration({ min: 1000, max: 300_000 })
      .prefault('15s')
      .describe(
        'How long the replica that runs a session keeps publishing its output for a viewer on another replica without hearing from that viewer again.',
      ),
  })
  .describe('Watching live sessions (security reviewers, from any replica).');

export const proxySection = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Run the SSH gateway in `breakglass serve`.'),
    listen: z.string().min(1).default('127.0.0.1').describe('Address the SSH gateway binds to.'),
    port: port().default(2222).describe('Port of the SSH gateway (0 picks a free port).'),
    public_host: z
      .string()
      .regex(/^[A-Za-z0-9.:[\]-]{1,253}$/)
      .optional()
      .describe(
        'Host name users connect to (in `breakglass ssh-config` and the known_hosts line); defaults to `listen`.',
      ),
    host_key_file: z
      .string()
      .regex(FILE_RE)
      .default('gateway_host_ed25519_key')
      .describe(
        'Gateway host key (Ed25519, openssh-key-v1, mode 0600) under `certs_dir`; created on first start, never replaced.',
      ),
    auth_timeout: duration({ min: 1000, max: 300_000 })
      .prefault('30s')
      .describe('Time a client has from connecting to finishing authentication.'),
    max_connections: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(1000)
      .describe('Most concurrent client connections on this replica; more are refused at once.'),
    idle_timeout: duration({ min: 1000, max: 7 * 86_400_000 })
      .prefault('30m')
      .describe(
        "A session with no traffic in either direction for this long is ended, unless the grant's policy sets `idle_timeout`.",
      ),
    enforce_interval: duration({ min: 50, max: 1000 })
      .prefault('250ms')
      .describe(
        'How often live sessions are checked against their grant end and idle time (sessions end within this plus a few ms).',
      ),
    recheck_interval: duration({ min: 500, max: 600_000 })
      .prefault('5s')
      .describe(
        'How often each connection re-reads its grant from the store, in case a revocation message was missed.',
      ),
    registry_ttl: duration({ min: 2000, max: 600_000 })
      .prefault('30s')
      .describe(
        "Live-session records in the store expire this long after the replica last renewed them (a crashed replica's sessions disappear).",
      ),
    menu_timeout: duration({ min: 5000, max: 600_000 })
      .prefault('60s')
      .describe('Time a user has to choose a target in the interactive menu.'),
    ciphers: z
      .array(z.string().regex(/^[a-z0-9@.-]{1,64}$/))
      .min(1)
      .default(['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'])
      .describe(
        'Ciphers the gateway offers to users. OpenSSH clients pick the first of their own list the gateway offers, so offering only AES-GCM (hardware-accelerated) keeps the gateway fast; add `chacha20-poly1305@openssh.com` or `aes128-ctr` for clients without AES-GCM.',
      ),
    semi_space_mb: z
      .number()
      .int()
      .min(0)
      .max(512)
      .default(64)
      .describe(
        "V8's young-generation semi-space size (MB) set when the gateway starts. Relayed and recorded bytes are short-lived garbage; a larger young generation means fewer collections (about a quarter less gateway CPU per byte streamed, measured), for up to about three times this much more memory under load. 0 leaves Node's default.",
      ),
    upstream: upstreamSection.prefault({}),
    live: liveSection.prefault({}),
  })
  .describe('SSH gateway: listener, host key, upstream connections, session control.');

export type ProxyConfig = z.output<typeof proxySection>;
