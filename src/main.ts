import { isAbsolute, resolve } from 'node:path';
import { createAccess, type Access } from './access';
import { VERSION } from './cli/version';
import type { Config } from './config';
import { secretPaths } from './config';
import { isEventType, openAuditLog, SYSTEM_ACTOR, type AuditLog } from './audit';
import { CA_ROLES, createAuthority, limitsFromConfig as caLimits, openKeystore, type Authority } from './ca';
import { systemClock, systemRandom, type Clock, type Random } from './core';
import { createLogger, type Logger } from './logging';
import { createMetrics, recordBuildInfo, type Metrics } from './metrics';
import { createPolicyStore, limitsFromConfig as policyLimits, type PolicyStore } from './policy';
import { sshNativeCryptoLoaded } from './ssh-native';
import { createStore, type Store } from './store';
import { startDemoHost, type DemoHost } from './devhost';
import { startNodeGateway, type Gateway } from './proxy';
import { accessRoutes, createWebServer, type WebServer } from './web';
import { uiRouters, viewOfGateway } from './web/ui';

/** A running Breakglass node: the composition root's handle. */
export interface Breakglass {
  readonly url: string;
  readonly store: Store;
  readonly audit: AuditLog;
  readonly policy: PolicyStore;
  readonly authority: Authority;
  readonly access: Access;
  readonly web: WebServer;
  readonly metrics: Metrics;
  /** The SSH gateway, null when `proxy.enabled` is false. */
  readonly gateway: Gateway | null;
  /** The quick start's demo host, when it runs. */
  readonly demoHost: DemoHost | null;
  /** Reloads the policy (what SIGHUP does); a bad policy is refused and audited. */
  reloadPolicy(trigger: string): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Quick start: run the demo host (a local sshd trusting the host-access CA) when sshd is installed. */
  demoHost?: boolean;
  logger?: Logger;
  clock?: Clock;
  random?: Random;
}

