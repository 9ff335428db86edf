import { randomId, type Clock, type Random } from '../../core';
import { BreakglassError } from '../../errors';
import type { Logger } from '../../logging';
import type { Store, Unsubscribe } from '../../store';
import { LineQueue } from './line-queue';

/** Pub/sub channel where viewers ask the replica that runs a session to stream it to them. */
export const WATCH_CHANNEL = 'session.watch';
const VIEWER_CHANNEL_PREFIX = 'session.live.';

/** What a live session offers viewers: the recording's lines, header first (`RecordingWriter.subscribe`). */
export interface LiveSource {
  subscribe(listener: (line: string) => void): () => void;
}

export interface WatchOptions {
  /** Stops watching. */
  readonly signal?: AbortSignal;
  /** Who watches (for the log). */
  readonly viewer?: string;
}

/**
 * Live viewing of sessions from any replica. Yields the session recording's asciicast
 * lines (without their newline): the header first, then every event as it is recorded,
 * and ends when the session ends. Authorisation (security reviewers only) is the
 * caller's: the web layer checks the permission before calling `watch`.
 */
export interface LiveHub {
  /** Makes a session of this replica watchable; call the result when it ends (viewers then finish). */
  register(sessionId: string, source: LiveSource): () => void;
  watch(sessionId: string, opts?: WatchOptions): AsyncIterableIterator<string>;
  /** Sessions of this replica being watched, and by how many viewers. */
  viewers(sessionId: string): number;
  close(): Promise<void>;
}

export interface LiveHubDeps {
  store: Pick<Store, 'publish' | 'subscribe'>;
  clock: Clock;
  random: Random;
  logger: Logger;
  maxViewers: number;
  bufferLines: number;
  leaseMs: number;
  /** How long a remote viewer waits for the session's header before giving up (default 5 s). */
  findTimeoutMs?: number;
}

interface Forward {
  unsubscribe: () => void;
  until: number;
}

interface Local {
  source: LiveSource;
  queues: Set<LineQueue>;
  forwards: Map<string, Forward>;
}

type WireMessage = { l: string } | { end: true; reason?: string };

function strip(line: string): string {
  return line.endsWith('\n') ? line.slice(0, -1) : line;
}

