import type { Logger } from '../../logging';
import type { EventHandler, Unsubscribe } from '../types';
import { closeClient, waitReady, within, type Client } from './connection';

interface Channel {
  subs: Set<{ handler: EventHandler }>;
  /** The SUBSCRIBE of this channel; every subscriber waits for it. */
  ready: Promise<void>;
}

/**
 * Publish/subscribe across replicas on a dedicated connection (a subscribed Redis
 * connection cannot run other commands). ioredis subscribes again to every channel
 * after a reconnection; messages published while disconnected are lost (the
 * contract is at most once).
 */
export class RedisBus {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly sub: Client,
    private readonly prefix: string,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {
    sub.on('message', (full: string, message: string) => this.deliver(full, message));
  }

  /** Whether the event connection is up (waiting for a first connection attempt, not for a reconnection). */
  async connected(): Promise<boolean> {
    const status = this.sub.status;
    if (status === 'ready') return true;
    if (status === 'reconnecting' || status === 'end' || status === 'close') return false;
    return waitReady(this.sub, this.timeoutMs, 'event connection').then(
      () => true,
      () => false,
    );
  }

  private deliver(full: string, message: string): void {
    const ch = this.channels.get(full);
    if (!ch) return;
    for (const sub of [...ch.subs]) {
      try {
        sub.handler(message);
      } catch (err) {
        this.logger.warn('store: an event handler threw', {
          channel: full.slice(this.prefix.length),
          error: String(err),
        });
      }
    }
  }

  async subscribe(channel: string, handler: EventHandler): Promise<Unsubscribe> {
    const full = this.prefix + channel;
    let ch = this.channels.get(full);
    if (!ch) {
      const ready = (async () => {
        const started = performance.now();
        await waitReady(this.sub, this.timeoutMs, `subscribe to ${channel}`);
        await within(
          this.sub.subscribe(full),
          this.timeoutMs - (performance.now() - started),
          `subscribe to ${channel}`,
        );
      })();
      const created: Channel = { subs: new Set(), ready };
      ready.catch(() => {
        if (this.channels.get(full) === created) this.channels.delete(full);
      });
      this.channels.set(full, (ch = created));
    }
    const entry = { handler };
    ch.subs.add(entry);
    try {
      await ch.ready;
    } catch (err) {
      ch.subs.delete(entry);
      throw err;
    }
    const owner = ch;
    return async () => {
      owner.subs.delete(entry);
      if (owner.subs.size > 0 || this.channels.get(full) !== owner) return;
      this.channels.delete(full);
      // If Redis is down now, the channel stays subscribed on the connection; its messages are dropped.
      await within(this.sub.unsubscribe(full), this.timeoutMs, `unsubscribe from ${channel}`).catch(
        (err: unknown) => this.logger.debug('store: unsubscribe failed', { channel, error: String(err) }),
      );
    };
  }

  async close(): Promise<void> {
    this.channels.clear();
    await closeClient(this.sub, this.timeoutMs);
  }
}
