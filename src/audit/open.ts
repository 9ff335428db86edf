import type { Config } from '../config';
import type { Clock } from '../core';
import type { Logger } from '../logging';
import type { Store } from '../store';
import { createKeySigner, type AuditSigner } from './checkpoint';
import { createWinstonForwarder, type AuditForwarder, type QueuedTransport } from './forward';
import { loadOrCreateAuditKey } from './keys';
import { createAuditLog, type AuditLog } from './log';
import { SyslogTransport } from './syslog';
import { FileTransport, HttpTransport } from './transports';

/**
 * The SIEM forwarder for the configured transports, or null when none is configured
 * (all are off by default).
 */
export function createForwarderFromConfig(
  forward: Config['audit']['forward'],
  logger: Logger,
): AuditForwarder | null {
  const onError = (reason: string) => logger.warn('audit forwarding dropped entries', { reason });
  const transports: QueuedTransport[] = [];
  const maxQueue = forward.max_queue;
  if (forward.file.path) transports.push(new FileTransport(forward.file.path, { maxQueue, onError }));
  if (forward.syslog.host) {
    transports.push(
      new SyslogTransport({
        host: forward.syslog.host,
        port: forward.syslog.port,
        protocol: forward.syslog.protocol,
        appName: forward.syslog.app_name,
        facility: forward.syslog.facility,
        maxQueue,
        retries: 2,
        onError,
      }),
    );
  }
  if (forward.http.url) {
    transports.push(
      new HttpTransport({
        url: forward.http.url,
        ...(forward.http.authorization ? { authorization: forward.http.authorization } : {}),
        timeoutMs: forward.http.timeout,
        retries: forward.http.retries,
        batchSize: forward.http.batch_size,
        maxQueue,
        onError,
      }),
    );
  }
  return transports.length > 0 ? createWinstonForwarder(transports, logger) : null;
}

/** The file signer for `certs_dir/<audit.key_file>` (generated on first use). */
export function createFileSigner(config: Pick<Config, 'certs_dir' | 'audit'>): AuditSigner {
  return createKeySigner(
    loadOrCreateAuditKey({ certsDir: config.certs_dir, keyFile: config.audit.key_file }),
  );
}

/** Wires the audit log from the configuration (for the composition root). */
export function openAuditLog(deps: {
  config: Pick<Config, 'certs_dir' | 'audit'>;
  store: Store;
  clock: Clock;
  logger: Logger;
}): AuditLog {
  const forwarder = createForwarderFromConfig(deps.config.audit.forward, deps.logger);
  return createAuditLog({
    store: deps.store,
    signer: createFileSigner(deps.config),
    clock: deps.clock,
    logger: deps.logger,
    config: deps.config.audit,
    forwarders: forwarder ? [forwarder] : [],
  });
}
