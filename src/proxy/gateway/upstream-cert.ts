import type { KeyObject } from 'node:crypto';
import {
  createAuthority,
  generateKeyPair,
  sanitizeKeyId,
  type CertificateLimits,
  type IssuedCertificate,
  type Signer,
} from '../../ca';
import type { Clock, Random } from '../../core';
import type { Constraints } from '../../policy';

/** What one upstream login needs: a fresh key pair and its certificate from the host-access CA. */
export interface UpstreamCredential {
  readonly privateKey: KeyObject;
  readonly certificate: IssuedCertificate;
}

export interface UpstreamCertificateRequest {
  readonly user: string;
  readonly grantId: string;
  /** The connection ("session" of the key id): host logs name it, recordings start with it. */
  readonly sessionId: string;
  readonly login: string;
  /** The grant's window (ms): the certificate lies inside it. */
  readonly grantStartsAt: number;
  readonly grantEndsAt: number;
  readonly constraints: Pick<
    Constraints,
    'pty' | 'portForwarding' | 'agentForwarding' | 'x11Forwarding' | 'forceCommand'
  >;
}

export interface UpstreamIssuer {
  issue(request: UpstreamCertificateRequest): Promise<UpstreamCredential>;
}

export interface UpstreamIssuerDeps {
  /** The host-access CA signer (from the CA keystore; the proxy never reads key files). */
  readonly signer: Signer;
  /** Allocates a unique serial (the store's `increment('ca.serial')`, shared with the CA). */
  readonly nextSerial: () => Promise<bigint | number>;
  readonly clock: Clock;
  readonly random: Random;
  readonly limits?: Partial<CertificateLimits>;
  /** Lifetime of the certificate (it is only needed to log in), capped by the grant's end. */
  readonly ttlMs: number;
  /** `source-address` for the certificate: where the gateway connects from. */
  readonly sourceAddress?: readonly string[];
}

/**
 * The key id of a per-session certificate: user, grant, session and serial, so the host's
 * auth log ("… ID breakglass:user=…:grant=…:session=…:serial=7 (serial 7) CA …") ties the
 * login back to the recording. Characters outside the key-id alphabet become `_`.
 */
export function upstreamKeyId(parts: {
  user: string;
  grantId: string;
  sessionId: string;
  serial: bigint;
}): string {
  return sanitizeKeyId(
    `breakglass:user=${parts.user}:grant=${parts.grantId}:session=${parts.sessionId}:serial=${parts.serial}`,
  );
}

/** Certificate extensions matching what the policy allows (the host enforces them as well). */
export function upstreamExtensions(c: UpstreamCertificateRequest['constraints']): string[] {
  const out: string[] = [];
  if (c.x11Forwarding) out.push('permit-X11-forwarding');
  if (c.agentForwarding) out.push('permit-agent-forwarding');
  if (c.portForwarding) out.push('permit-port-forwarding');
  if (c.pty) out.push('permit-pty');
  return out;
}

/**
 * Mints per-session upstream certificates through the CA's authority (validation,
 * signing and the re-check after signing are the CA's; the key id names the serial the
 * authority allocates).
 */
export function createUpstreamIssuer(deps: UpstreamIssuerDeps): UpstreamIssuer {
  if (!(deps.ttlMs > 0)) throw new TypeError('upstream certificate TTL must be positive');
  const authority = createAuthority({
    signers: { 'host-access': deps.signer },
    nextSerial: deps.nextSerial,
    clock: deps.clock,
    random: deps.random,
    ...(deps.limits ? { limits: deps.limits } : {}),
  });
  return {
    async issue(req) {
      const { privateKey, publicKey } = generateKeyPair('ed25519');
      const notAfter = Math.min(req.grantEndsAt, deps.clock.now() + deps.ttlMs);
      const certificate = await authority.issueUserCertificate({
        ca: 'host-access',
        publicKey,
        principals: [req.login],
        keyId: (serial) =>
          upstreamKeyId({ user: req.user, grantId: req.grantId, sessionId: req.sessionId, serial }),
        notBefore: req.grantStartsAt,
        notAfter,
        ...(deps.sourceAddress && deps.sourceAddress.length > 0 ? { sourceAddress: deps.sourceAddress } : {}),
        ...(req.constraints.forceCommand !== undefined ? { forceCommand: req.constraints.forceCommand } : {}),
        extensions: upstreamExtensions(req.constraints),
      });
      return { privateKey, certificate };
    },
  };
}
