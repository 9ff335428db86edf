import {
  checkKeyPolicy,
  createAuthority,
  fingerprint,
  parseAuthorizedKey,
  sanitizeKeyId,
  type CertificateLimits,
  type Signer,
} from '../ca';
import type { Clock, Random } from '../core';
import { BreakglassError, hasCode } from '../errors';
import type { Store } from '../store';
import { certKey, type KrlPublisher } from './krl';
import { samePerson } from './machine';
import { NS, type AuditAppender, type Repository } from './repository';
import type { AccessRecord, IssuedRecord, Person } from './types';

/** Counter the CA allocates serials from (shared with every other issuer). */
export const SERIAL_COUNTER = 'ca.serial';

/** The extension that carries the grant id: a flag named `grant=<id>@breakglass`. */
export function grantExtension(grantId: string): string {
  return `grant=${grantId}@breakglass`;
}

/** The grant id carried by a certificate's extensions, or null. */
export function grantIdFromExtensions(names: readonly string[]): string | null {
  for (const n of names) {
    const m = /^grant=([A-Za-z0-9_-]{1,64})@breakglass$/.exec(n);
    if (m) return m[1]!;
  }
  return null;
}

export interface GrantCertificate {
  readonly certificate: string;
  readonly serial: string;
  readonly key_id: string;
  readonly principals: readonly string[];
  readonly valid_after: string;
  readonly valid_before: string;
  readonly grant: string;
  readonly extensions: readonly string[];
  readonly critical_options: Record<string, string>;
}

export interface CertificateIssuer {
  /** A user certificate for the requester's active grant; returned only after its audit entry is durable. */
  issue(grantId: string, caller: Person, publicKey: string): Promise<GrantCertificate>;
  /** Records a certificate issued elsewhere for a grant (the gateway's per-session host-access certificate) so revocation covers it. */
  record(entry: Omit<IssuedRecord, 'issuedAt'>): Promise<void>;
}

const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();

/** Throws the coded error for a grant that cannot have certificates now. */
export function checkGrantUsable(r: AccessRecord, now: number): void {
  const d = { details: { grant: r.id, status: r.status } };
  if (r.status === 'revoked')
    throw new BreakglassError('ACCESS_GRANT_REVOKED', `grant ${r.id} was revoked`, d);
  if (r.status === 'expired' && r.grant)
    throw new BreakglassError('ACCESS_GRANT_EXPIRED', `grant ${r.id} has ended`, d);
  if (r.status !== 'active' || !r.grant)
    throw new BreakglassError(
      'ACCESS_GRANT_INACTIVE',
      `request ${r.id} is ${r.status}, not an active grant`,
      d,
    );
  if (now >= r.grant.endsAt)
    throw new BreakglassError(
      'ACCESS_GRANT_EXPIRED',
      `grant ${r.id} ended at ${new Date(r.grant.endsAt).toISOString()}`,
      d,
    );
}

/**
 * Nonces are public: drawing them in large blocks costs one call to the random
 * source per few thousand certificates instead of one per certificate.
 */
function pooled(random: Random, block = 262_144): Random {
  let pool: Buffer = Buffer.alloc(0);
  let pos = 0;
  return {
    bytes(n) {
      if (n > block) return random.bytes(n);
      if (pos + n > pool.length) {
        pool = random.bytes(block);
        pos = 0;
      }
      pos += n;
      return Buffer.from(pool.subarray(pos - n, pos));
    },
  };
}