/** The configured secret values, for the logger to scrub. */
export function configuredSecrets(config: Readonly<Config>): string[] {
  const values: string[] = [];
  for (const path of secretPaths()) {
    let node: unknown = config;
    for (const key of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[key];
    if (typeof node === 'string' && node.length > 0) values.push(node);
  }
  // Secrets inside lists are not in the schema's key paths.
  for (const hook of config.access?.notifications?.webhooks ?? []) if (hook.secret) values.push(hook.secret);
  return values;
}

/**
 * Wires every capability from one validated configuration. This is the only place
 * that knows all of them; each gets its typed slice and its dependencies. Anything
 * that fails on the way stops what was started before it (fail closed).
 */
export async function startBreakglass(
  config: Readonly<Config>,
  options: StartOptions = {},
): Promise<Breakglass> {
  const logger =
    options.logger ??
    createLogger({ level: config.log.level, format: config.log.format, secrets: configuredSecrets(config) });
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const metrics = createMetrics();
  const nativeCrypto = sshNativeCryptoLoaded();
  recordBuildInfo(metrics, { version: VERSION, sshNativeCrypto: nativeCrypto });
  if (!nativeCrypto) logger.warn('ssh2 native crypto addon not loaded: SSH throughput will be about half');

  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.error('shutdown step failed', { err });
      }
    }
  };
  try {
    const store = await createStore({ data_dir: config.data_dir, store: config.store }, { logger, clock });
    cleanups.push(() => store.close());

    const audit = openAuditLog({ config, store, clock, logger });
    cleanups.push(() => audit.close());

    const policy = createPolicyStore({
      dir: config.policy.dir,
      logger,
      clock,
      watch: config.policy.watch,
      debounceMs: config.policy.reload_debounce,
      limits: policyLimits(config.policy),
      onReload: (e) => {
        if (!e.changed) return;
        audit
          .append({
            type: 'policy.loaded',
            actor: SYSTEM_ACTOR,
            data: { version: e.version, sha256: e.version.replace(/^sha256:/, '') },
            policy_version: e.version,
          })
          .catch((err: unknown) => logger.error('could not audit a policy load', { err }));
      },
      onRefused: (e) => {
        audit
          .append({
            type: 'policy.refused',
            actor: SYSTEM_ACTOR,
            data: {
              reason: `${e.trigger}: ${e.problems.length} problem(s); kept ${e.keptVersion ?? 'none'}: ${e.problems
                .slice(0, 5)
                .map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`)
                .join('; ')}`,
            },
          })
          .catch((err: unknown) => logger.error('could not audit a refused policy', { err }));
      },
    });
    await policy.start();
    cleanups.push(async () => policy.close());

    const keystore = openKeystore({
      dir: config.certs_dir,
      keyType: config.ca.key_type,
      generate: config.ca.generate_keys,
      allowLooseModes: config.ca.allow_loose_key_modes,
      random,
    });
    const authority = createAuthority({
      // Loading every role's key now makes a missing or badly-permissioned key stop start-up.
      signers: Object.fromEntries(CA_ROLES.map((role) => [role, keystore.signer(role)])),
      nextSerial: () => store.increment('ca.serial'),
      clock,
      random,
      limits: caLimits(config.ca),
      verifyAfterSign: config.ca.verify_after_sign,
    });

    let publicUrl = '';
    const krlFile = config.access.krl_file;
    const krlPath = krlFile ? (isAbsolute(krlFile) ? krlFile : resolve(config.data_dir, krlFile)) : null;
    const access = createAccess({
      store,
      audit,
      policy,
      authority,
      config: config.access,
      clock,
      random,
      logger: logger.child({ component: 'access' }),
      publicUrl: () => publicUrl,
      hasEvent: isEventType,
      ...(krlPath ? { krlFile: krlPath } : {}),
    });
    cleanups.push(() => access.close());

    let gateway: Gateway | null = null;
    const web = await createWebServer({
      config,
      logger,
      store,
      audit,
      metrics,
      clock,
      random,
      version: VERSION,
      apiRoutes: accessRoutes({ access, policy, maxReasonLength: config.access.max_reason_length, clock }),
      uiRouters: uiRouters({
        access,
        policy,
        audit,
        store,
        config,
        clock,
        logger,
        gateway: () => (gateway ? viewOfGateway(gateway, config.proxy, publicUrl) : null),
      }),
    });
    cleanups.push(() => web.close());
    publicUrl = web.url;
    await access.start();

    let demoHost: DemoHost | null = null;
    const demoEntry = options.demoHost ? policy.inventory().get('demo') : undefined;
    if (options.demoHost && (!demoEntry || !krlPath)) {
      logger.warn('no demo host: the inventory has no host named demo, or access.krl_file is unset');
    } else if (demoEntry && krlPath) {
      try {
        demoHost = await startDemoHost({ host: demoEntry, authority, krlFile: krlPath, logger, random });
      } catch (err) {
        logger.warn('the demo host did not start; the rest of Breakglass runs without it', { err });
      }
      if (demoHost) cleanups.push(() => demoHost!.stop());
    }

    if (config.proxy.enabled) {
      const demo = demoHost;
      gateway = await startNodeGateway({
        config,
        store,
        audit,
        access,
        policy,
        authority,
        hostAccessSigner: keystore.signer('host-access'),
        ...(demo
          ? { hostCertificates: (name: string) => (name === demo.name ? [demo.hostCertificate] : []) }
          : {}),
        logger: logger.child({ component: 'gateway' }),
        clock,
        random,
      });
      const started = gateway;
      cleanups.push(() => started.close());
    }
    const { url } = await web.listen();
    logger.info('breakglass started', {
      version: VERSION,
      url,
      store: store.driver,
      policy: policy.version,
      gateway: gateway ? `${gateway.address.host}:${gateway.address.port}` : 'off',
      demoHost: demoHost ? `${demoHost.address}:${demoHost.port}` : 'off',
      sshNativeCrypto: nativeCrypto,
    });

    let closing: Promise<void> | undefined;
    return {
      url,
      store,
      audit,
      policy,
      authority,
      access,
      web,
      metrics,
      gateway,
      demoHost,
      reloadPolicy: async (trigger) => {
        await policy.reload(trigger);
      },
      close: () =>
        (closing ??= (async () => {
          await stopAll();
          logger.info('breakglass stopped');
        })()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
