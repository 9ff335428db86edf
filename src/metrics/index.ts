import { Registry, collectDefaultMetrics, Gauge } from 'prom-client';

/**
 * One Prometheus registry per process (never prom-client's global), passed to each
 * capability so it can add its own counters and histograms.
 */
export interface Metrics {
  readonly registry: Registry;
}

export function createMetrics(
  options: { defaults?: boolean; labels?: Record<string, string> } = {},
): Metrics {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  if (options.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'breakglass_' });
  return { registry };
}

/** Sets `breakglass_build_info{version,node,ssh2_native_crypto}` = 1. */
export function recordBuildInfo(metrics: Metrics, info: { version: string; sshNativeCrypto: boolean }): void {
  const gauge = new Gauge({
    name: 'breakglass_build_info',
    help: 'Build information; the value is always 1.',
    labelNames: ['version', 'node', 'ssh2_native_crypto'],
    registers: [metrics.registry],
  });
  gauge.set(
    { version: info.version, node: process.version, ssh2_native_crypto: String(info.sshNativeCrypto) },
    1,
  );
}
