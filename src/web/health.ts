import { Router } from 'express';
import type { Metrics } from '../metrics';
import type { Store } from '../store';

export interface ReadinessCheck {
  name: string;
  /** Resolves with null when ready, or a reason. Must not throw. */
  check(): Promise<string | null>;
}

/**
 * `GET /healthz`: the process is alive. `GET /readyz`: the store and every other
 * registered dependency answer; 503 with the reasons otherwise (load balancers take
 * the replica out). `GET /metrics`: Prometheus text format.
 */
export function healthRoutes(deps: { store: Store; metrics: Metrics; checks?: ReadinessCheck[] }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results: Record<string, string> = {};
    const health = await deps.store.health();
    results.store = health.ok ? 'ok' : (health.reason ?? 'unavailable');
    for (const c of deps.checks ?? []) results[c.name] = (await c.check()) ?? 'ok';
    const ready = Object.values(results).every((v) => v === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
