import {
  checkKeyPolicy,
  createAuthority,
  extensionValue,
  fingerprint,
  parseAuthorizedKey,
  sanitizeKeyId,
  type CertificateLimits,
  type CertOption,
  type Signer,
} from '../ca';
import type { Clock, Random } from '../core';
import { BreakglassError, hasCode } from '../errors';
import type { Store } from '../store';
import { certKey, type KrlPublisher } from './krl';
import { samePerson } from './machine';
import { NS, type AuditAppender, type Repository } from './repository';
import { ID_RE } from './text';
import type { AccessRecord, IssuedRecord, Person } from './types';

/** Counter the CA allocates serials from (shared with every other issuer). */
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
  if (!limits.allowedVendorExtensions.includes(GRANT_ID_EXTENSION))
    throw new TypeError(
      `ca.allowed_vendor_extensions must include ${GRANT_ID_EXTENSION}: user certificates carry their grant id in it`,
    );
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
        },
      });
      const issued = await authority.issueUserCertificate({
        publicKey: key,
        principals: c.principals,
        keyId,
        notAfter: Math.min(rec.grant!.endsAt, now + limits.maxUserTtlMs),
        ...(c.forceCommand !== undefined ? { forceCommand: c.forceCommand } : {}),
        ...(c.sourceAddress !== undefined ? { sourceAddress: c.sourceAddress } : {}),
        extensions: [...wanted, grantIdExtension(rec.id)],
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
