import { randomBytes } from 'node:crypto';

/** Source of randomness, injected so tests can make nonces and ids deterministic. */
export interface Random {
  bytes(n: number): Buffer;
}

export const systemRandom: Random = { bytes: (n) => randomBytes(n) };

/** URL-safe random identifier with `bytes` bytes of entropy (default 16 → 22 chars). */
export function randomId(random: Random = systemRandom, bytes = 16): string {
  return random.bytes(bytes).toString('base64url');
}
