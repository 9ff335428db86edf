import {
  extensionValue,
  fingerprint,
  parseAuthorizedKey,
  sanitizeKeyId,
  type Authority,
  type CertOption,
} from '../ca';
import type { Clock } from '../core';
import { BreakglassError, hasCode } from '../errors';
import type { Store } from '../store';
import { certKey, type KrlPublisher } from './krl';
import { samePerson } from './transition';
import { NS, type AuditAppender, type Repository } from './repository';
import { ID_RE } from './text';
import type { AccessRecord, IssuedRecord, Person } from './types';

/** Counter the CA's authority allocates serials from (`store.increment('ca.serial')`, shared by every issuer). */
export const SERIAL_COUNTER = 'ca.serial';

/**
 * The vendor extension that carries the grant id of a user certificate as its value
 * (`ssh-keygen -L` prints `grant-id@breakglass UNKNOWN OPTION: <hex> (len N)`; sshd
 * ignores it). `ca.allowed_vendor_extensions` must allow it.
 */
export const GRANT_ID_EXTENSION = 'grant-id@breakglass';

/** The extension naming a grant, as the CA takes it. */
export function grantIdExtension(grantId: string): { name: string; value: string } {
  return { name: GRANT_ID_EXTENSION, value: grantId };
}

/**
 * The grant id a certificate's extensions carry (`grant-id@breakglass`), or null when
 * there is none or its value is not a grant id as access makes them.
 */
export function grantIdFromExtensions(extensions: readonly CertOption[]): string | null {
  let value: string | null;
  try {
    value = extensionValue(extensions, GRANT_ID_EXTENSION);
  } catch {
    return null;
  }
  return value !== null && ID_RE.test(value) ? value : null;
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
 * Issues grant certificates through the long-lived `authority` (its user CA), which
 * allocates each serial from the shared counter and names it in the key id. The
 * authority must allow the grant id extension, or this throws TypeError at start-up.
 */
export function createCertificateIssuer(deps: {
  store: Store;
  repo: Repository;
  audit: AuditAppender;
  authority: Authority;
  clock: Clock;
  krl: KrlPublisher;
}): CertificateIssuer {
  const { store, repo, audit, clock, authority } = deps;
  const limits = authority.limits;
  if (!limits.allowedVendorExtensions.includes(GRANT_ID_EXTENSION))
    throw new TypeError(
      `ca.allowed_vendor_extensions must include ${GRANT_ID_EXTENSION}: user certificates carry their grant id in it`,
    );

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
      const key = parseAuthorizedKey(publicKey, 'public_key').key;
      const c = rec.decision.constraints;
      const wanted = [
        c.pty ? 'permit-pty' : null,
        c.portForwarding ? 'permit-port-forwarding' : null,
        c.agentForwarding ? 'permit-agent-forwarding' : null,
        c.x11Forwarding ? 'permit-X11-forwarding' : null,
      ].filter((x): x is string => x !== null && limits.allowedExtensions.includes(x));
      const user = rec.requester.email || rec.requester.sub;
      // The authority checks everything (key policy first) before it allocates a serial.
      const issued = await authority.issueUserCertificate({
        publicKey: key,
        principals: c.principals,
        keyId: (serial) => sanitizeKeyId(`user=${user} grant=${rec.id} serial=${serial}`),
        // Validity stays inside the grant: backdated for clock skew, never before it started
        // (nor after now, should the replica that started it have a clock ahead of ours).
        notBefore: Math.min(rec.grant!.startsAt, now),
        notAfter: Math.min(rec.grant!.endsAt, now + limits.maxUserTtlMs),
        ...(c.forceCommand !== undefined ? { forceCommand: c.forceCommand } : {}),
        ...(c.sourceAddress !== undefined ? { sourceAddress: c.sourceAddress } : {}),
        extensions: [...wanted, grantIdExtension(rec.id)],
      });
      const cert = issued.certificate;
      const { serial } = issued;
      const keyId = cert.keyId;
      const entry: IssuedRecord = {
        grant: rec.id,
        serial: String(serial),
        ca: 'user',
        keyId,
        fingerprint: fingerprint(cert.key),
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
