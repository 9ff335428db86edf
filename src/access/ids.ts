import type { Clock, Random } from '../core';

/**
 * Request (and grant) ids: `r` + the creation time in base 36 (8 digits, so ids sort
 * by creation) + `-` + 12 random bytes in base64url.
 */
export function newRequestId(clock: Clock, random: Random): string {
  const time = Math.max(0, Math.floor(clock.now())).toString(36).padStart(8, '0').slice(-8);
  return `r${time}-${random.bytes(12).toString('base64url')}`;
}