export function createCertificateIssuer(deps: {
  store: Store;
  repo: Repository;
  audit: AuditAppender;
  signer: Signer;
  limits: CertificateLimits;
  clock: Clock;
  random: Random;
  krl: KrlPublisher;
}): CertificateIssuer {
  const { store, repo, audit, clock, limits } = deps;
  const nonces = pooled(deps.random);

  return {
    async issue(grantId, caller, publicKey) {
      const rec = await repo.get(grantId);
      if (!rec)
        throw new BreakglassError('ACCESS_NOT_FOUND', `no grant ${grantId}`, { details: { grant: grantId } });
      if (!samePerson(caller, rec.requester))
        throw new BreakglassError(
          'ACCESS_FORBIDDEN',
          `grant ${grantId} belongs to someone else; certificates are issued to the requester only`,
          {
            details: { grant: grantId },
          },
        );
      const now = clock.now();
      checkGrantUsable(rec, now);
      // The key is checked before a serial is spent.
      const key = parseAuthorizedKey(publicKey, 'public_key').key;
      checkKeyPolicy(key, limits.keyPolicy);
      const c = rec.decision.constraints;
      const wanted = [
        c.pty ? 'permit-pty' : null,
        c.portForwarding ? 'permit-port-forwarding' : null,
        c.agentForwarding ? 'permit-agent-forwarding' : null,
        c.x11Forwarding ? 'permit-X11-forwarding' : null,
      ].filter((x): x is string => x !== null && limits.allowedExtensions.includes(x));
      const grantExt = grantExtension(rec.id);
      const serial = BigInt(await store.increment(SERIAL_COUNTER));
      const keyId = sanitizeKeyId(
        `user=${rec.requester.email || rec.requester.sub} grant=${rec.id} serial=${serial}`,
      );
      const authority = createAuthority({
        signers: { user: deps.signer },
        nextSerial: async () => serial,
        clock,
        random: nonces,
        limits: {
          ...limits,
          // Validity stays inside the grant: no backdating before it started.
          clockSkewMs: Math.max(0, Math.min(limits.clockSkewMs, now - rec.grant!.startsAt)),
          allowedExtensions: [...limits.allowedExtensions, grantExt],
        },
      });
      const issued = await authority.issueUserCertificate({
        publicKey: key,
        principals: c.principals,
        keyId,
        notAfter: Math.min(rec.grant!.endsAt, now + limits.maxUserTtlMs),
        ...(c.forceCommand !== undefined ? { forceCommand: c.forceCommand } : {}),
        ...(c.sourceAddress !== undefined ? { sourceAddress: c.sourceAddress } : {}),
        extensions: [...wanted, grantExt],
      });
      const cert = issued.certificate;
      const entry: IssuedRecord = {
        grant: rec.id,
        serial: String(serial),
        ca: 'user',
        keyId,
        fingerprint: fingerprint(key),
        validBefore: Number(cert.validBefore) * 1000,
        issuedAt: now,
      };
      // Known to the grant first (so a revocation racing with us covers it), then audited.
      await store.put(NS.certs, certKey(rec.id, serial), JSON.stringify(entry), { ifVersion: 0 });
      await audit.append({
        type: 'certificate.issued',
        actor: `user:${caller.email || caller.sub}`,
        target: rec.id,
        policy_version: rec.decision.policyVersion,
        data: {
          serial: String(serial),
          key_fingerprint: entry.fingerprint,
          principals: [...cert.principals],
          valid_after: iso(cert.validAfter),
          valid_before: iso(cert.validBefore),
          key_id: keyId,
          grant: rec.id,
          ca: 'user',
          ca_fingerprint: issued.caFingerprint,
        },
      });
      const after = await repo.get(rec.id);
      if (!after || after.status !== 'active') {
        // Revoked meanwhile: the certificate never leaves, and its serial joins the KRL.
        if (after?.status === 'revoked') await deps.krl.refresh();
        checkGrantUsable(after ?? rec, clock.now());
      }
      const options: Record<string, string> = {};
      if (c.forceCommand !== undefined) options['force-command'] = c.forceCommand;
      if (c.sourceAddress !== undefined) options['source-address'] = c.sourceAddress.join(',');
      return {
        certificate: issued.line,
        serial: String(serial),
        key_id: keyId,
        principals: [...cert.principals],
        valid_after: iso(cert.validAfter),
        valid_before: iso(cert.validBefore),
        grant: rec.id,
        extensions: cert.extensions.map((e) => e.name),
        critical_options: options,
      };
    },
    async record(entry) {
      const full: IssuedRecord = { ...entry, issuedAt: clock.now() };
      try {
        await store.put(NS.certs, certKey(entry.grant, entry.serial), JSON.stringify(full), { ifVersion: 0 });
      } catch (err) {
        if (!hasCode(err, 'STORE_CONFLICT')) throw err;
      }
      const after = await repo.get(entry.grant);
      if (after?.status === 'revoked') await deps.krl.refresh();
    },
  };
}
