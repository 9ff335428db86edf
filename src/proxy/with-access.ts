import { SERIAL_COUNTER, type Access } from '../access';
import type { AuditLog } from '../audit';
import { formatAuthorizedKey, limitsFromConfig, type Authority, type Signer } from '../ca';
import type { Config } from '../config';
import type { Clock, Random } from '../core';
import type { Logger } from '../logging';
import type { PolicyStore } from '../policy';
import type { Store } from '../store';
import {
  accessRegisteredFingerprints,
  createAccessGrantDirectory,
  createAccessSessionHooks,
  createKrlCheck,
} from './access-adapter';
import { startGateway, type Gateway } from './gateway/start';
import { createInventoryHostDirectory } from './hosts';

export interface NodeGatewayDeps {
  readonly config: Pick<Config, 'certs_dir' | 'data_dir' | 'proxy' | 'recording' | 'ca'>;
  readonly store: Store;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly access: Pick<Access, 'repository' | 'certificates' | 'markSessionEnded' | 'krl'>;
  readonly policy: Pick<PolicyStore, 'inventory'>;
  /** For the user and host CA public keys. */
  readonly authority: Pick<Authority, 'publicKey'>;
  /** `keystore.signer('host-access')`. */
  readonly hostAccessSigner: Signer;
  /** Host certificates on file per host name (e.g. the quick start's demo host). */
  readonly hostCertificates?: (hostName: string) => readonly string[];
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: Random;
}

/**
 * The gateway of a Breakglass node, wired to its access capability: grants from the
 * access records (the certificate's grant-id extension), revocations and ends from the
 * store's pub/sub, the published KRL, hosts from the policy inventory (pins, the host CA
 * and registered host keys), per-session certificates recorded under their grant, and
 * drift marked when sessions end. For the composition root.
 */
export async function startNodeGateway(deps: NodeGatewayDeps): Promise<Gateway> {
  const { config, store, access, authority, logger, clock } = deps;
  const krl = await createKrlCheck({
    load: async () => (await access.krl.current()).bytes,
    store,
    logger,
  });
  try {
    const gateway = await startGateway({
      config,
      store,
      audit: deps.audit,
      grants: createAccessGrantDirectory({ access, store }),
      hosts: createInventoryHostDirectory({
        inventory: () => deps.policy.inventory(),
        hostCaKeys: () => {
          const key = authority.publicKey('host');
          return key ? [formatAuthorizedKey(key)] : [];
        },
        registeredFingerprints: accessRegisteredFingerprints(store),
        ...(deps.hostCertificates ? { hostCertificates: deps.hostCertificates } : {}),
        clock,
      }),
      hostAccessSigner: deps.hostAccessSigner,
      nextSerial: () => store.increment(SERIAL_COUNTER),
      caLimits: limitsFromConfig(config.ca),
      userCaKeys: () => {
        const key = authority.publicKey('user');
        return key ? [key] : [];
      },
      isRevoked: (c) => krl.isRevoked(c),
      hooks: createAccessSessionHooks(access),
      logger,
      clock,
      random: deps.random,
    });
    return {
      ...gateway,
      connections: () => gateway.connections(),
      async close() {
        await gateway.close();
        await krl.close();
      },
    };
  } catch (err) {
    await krl.close();
    throw err;
  }
}
