import type { Logger } from '../../logging';
import type { EventHandler } from '../types';

/** In-process publish/subscribe (the embedded store serves one process). */
export class LocalBus {
  private readonly channels = new Map<string, Set<{ handler: EventHandler }>>();

  constructor(private readonly logger: Logger) {}

  publish(channel: string, message: string): void {
    const subs = this.channels.get(channel);
    if (!subs) return;
    for (const sub of [...subs]) {
      queueMicrotask(() => {
        if (!subs.has(sub)) return; // unsubscribed meanwhile
        try {
          sub.handler(message);
        } catch (err) {
          this.logger.warn('store: an event handler threw', { channel, error: String(err) });
        }
      });
    }
  }

  subscribe(channel: string, handler: EventHandler): () => void {
    let subs = this.channels.get(channel);
    if (!subs) this.channels.set(channel, (subs = new Set()));
    const sub = { handler };
    subs.add(sub);
    return () => {
      subs.delete(sub);
      if (subs.size === 0 && this.channels.get(channel) === subs) this.channels.delete(channel);
    };
  }

  clear(): void {
    this.channels.clear();
  }
}
