import { Router, type NextFunction, type Request, type Response } from 'express';
import { EVENT_TYPES } from '../../../audit';
import type { UiContext } from '../../app';
import { createChainChecker, queryAudit } from '../audit-query';
import type { UiDeps } from '../deps';
import { queryParam } from '../forms';
import { guard, render, viewerOf } from '../frame';
import { searchHosts } from '../offers';
import { auditView, chainView, type AuditFormValues } from '../pages/audit';
import { hostsView, type HostRow } from '../pages/hosts';

const LOCAL_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

/** `2026-01-01T12:00` from a datetime-local field, read as UTC; undefined when empty; null when malformed. */
export function parseUtcInput(v: string): number | undefined | null {
  if (!v) return undefined;
  if (!LOCAL_TIME_RE.test(v)) return null;
  const ms = Date.parse(`${v}Z`);
  return Number.isNaN(ms) ? null : ms;
}

/** Hosts (labels, drift) and the audit browser (chain status, filters). */
export function oversightPages(ctx: UiContext, deps: UiDeps): Router {
  const router = Router();
  const logId = deps.config.audit.log_id;
  const chain = createChainChecker({ store: deps.store, audit: deps.audit, logId, clock: deps.clock });
  const types = [...Object.keys(EVENT_TYPES)].sort();

  router.get('/hosts', guard(ctx, deps, 'hosts'), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const v = viewerOf(res);
      const query = queryParam(req, 'q');
      const inventory = deps.policy.inventory();
      const registered = new Map((await deps.access.hosts.list()).map((h) => [h.host.name, h]));
      const taints = new Map((await deps.access.drift.taints()).map((t) => [t.host, t]));
      const { hosts } = searchHosts(inventory.hosts(), query, 1000);
      const rows: HostRow[] = hosts.map((host) => {
        const reg = registered.get(host.name);
        const taint = taints.get(host.name);
        return {
          host,
          ...(reg
            ? {
                registered: {
                  at: reg.registeredAt,
                  expiresAt: reg.expiresAt,
                  fingerprint: reg.keyFingerprint,
                },
              }
            : {}),
          ...(taint ? { taint } : {}),
        };
      });
      // Tainted hosts first: they need attention.
      rows.sort((a, b) => Number(b.taint !== undefined) - Number(a.taint !== undefined));
      render(req, res, {
        title: 'Hosts',
        current: 'hosts',
        wide: true,
        body: hostsView({
          rows,
          query,
          total: inventory.size,
          tainted: taints.size,
          canWatch: v.abilities.watch,
        }),
      });
    } catch (err) {
      next(err);
    }
  });

  router.get('/audit', guard(ctx, deps, 'audit'), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const v = viewerOf(res);
      const values: AuditFormValues = {
        type: queryParam(req, 'type', 64),
        actor: queryParam(req, 'actor', 200),
        subject: queryParam(req, 'subject', 200),
        from: queryParam(req, 'from', 19),
        to: queryParam(req, 'to', 19),
      };
      const fromMs = parseUtcInput(values.from);
      const toMs = parseUtcInput(values.to);
      const error =
        fromMs === null || toMs === null
          ? 'Times must look like 2026-01-31T13:45 (UTC); that filter was ignored.'
          : values.type && !types.includes(values.type)
            ? 'Unknown entry type; that filter was ignored.'
            : undefined;
      const limit = 200;
      const [status, found] = await Promise.all([
        chain.status(),
        queryAudit(deps.store, logId, {
          ...(values.type && types.includes(values.type) ? { type: values.type } : {}),
          ...(values.actor ? { actor: values.actor } : {}),
          ...(values.subject ? { subject: values.subject } : {}),
          ...(typeof fromMs === 'number' ? { fromMs } : {}),
          ...(typeof toMs === 'number' ? { toMs: toMs + 59_999 } : {}),
          limit,
        }),
      ]);
      render(req, res, {
        title: 'Audit log',
        current: 'audit',
        wide: true,
        status: error ? 400 : 200,
        body: auditView({
          rows: found.rows,
          values,
          types,
          chain: chainView(status),
          scanned: found.scanned,
          limit,
          canWatch: v.abilities.watch,
          ...(error ? { error } : {}),
        }),
      });
    } catch (err) {
      next(err);
    }
  });

  return router;
}
