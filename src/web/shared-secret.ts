import { hasCode } from '../errors';
import { randomId, type Random } from '../core';
import type { Store } from '../store';

export const SECRETS_NS = 'web-secrets';

/**
 * A random secret created once and shared by every replica through the store (first
 * writer wins with compare-and-set); used to sign session cookies when
 * identity.session.secret is not configured.
 */
export async function sharedSecret(store: Store, name: string, random: Random): Promise<string> {
  const existing = await store.get(SECRETS_NS, name);
  if (existing) return existing.value;
  const fresh = randomId(random, 32);
  try {
    await store.put(SECRETS_NS, name, fresh, { ifVersion: 0 });
    return fresh;
  } catch (err) {
    if (!hasCode(err, 'STORE_CONFLICT')) throw err;
    const winner = await store.get(SECRETS_NS, name);
    if (!winner) throw err;
    return winner.value;
  }
}
