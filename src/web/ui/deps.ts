import type { Access } from '../../access';
import type { AuditLog } from '../../audit';
import type { Config } from '../../config';
import type { Clock } from '../../core';
import type { Logger } from '../../logging';
import type { PolicyStore } from '../../policy';
import type { Store } from '../../store';

/** One channel of a live gateway connection (a shell, an exec or an sftp session). */
export interface LiveChannelView {
  readonly id: string;
  readonly kind: 'shell' | 'exec' | 'sftp';
  readonly pty: boolean;
  readonly command?: string;
  readonly startedAt: number;
}

/** A live gateway connection as the session registry keeps it. */
export interface LiveSessionView {
  readonly id: string;
  readonly replica: string;
  readonly user: string;
  readonly host: string;
  readonly login: string;
  readonly grant: string;
  readonly clientAddress: string;
  readonly startedAt: number;
  readonly lastActivityAt: number;
  readonly channels: readonly LiveChannelView[];
}

/** What the pages need of the SSH gateway (its `Gateway` object satisfies it). */
export interface GatewayView {
  /** Where users connect (host name and port), for the ssh command and known_hosts line. */
  readonly address: { readonly host: string; readonly port: number };
  /** The gateway's known_hosts line. */
  readonly knownHostsLine: string;
  readonly sessions: {
    list(): Promise<readonly LiveSessionView[]>;
    find(id: string): Promise<LiveSessionView | null>;
    kill(id: string, by: string, reason?: string): Promise<void>;
    watch(sessionId: string, opts?: { signal?: AbortSignal; viewer?: string }): AsyncIterableIterator<string>;
  };
}

export interface UiDeps {
  access: Access;
  policy: PolicyStore;
  /** The audit log (its public key checks checkpoints; entries are read from the store). */
  audit: Pick<AuditLog, 'publicKey'>;
  store: Store;
  config: Readonly<Config>;
  clock: Clock;
  logger: Logger;
  /** The gateway of this node once it runs (null: not running; its pages say so). */
  gateway?: () => GatewayView | null;
}