export async function createLiveHub(deps: LiveHubDeps): Promise<LiveHub> {
  const { store, clock, logger } = deps;
  const local = new Map<string, Local>();
  const findTimeout = deps.findTimeoutMs ?? 5000;

  const countViewers = (l: Local) => l.queues.size + l.forwards.size;

  const publish = (channel: string, msg: WireMessage) =>
    store
      .publish(channel, JSON.stringify(msg))
      .catch((err: unknown) =>
        logger.warn('live session stream could not be published', { error: (err as Error).message }),
      );

  // The owner side: stream a local session to a viewer on another replica while its lease lasts.
  const onWatch = (text: string) => {
    let req: { session?: unknown; channel?: unknown };
    try {
      req = JSON.parse(text) as typeof req;
    } catch {
      return;
    }
    if (typeof req.session !== 'string' || typeof req.channel !== 'string') return;
    if (!req.channel.startsWith(VIEWER_CHANNEL_PREFIX) || req.channel.length > 200) return;
    const l = local.get(req.session);
    if (!l) return;
    const existing = l.forwards.get(req.channel);
    const until = clock.now() + deps.leaseMs;
    if (existing) {
      existing.until = until;
      return;
    }
    if (countViewers(l) >= deps.maxViewers) {
      void publish(req.channel, { end: true, reason: 'too many viewers' });
      return;
    }
    const channel = req.channel;
    const unsubscribe = l.source.subscribe((line) => void publish(channel, { l: strip(line) }));
    l.forwards.set(channel, { unsubscribe, until });
  };
  const unsubscribeWatch: Unsubscribe = await store.subscribe(WATCH_CHANNEL, onWatch);

  const sweep = setInterval(
    () => {
      const now = clock.now();
      for (const l of local.values())
        for (const [channel, f] of l.forwards)
          if (f.until < now) {
            f.unsubscribe();
            l.forwards.delete(channel);
          }
    },
    Math.max(250, Math.floor(deps.leaseMs / 3)),
  );
  sweep.unref();

  function watchLocal(sessionId: string, l: Local, opts: WatchOptions): AsyncIterableIterator<string> {
    let unsubscribe = () => {};
    const queue = new LineQueue(deps.bufferLines, () => {
      unsubscribe();
      l.queues.delete(queue);
      opts.signal?.removeEventListener('abort', abort);
    });
    const abort = () => void queue.return();
    l.queues.add(queue);
    unsubscribe = l.source.subscribe((line) => queue.push(strip(line)));
    opts.signal?.addEventListener('abort', abort, { once: true });
    logger.info('live session watched', { session: sessionId, viewer: opts.viewer });
    return queue;
  }

  function watchRemote(sessionId: string, opts: WatchOptions): AsyncIterableIterator<string> {
    const channel = `${VIEWER_CHANNEL_PREFIX}${randomId(deps.random, 12)}`;
    let unsubscribe: Unsubscribe | undefined;
    let heard = false;
    const timers: NodeJS.Timeout[] = [];
    const queue = new LineQueue(deps.bufferLines, () => {
      for (const t of timers) clearInterval(t);
      opts.signal?.removeEventListener('abort', abort);
      void unsubscribe?.().catch(() => undefined);
    });
    const abort = () => void queue.return();
    opts.signal?.addEventListener('abort', abort, { once: true });
    const request = () =>
      store
        .publish(WATCH_CHANNEL, JSON.stringify({ session: sessionId, channel }))
        .catch((err: unknown) => queue.fail(err));
    store
      .subscribe(channel, (text) => {
        let msg: WireMessage;
        try {
          msg = JSON.parse(text) as WireMessage;
        } catch {
          return;
        }
        heard = true;
        if ('l' in msg && typeof msg.l === 'string') queue.push(msg.l);
        else if ('end' in msg) {
          if (msg.reason === 'too many viewers')
            queue.fail(
              new BreakglassError(
                'PROXY_TOO_MANY_VIEWERS',
                `session ${sessionId} has the most viewers allowed`,
              ),
            );
          else queue.end();
        }
      })
      .then(
        (unsub) => {
          unsubscribe = unsub;
          void request();
          const renew = setInterval(() => void request(), Math.max(250, Math.floor(deps.leaseMs / 3)));
          renew.unref();
          const give = setTimeout(() => {
            if (!heard)
              queue.fail(
                new BreakglassError('PROXY_SESSION_NOT_FOUND', `no live session ${sessionId} on any replica`),
              );
          }, findTimeout);
          give.unref();
          timers.push(renew, give);
        },
        (err: unknown) => queue.fail(err),
      );
    return queue;
  }

  return {
    register(sessionId, source) {
      const l: Local = { source, queues: new Set(), forwards: new Map() };
      local.set(sessionId, l);
      return () => {
        if (local.get(sessionId) !== l) return;
        local.delete(sessionId);
        for (const q of [...l.queues]) q.end();
        for (const [channel, f] of l.forwards) {
          f.unsubscribe();
          void publish(channel, { end: true });
        }
        l.forwards.clear();
      };
    },
    watch(sessionId, opts = {}) {
      if (deps.maxViewers === 0)
        throw new BreakglassError(
          'PROXY_LIVE_DISABLED',
          'watching live sessions is turned off (proxy.live.max_viewers is 0)',
        );
      const l = local.get(sessionId);
      if (l) {
        if (countViewers(l) >= deps.maxViewers)
          throw new BreakglassError(
            'PROXY_TOO_MANY_VIEWERS',
            `session ${sessionId} has the most viewers allowed`,
          );
        return watchLocal(sessionId, l, opts);
      }
      return watchRemote(sessionId, opts);
    },
    viewers(sessionId) {
      const l = local.get(sessionId);
      return l ? countViewers(l) : 0;
    },
    async close() {
      clearInterval(sweep);
      for (const [id, l] of local) {
        for (const q of [...l.queues]) q.end();
        for (const f of l.forwards.values()) f.unsubscribe();
        local.delete(id);
      }
      await unsubscribeWatch();
    },
  };
}
