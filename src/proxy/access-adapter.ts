import {
  ACCESS_NAMESPACES,
  GRANT_ENDED_CHANNEL,
  GRANT_REVOKED_CHANNEL,
  grantIdFromExtensions,
  KRL_CHANNEL,
  type Access,
  type AccessRecord,
} from '../access';
import { isRevoked as krlRevokes, parseKrl, type Certificate, type Krl } from '../ca';
import type { Logger } from '../logging';
import type { Store } from '../store';
import type { GatewayGrant, GrantDirectory, SessionHooks, Unsubscribe } from './grants';

/** An access record as the gateway sees it (null for a request that never became a grant). */
export function grantFromRecord(r: AccessRecord): GatewayGrant | null {
  if (!r.grant) return null;
  return {
    id: r.id,
    status: r.status,
    user: r.requester.email || r.requester.sub,
    // User certificates list the granted logins as principals (src/access/certificates.ts).
    certificatePrincipal: r.login,
    login: r.login,
    hosts: r.decision.hosts,
    startsAt: r.grant.startsAt,
    endsAt: r.endedAt !== undefined ? Math.min(r.grant.endsAt, r.endedAt) : r.grant.endsAt,
    constraints: r.decision.constraints,
    policyVersion: r.decision.policyVersion,
  };
}

function grantIdOfMessage(text: string): string | null {
  try {
    const v = JSON.parse(text) as { grant?: unknown };
    return typeof v.grant === 'string' && v.grant.length > 0 ? v.grant : null;
  } catch {
    return null;
  }
}

/**
 * Grants from the access capability: the certificate names its grant in the
 * `grant=<id>@breakglass` extension; revocations and ends arrive on the store's
 * `grant.revoked` / `grant.ended` channels from every replica.
 */
export function createAccessGrantDirectory(deps: {
  access: Pick<Access, 'repository'>;
  store: Pick<Store, 'subscribe'>;
}): GrantDirectory {
  const { access, store } = deps;
  const get = async (id: string) => {
    const r = await access.repository.get(id);
    return r ? grantFromRecord(r) : null;
  };
  return {
    async grantsFor(certificate: Certificate) {
      const id = grantIdFromExtensions(certificate.extensions);
      if (!id) return [];
      const g = await get(id);
      return g ? [g] : [];
    },
    get,
    async onRevoked(handler) {
      const on = (text: string) => {
        const id = grantIdOfMessage(text);
        if (id) handler(id);
      };
      const unsubs: Unsubscribe[] = [
        await store.subscribe(GRANT_REVOKED_CHANNEL, on),
        await store.subscribe(GRANT_ENDED_CHANNEL, on),
      ];
      return async () => {
        for (const u of unsubs) await u();
      };
    },
  };
}

/** Access's bookkeeping around sessions: the upstream certificate joins its grant (KRL); the end marks drift. */
export function createAccessSessionHooks(
  access: Pick<Access, 'certificates' | 'markSessionEnded'>,
): SessionHooks {
  return {
    async onUpstreamCertificate(c) {
      await access.certificates.record({
        grant: c.grantId,
        serial: c.serial,
        ca: 'host-access',
        keyId: c.keyId,
        fingerprint: c.fingerprint,
        validBefore: c.validBefore,
      });
    },
    async onSessionEnded(e) {
      await access.markSessionEnded({
        hostName: e.host,
        sessionId: e.sessionIds[0] ?? e.connectionId,
        grantId: e.grantId,
        login: e.login,
        actor: `user:${e.user}`,
      });
    },
  };
}

/** Key fingerprints hosts registered with (their host certificates certify these keys). */
export function accessRegisteredFingerprints(store: Pick<Store, 'get'>) {
  return async (name: string): Promise<readonly string[]> => {
    const rec = await store.get(ACCESS_NAMESPACES.hosts, name);
    if (!rec) return [];
    try {
      const v = JSON.parse(rec.value) as { keyFingerprint?: unknown };
      return typeof v.keyFingerprint === 'string' ? [v.keyFingerprint] : [];
    } catch {
      return [];
    }
  };
}

export interface KrlCheck {
  /** True when the certificate is revoked, or when no KRL could be loaded yet (fail closed). */
  isRevoked(certificate: Certificate): boolean;
  close(): Promise<void>;
}

/**
 * The gateway's copy of the published KRL, parsed once and reloaded whenever any replica
 * publishes a new version (and every `refreshMs`). Until a KRL has been loaded, every
 * certificate counts as revoked.
 */
export async function createKrlCheck(deps: {
  load: () => Promise<Buffer>;
  store: Pick<Store, 'subscribe'>;
  logger: Logger;
  refreshMs?: number;
}): Promise<KrlCheck> {
  let krl: Krl | null = null;
  const reload = async () => {
    try {
      krl = parseKrl(await deps.load());
    } catch (err) {
      deps.logger.error('the KRL could not be loaded; the last good one stays in force', {
        error: (err as Error).message,
      });
    }
  };
  await reload();
  const unsubscribe = await deps.store.subscribe(KRL_CHANNEL, () => void reload());
  const timer = setInterval(() => void reload(), deps.refreshMs ?? 30_000);
  timer.unref();
  return {
    isRevoked: (certificate) => (krl === null ? true : krlRevokes(krl, certificate)),
    async close() {
      clearInterval(timer);
      await unsubscribe();
    },
  };
}
