import type { AuditLog } from '../../audit';
import type { Certificate, CriticalOptions } from '../../ca';
import type { Clock, Random } from '../../core';
import type { Logger } from '../../logging';
import type { Candidate, GrantDirectory, SessionHooks } from '../grants';
import type { HostDirectory } from '../hosts';
import type { LiveHub } from '../sessions/live';
import type { SessionRegistry } from '../sessions/registry';
import type { TargetRequest } from '../target';
import type { RecorderDeps } from './session-recorder';
import type { UpstreamIssuer } from './upstream-cert';

/** Everything a gateway connection uses, resolved once at start-up. */
export interface GatewayRuntime {
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly grants: GrantDirectory;
  readonly hosts: HostDirectory;
  readonly issuer: UpstreamIssuer;
  readonly registry: SessionRegistry;
  readonly live: LiveHub;
  readonly hooks: SessionHooks;
  readonly recorder: RecorderDeps;
  /** This replica's name in live-session records. */
  readonly replica: string;
  readonly upstream: {
    readonly readyMs: number;
    readonly keepaliveMs: number;
    readonly keepaliveCountMax: number;
    readonly ciphers: readonly string[];
  };
  readonly idleTimeoutMs: number;
  readonly menuTimeoutMs: number;
}

/** What authentication established about a connection. */
export interface AuthenticatedUser {
  readonly certificate: Certificate;
  readonly options: CriticalOptions;
  readonly target: TargetRequest;
  readonly candidates: readonly Candidate[];
  readonly clientAddress: string;
  /** The SSH user name as typed. */
  readonly username: string;
}
