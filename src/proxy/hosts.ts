import type { Certificate } from '../ca';
import type { Clock } from '../core';
import type { Host } from '../policy';
import {
  anyHostKeyVerifier,
  createHostCertificateVerifier,
  createPinnedHostKeyVerifier,
  type HostKeyVerifier,
} from './upstream';

/** A target host as the gateway connects to it. */
export interface TargetHost {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Sessions on it mark it drifted. */
  readonly immutable: boolean;
  /** Decides on the host key it presents (pins and/or the host CA; never trust on first use). */
  readonly verifyHostKey: HostKeyVerifier;
}

export interface HostDirectory {
  get(name: string): Promise<TargetHost | undefined>;
}

export interface InventoryHostDirectoryOptions {
  /** The current inventory (policy's hosts file plus registered hosts). */
  readonly inventory: () => { get(name: string): Host | undefined };
  /** Host CA public keys (`TYPE BASE64` lines) trusted for hosts whose trust says `host_ca`. */
  readonly hostCaKeys: () => readonly string[];
  /**
   * Host certificates known for a host (issued at registration). ssh2 cannot negotiate
   * certificate host keys, so the plain key the host presents must be one they certify.
   */
  readonly hostCertificates?: (name: string) => readonly string[] | Promise<readonly string[]>;
  /**
   * Key fingerprints of hosts that registered themselves (the key the host CA certified at
   * registration); trusted for hosts whose trust says `host_ca`.
   */
  readonly registeredFingerprints?: (name: string) => Promise<readonly string[]>;
  readonly isRevoked?: (certificate: Certificate) => boolean;
  readonly clock: Clock;
}

/** Refuses every key, saying why (a host with nothing to check its key against). */
function refuseAll(reason: string): HostKeyVerifier {
  return () => ({ ok: false, reason });
}

/**
 * Host lookup over the policy inventory: address, port and immutability from the host
 * entry; host keys checked against its pinned fingerprints and, when it trusts the host
 * CA, its host certificates or the key it registered with (which the host CA certified).
 * A host with none of these is unreachable through the gateway.
 */
export function createInventoryHostDirectory(opts: InventoryHostDirectoryOptions): HostDirectory {
  return {
    async get(name) {
      const host = opts.inventory().get(name);
      if (!host) return undefined;
      const verifiers: HostKeyVerifier[] = [];
      if (host.trust.fingerprints.length > 0)
        verifiers.push(createPinnedHostKeyVerifier(host.trust.fingerprints));
      if (host.trust.hostCa) {
        const registered = (await opts.registeredFingerprints?.(host.name)) ?? [];
        if (registered.length > 0) verifiers.push(createPinnedHostKeyVerifier(registered));
        const certificates = (await opts.hostCertificates?.(host.name)) ?? [];
        const trustedCas = opts.hostCaKeys();
        if (certificates.length > 0 && trustedCas.length > 0) {
          verifiers.push(
            createHostCertificateVerifier({
              certificates,
              trustedCas,
              hostname: host.name,
              clock: opts.clock,
              ...(opts.isRevoked ? { isRevoked: opts.isRevoked } : {}),
            }),
          );
        }
      }
      return {
        name: host.name,
        address: host.address,
        port: host.port,
        immutable: host.immutable,
        verifyHostKey:
          verifiers.length > 0
            ? anyHostKeyVerifier(...verifiers)
            : refuseAll(
                `host ${host.name} has no pinned host key and no host certificate from the host CA; refusing to trust a key on first use`,
              ),
      };
    },
  };
}
