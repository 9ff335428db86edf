import { BreakglassError } from '../errors';
import { hostSchema, type HostDoc } from './schema';
import type { Host } from './types';
import { formatPath, messageFor } from './zod-problems';

/**
 * Validates a host given at run time (e.g. a pipeline registering an immutable host)
 * with the same rules as an entry of hosts.yaml. Throws POLICY_SCHEMA listing every
 * problem; returns the host in its evaluated form.
 */
export function hostFromInput(value: unknown): Host {
  const r = hostSchema.safeParse(value);
  if (!r.success) {
    const problems = r.error.issues.map(
      (i) =>
        `${formatPath(i.path) || '(host)'}: ${i.code === 'unrecognized_keys' ? `unknown keys ${i.keys.join(', ')}` : messageFor(i)}`,
    );
    throw new BreakglassError('POLICY_SCHEMA', `invalid host: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return hostFromDoc(r.data);
}

/** The evaluated form of a validated host entry. */
export function hostFromDoc(h: HostDoc): Host {
  return {
    name: h.name,
    address: h.address,
    port: h.port,
    labels: { ...h.labels },
    trust: { hostCa: h.trust.host_ca, fingerprints: [...h.trust.fingerprints] },
    immutable: h.immutable,
    ...(h.description !== undefined ? { description: h.description } : {}),
  };
}
