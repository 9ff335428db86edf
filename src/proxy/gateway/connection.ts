import type { Client, Connection, ServerChannel } from 'ssh2';
import { fingerprint } from '../../ca';
import { BreakglassError, isBreakglassError } from '../../errors';
import type { Candidate, GatewayGrant } from '../grants';
import { grantProblem } from '../grants';
import type { TargetHost } from '../hosts';
import type { LiveChannel, LiveSessionRecord } from '../sessions/registry';
import { connectUpstream } from '../upstream';
import { GatewayAgent } from './agent';
import { relayHostChannels } from './forwarding';
import { disconnectWithReason } from './ssh2-server-internals';
import type { AuthenticatedUser, GatewayRuntime } from './runtime';
import type { SessionIdentity, SessionRecorder } from './session-recorder';

/** A recorded channel of the connection. */
export interface ActiveSession {
  readonly info: LiveChannel;
  readonly recorder: SessionRecorder;
  readonly down: ServerChannel;
}

export function describeError(err: unknown): string {
  if (isBreakglassError(err)) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * One user connection to the gateway: the grant and host it was for, its one upstream
 * connection (logged in with a per-session certificate), its recorded sessions, and the
 * reasons it may be ended (grant end or revocation, a reviewer, idle time, either side
 * closing). Channel handling lives in `session-channel.ts` and `forwarding.ts`.
 */
export class GatewayConnection {
  private chosenCandidate: Candidate | undefined;
  private currentGrant: GatewayGrant | undefined;
  private targetHost: TargetHost | undefined;
  private upstreamPromise: Promise<Client> | undefined;
  private upstreamClient: Client | undefined;
  private serial: string | undefined;
  private channelNo = 0;
  private readonly sessionIds: string[] = [];
  readonly sessions = new Map<string, ActiveSession>();
  private lastActivity: number;
  private endReason: string | undefined;
  private endPromise: Promise<void> | undefined;
  readonly startedAt: number;
  /** Messages for the user shown on the next session channel (refused forwarding…). */
  readonly notices: string[] = [];
  /** The client asked for agent forwarding on some session (ssh -A). */
  agentRequested = false;

  constructor(
    readonly rt: GatewayRuntime,
    readonly client: Connection,
    readonly auth: AuthenticatedUser,
    readonly id: string,
  ) {
    this.startedAt = rt.clock.now();
    this.lastActivity = this.startedAt;
  }

  get chosen(): Candidate | undefined {
    return this.chosenCandidate;
  }

  get grant(): GatewayGrant | undefined {
    return this.currentGrant;
  }

  /** The user's TCP socket (ssh2 keeps it private). */
  get socket(): { cork(): void; uncork(): void } | undefined {
    const sock = (this.client as unknown as { _sock?: { cork?: unknown; uncork?: unknown } })._sock;
    return sock && typeof sock.cork === 'function' && typeof sock.uncork === 'function'
      ? (sock as { cork(): void; uncork(): void })
      : undefined;
  }

  get user(): string {
    return this.auth.candidates[0]?.grant.user ?? 'unknown';
  }

  get ended(): boolean {
    return this.endReason !== undefined;
  }

  touch(): void {
    this.lastActivity = this.rt.clock.now();
  }

  /** Picks the target (directly, or from the menu) and starts logging in to it. */
  choose(candidate: Candidate): void {
    if (this.chosenCandidate) return;
    this.chosenCandidate = candidate;
    this.currentGrant = candidate.grant;
    this.upstreamPromise = this.openUpstream(candidate).catch((err: unknown) => {
      const code = isBreakglassError(err) ? err.code : 'PROXY_UPSTREAM_UNREACHABLE';
      throw new BreakglassError(code, `could not log in to ${candidate.host}: ${describeError(err)}`, {
        cause: err,
      });
    });
    // A failure is reported to each channel that waits for it; the connection then ends.
    this.upstreamPromise.catch((err: unknown) => {
      this.rt.logger.warn('upstream connection failed', { connection: this.id, error: describeError(err) });
      setTimeout(
        () => void this.end(`could not connect to ${candidate.host}: ${describeError(err)}`),
        50,
      ).unref();
    });
    void this.publish();
  }

  /** The logged-in upstream client; rejects when no target was chosen or the login failed. */
  upstream(): Promise<Client> {
    if (!this.upstreamPromise)
      return Promise.reject(
        new BreakglassError('PROXY_NO_TARGET', 'no target was chosen for this connection'),
      );
    return this.upstreamPromise;
  }

  private async openUpstream(c: Candidate): Promise<Client> {
    const host = await this.rt.hosts.get(c.host);
    if (!host)
      throw new BreakglassError('PROXY_UNKNOWN_HOST', `host ${c.host} is not in the inventory`, {
        details: { host: c.host },
      });
    this.targetHost = host;
    const credential = await this.rt.issuer.issue({
      user: c.grant.user,
      grantId: c.grant.id,
      sessionId: this.id,
      login: c.grant.login,
      grantStartsAt: c.grant.startsAt,
      grantEndsAt: c.grant.endsAt,
      constraints: c.grant.constraints,
    });
    const cert = credential.certificate;
    await this.rt.hooks.onUpstreamCertificate?.({
      grantId: c.grant.id,
      serial: cert.serial.toString(),
      keyId: cert.certificate.keyId,
      fingerprint: fingerprint(cert.certificate.key),
      validBefore: Number(cert.certificate.validBefore) * 1000,
    });
    this.serial = cert.serial.toString();
    const agent = c.grant.constraints.agentForwarding ? new GatewayAgent(this.client) : undefined;
    const client = await connectUpstream({
      host: host.address,
      port: host.port,
      username: c.grant.login,
      privateKey: credential.privateKey,
      certificate: credential.certificate.line,
      hostKeyVerifier: host.verifyHostKey,
      timeouts: {
        readyMs: this.rt.upstream.readyMs,
        keepaliveMs: this.rt.upstream.keepaliveMs,
        keepaliveCountMax: this.rt.upstream.keepaliveCountMax,
      },
      algorithms: { cipher: [...this.rt.upstream.ciphers] as never },
      ...(agent ? { agent } : {}),
    });
    if (this.ended) {
      client.end();
      throw new BreakglassError('PROXY_SESSION_ENDED', `the connection ended: ${this.endReason ?? ''}`);
    }
    this.upstreamClient = client;
    client.setNoDelay(true);
    client.on('error', (err: Error) =>
      this.rt.logger.warn('upstream connection error', { connection: this.id, error: err.message }),
    );
    client.on('close', () => void this.end(`${c.host} closed the connection`));
    relayHostChannels(this, client);
    this.rt.logger.info('upstream connected', {
      connection: this.id,
      host: c.host,
      login: c.grant.login,
      serial: this.serial,
    });
    return client;
  }

  /** A new session id (`<connection>-<n>`) for a channel. */
  nextSessionId(): string {
    const id = `${this.id}-${++this.channelNo}`;
    this.sessionIds.push(id);
    return id;
  }

  identity(sessionId: string): SessionIdentity {
    const c = this.chosenCandidate;
    if (!c) throw new TypeError('identity() before a target was chosen');
    return {
      sessionId,
      connectionId: this.id,
      user: c.grant.user,
      grantId: c.grant.id,
      host: c.host,
      login: c.grant.login,
      clientAddress: this.auth.clientAddress,
      upstreamSerial: this.serial ?? 'none',
      ...(c.grant.policyVersion ? { policyVersion: c.grant.policyVersion } : {}),
    };
  }

  addSession(s: ActiveSession, unregisterLive: () => void): () => void {
    this.sessions.set(s.info.id, s);
    void this.publish();
    return () => {
      unregisterLive();
      if (this.sessions.delete(s.info.id)) void this.publish();
    };
  }

  /** Writes the connection to the live-session registry (every replica sees it). */
  private async publish(): Promise<void> {
    const c = this.chosenCandidate;
    if (!c || this.ended) return;
    const record: LiveSessionRecord = {
      id: this.id,
      replica: this.rt.replica,
      user: c.grant.user,
      host: c.host,
      login: c.grant.login,
      grant: c.grant.id,
      clientAddress: this.auth.clientAddress,
      ...(this.serial ? { upstreamSerial: this.serial } : {}),
      startedAt: this.startedAt,
      lastActivityAt: this.lastActivity,
      channels: [...this.sessions.values()].map((s) => s.info),
    };
    try {
      await this.rt.registry.put(record);
    } catch (err) {
      this.rt.logger.warn('live session could not be registered', {
        connection: this.id,
        error: describeError(err),
      });
    }
  }

  /** Why the connection must end now (grant ended, idle), or null. Called by the gateway's timer. */
  overdue(now: number): string | null {
    const g = this.currentGrant;
    if (g) {
      if (now >= g.endsAt) return `grant ${g.id} ended at ${new Date(g.endsAt).toISOString()}`;
      const idle = g.constraints.idleTimeoutMs ?? this.rt.idleTimeoutMs;
      if (now - this.lastActivity >= idle) return `idle for ${Math.round(idle / 1000)} s`;
    } else if (now - this.lastActivity >= this.rt.menuTimeoutMs) {
      return 'no target was chosen in time';
    }
    return null;
  }

  /** Applies a fresh copy of the grant (re-read from the store); ends the connection when it no longer allows it. */
  refreshGrant(grant: GatewayGrant | null): void {
    const current = this.currentGrant;
    if (!current || this.ended) return;
    if (!grant) {
      void this.end(`grant ${current.id} no longer exists`);
      return;
    }
    const problem = grantProblem(grant, this.rt.clock.now());
    if (problem) {
      void this.end(problem);
      return;
    }
    // A grant may be shortened; never lengthened past what this connection was given.
    if (grant.endsAt < current.endsAt) this.currentGrant = { ...current, endsAt: grant.endsAt };
  }

  /**
   * Ends the connection: tells the user why on each open session, disconnects both
   * sides at once, then seals the recordings, removes the live record and reports the
   * end (drift/taint). Idempotent.
   */
  end(reason: string): Promise<void> {
    if (this.endPromise) return this.endPromise;
    this.endReason = reason;
    this.endPromise = this.finish(reason);
    return this.endPromise;
  }

  private async finish(reason: string): Promise<void> {
    const notice = `\r\nbreakglass: session ended: ${reason}\r\n`;
    for (const s of this.sessions.values()) {
      try {
        if (s.down.stderr.writable) s.down.stderr.write(notice);
      } catch {
        // the channel is already gone
      }
    }
    this.rt.logger.info('gateway connection ended', { connection: this.id, reason });
    // Let the notice leave before the disconnect: one turn of the event loop.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      disconnectWithReason(this.client, `breakglass: session ended: ${reason}`);
    } catch {
      // socket already closed
    }
    this.upstreamClient?.end();
    await Promise.all([...this.sessions.values()].map((s) => s.recorder.end({ reason })));
    try {
      await this.rt.registry.remove(this.id);
    } catch (err) {
      this.rt.logger.warn('live session record could not be removed (it expires)', {
        connection: this.id,
        error: describeError(err),
      });
    }
    const c = this.chosenCandidate;
    if (c && this.serial && this.rt.hooks.onSessionEnded) {
      try {
        await this.rt.hooks.onSessionEnded({
          connectionId: this.id,
          sessionIds: [...this.sessionIds],
          grantId: c.grant.id,
          user: c.grant.user,
          host: c.host,
          login: c.grant.login,
          immutable: this.targetHost?.immutable ?? c.grant.constraints.immutable,
          reason,
        });
      } catch (err) {
        this.rt.logger.error('session end hook failed', { connection: this.id, error: describeError(err) });
      }
    }
  }
}
