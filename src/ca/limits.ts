import type { CertificateLimits } from './cert';

/** The CA's configuration slice as `src/config/sections/ca.ts` parses it. */
export interface CaConfigSlice {
  readonly clock_skew: number;
  readonly max_user_ttl: number;
  readonly max_host_ttl: number;
  readonly allowed_extensions: readonly string[];
  readonly allowed_vendor_extensions: readonly string[];
  readonly allowed_key_types: readonly string[];
  readonly rsa_min_bits: number;
}

/** Certificate limits from the `ca` configuration section. */
export function limitsFromConfig(ca: CaConfigSlice): CertificateLimits {
  return {
    clockSkewMs: ca.clock_skew,
    maxUserTtlMs: ca.max_user_ttl,
    maxHostTtlMs: ca.max_host_ttl,
    allowedExtensions: [...ca.allowed_extensions],
    allowedVendorExtensions: [...ca.allowed_vendor_extensions],
    keyPolicy: {
      allowedTypes: ca.allowed_key_types as CertificateLimits['keyPolicy']['allowedTypes'],
      rsaMinBits: ca.rsa_min_bits,
    },
  };
}
