import { z } from 'zod';
import { duration } from '../types';

const EXTENSIONS = [
  'no-touch-required',
  'permit-X11-forwarding',
  'permit-agent-forwarding',
  'permit-port-forwarding',
  'permit-pty',
  'permit-user-rc',
] as const;
/** `name@domain` (same pattern as the CA's VENDOR_EXTENSION_NAME_PATTERN). */
const VENDOR_EXTENSION_NAME =
  /^[a-z0-9][a-z0-9._-]{0,63}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
] as const;

export const caSection = z
  .strictObject({
    key_type: z
      .enum(['ed25519', 'ecdsa', 'rsa'])
      .default('ed25519')
      .describe(
        'Type of CA keys generated on first use under `certs_dir` (ecdsa: P-256; rsa: 3072 bits, signing rsa-sha2-512).',
      ),
    generate_keys: z
      .boolean()
      .default(true)
      .describe(
        'Generate a missing CA key on first use; when false a missing key stops start-up (CA_KEY_MISSING).',
      ),
    allow_loose_key_modes: z
      .boolean()
      .default(false)
      .describe(
        'Accept CA key files readable by group or others. Never in production: by default such files stop start-up (CA_KEY_FILE_MODE).',
      ),
    clock_skew: duration({ max: 3_600_000 })
      .prefault('60s')
      .describe(
        'How far `valid_after` is backdated so hosts with slightly slow clocks accept new certificates.',
      ),
    max_user_ttl: duration({ min: 60_000, max: 30 * 86_400_000 })
      .prefault('12h')
      .describe('Longest lifetime of a user or host-access certificate.'),
    max_host_ttl: duration({ min: 60_000, max: 3650 * 86_400_000 })
      .prefault('90d')
      .describe('Longest lifetime of a host certificate.'),
    allowed_extensions: z
      .array(z.enum(EXTENSIONS))
      .default([...EXTENSIONS])
      .describe(
        'Extensions a user certificate may carry; requests for others fail with CA_EXTENSION_NOT_ALLOWED.',
      ),
    allowed_vendor_extensions: z
      .array(
        z
          .string()
          .max(128)
          .regex(
            VENDOR_EXTENSION_NAME,
            'a vendor extension name is name@domain in lowercase letters, digits and . _ - (e.g. grant-id@breakglass)',
          ),
      )
      .default(['grant-id@breakglass'])
      .describe(
        'Vendor extensions (`name@domain`, lowercase) a user certificate may carry with a value (1-256 characters of letters, digits and `. _ @ : + = / -`); others fail with CA_EXTENSION_NOT_ALLOWED. Keep `grant-id@breakglass`: access puts the grant id there and the gateway reads it (access refuses to start without it).',
      ),
    allowed_key_types: z
      .array(z.enum(KEY_TYPES))
      .min(1)
      .default([...KEY_TYPES])
      .describe('User and host key types the CA certifies (DSA and unknown types are always refused).'),
    rsa_min_bits: z
      .number()
      .int()
      .min(2048)
      .max(16_384)
      .default(3072)
      .describe('Smallest RSA modulus the CA certifies.'),
    verify_after_sign: z
      .boolean()
      .default(false)
      .describe(
        'Verify every new certificate signature with the CA public key before returning it (about 3x the signing cost with Ed25519; useful with external signers).',
      ),
  })
  .describe('Certificate authorities: key files, certificate limits and the KRL.');
