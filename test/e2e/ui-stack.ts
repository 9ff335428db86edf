import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { formatAuthorizedKey, limitsFromConfig as caLimits, openKeystore } from '../../src/ca';
import { loadConfig } from '../../src/config';
import { systemClock, systemRandom } from '../../src/core';
import { startDemoHost, type DemoHost } from '../../src/devhost';
import type { DevIdpProcess } from '../../src/identity';
import { createLogger, createSilentLogger } from '../../src/logging';
import {
  accessRegisteredFingerprints,
  createAccessGrantDirectory,
  createAccessSessionHooks,
  createInventoryHostDirectory,
  createKrlCheck,
  startGateway,
  type Gateway,
  type KrlCheck,
} from '../../src/proxy';
import { accessRoutes, createWebServer, type WebServer } from '../../src/web';
import { uiRouters, viewOfGateway } from '../../src/web/ui';
import { startDevIdp } from '../helpers/dev-idp';
import { freePort } from '../helpers/ports';
import { startStack, type Stack } from '../helpers/stack';
import { tmpDir } from '../helpers/tmp';

/**
 * A whole Breakglass node for the browser tests: the test stack (store, policy, access,
 * audit), the SSH gateway and the quick start's demo host (a real sshd) wired the way
 * `serve --dev` wires them, and the web UI on its own port logging in through the
 * development IdP.
 */
/** The login the demo host accepts (its sshd runs as the user running the tests). */
export const DEMO_LOGIN = userInfo().username;

export interface UiStack {
  readonly stack: Stack;
  readonly web: WebServer;
  readonly gateway: Gateway;
  readonly demo: DemoHost;
  /** The UI's base URL. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startUiStack(): Promise<UiStack> {
  // BREAKGLASS_TEST_LOGS=1 shows the node's errors while debugging a test.
  const logger = process.env.BREAKGLASS_TEST_LOGS
    ? createLogger({ level: 'warn', format: 'json' })
    : createSilentLogger();
  // The example policies, with the demo host on a free port.
  const policies = tmpDir('bg-ui-policies-');
  cpSync(resolve(__dirname, '../../policies'), policies.path, {
    recursive: true,
    filter: (src) => !src.endsWith('/tests') && !src.includes('/tests/'),
  });
  const demoPort = await freePort();
  const hostsFile = join(policies.path, 'hosts.yaml');
  // Immutable here, so the sessions mark it tainted (the hosts page shows it).
  writeFileSync(
    hostsFile,
    readFileSync(hostsFile, 'utf8')
      .replace('port: 2200', `port: ${demoPort}`)
      .replace('labels: { env: dev, role: demo }', 'labels: { env: dev, role: demo }\n    immutable: true'),
  );
  // The demo host's sshd runs as this user and accepts only this login: let admins ask for it.
  const rolesFile = join(policies.path, 'roles.yaml');
  if (DEMO_LOGIN !== 'root')
    writeFileSync(
      rolesFile,
      readFileSync(rolesFile, 'utf8').replace(
        "logins: [root, '{{email.local}}']",
        `logins: [root, '{{email.local}}', ${DEMO_LOGIN}]`,
      ),
    );

  const cleanups: Array<() => Promise<void> | void> = [() => policies.cleanup()];
  const closeAll = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    const stack = await startStack({
      policies: policies.path,
      overrides: { access: { krl_file: 'revoked_keys.krl', sweep_interval: '1s' } },
    });
    cleanups.push(() => stack.close());
    const node = stack.node;
    const port = await freePort();
    const idp: DevIdpProcess = await startDevIdp({
      redirectUris: [`http://127.0.0.1:${port}/auth/callback`],
    });
    cleanups.push(() => idp.stop());
    const config = loadConfig({
      overrides: {
        data_dir: join(stack.dir, 'data'),
        certs_dir: join(stack.dir, 'certs'),
        server: { port, listen: '127.0.0.1' },
        log: { level: 'error' },
        policy: { dir: stack.policiesDir },
        store: { driver: 'embedded' },
        access: { krl_file: 'revoked_keys.krl' },
        proxy: { port: 0, listen: '127.0.0.1', enforce_interval: '100ms', recheck_interval: '1s' },
        recording: { checkpoint_interval: '1s', flush_interval: '50ms' },
        identity: { oidc: { issuer: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret } },
      },
    });

    const demoEntry = node.policy.inventory().get('demo')!;
    const demo = await startDemoHost({
      host: demoEntry,
      authority: node.authority,
      krlFile: join(config.data_dir, 'revoked_keys.krl'),
      logger,
      random: systemRandom,
    });
    if (!demo) throw new Error('/usr/sbin/sshd is needed for the browser tests');
    cleanups.push(() => demo.stop());

    const krl: KrlCheck = await createKrlCheck({
      load: async () => (await node.access.krl.current()).bytes,
      store: node.store,
      logger,
    });
    cleanups.push(() => krl.close());
    const keystore = openKeystore({
      dir: config.certs_dir,
      keyType: config.ca.key_type,
      generate: false,
      random: systemRandom,
    });
    const gateway = await startGateway({
      config,
      store: node.store,
      audit: node.audit,
      grants: createAccessGrantDirectory({ access: node.access, store: node.store }),
      hosts: createInventoryHostDirectory({
        inventory: () => node.policy.inventory(),
        hostCaKeys: () => [formatAuthorizedKey(node.authority.publicKey('host')!)],
        hostCertificates: (name) => (name === demo.name ? [demo.hostCertificate] : []),
        registeredFingerprints: accessRegisteredFingerprints(node.store),
        isRevoked: (c) => krl.isRevoked(c),
        clock: systemClock,
      }),
      hostAccessSigner: keystore.signer('host-access'),
      nextSerial: () => node.store.increment('ca.serial'),
      caLimits: caLimits(config.ca),
      userCaKeys: () => [node.authority.publicKey('user')!],
      isRevoked: (c) => krl.isRevoked(c),
      hooks: createAccessSessionHooks(node.access),
      logger,
      clock: systemClock,
    });
    cleanups.push(() => gateway.close());

    const web = await createWebServer({
      config,
      logger,
      store: node.store,
      audit: node.audit,
      metrics: node.metrics,
      apiRoutes: accessRoutes({
        access: node.access,
        policy: node.policy,
        maxReasonLength: config.access.max_reason_length,
        clock: systemClock,
      }),
      uiRouters: uiRouters({
        access: node.access,
        policy: node.policy,
        audit: node.audit,
        store: node.store,
        config,
        clock: systemClock,
        logger,
        gateway: () => viewOfGateway(gateway, config.proxy),
      }),
    });
    cleanups.push(() => web.close());
    const { url } = await web.listen();
    return { stack, web, gateway, demo, url, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
