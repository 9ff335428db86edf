import { createHmac } from 'node:crypto';
import type { Config } from '../config';
import { randomId, type Clock, type Random } from '../core';
import type { Logger } from '../logging';
import type { NotificationDraft, NotificationEvent } from './transition';

type NotificationsConfig = Config['access']['notifications'];
type Webhook = NotificationsConfig['webhooks'][number];

export const SIGNATURE_HEADER = 'x-breakglass-signature';
export const TIMESTAMP_HEADER = 'x-breakglass-timestamp';
export const EVENT_HEADER = 'x-breakglass-event';
export const DELIVERY_HEADER = 'x-breakglass-delivery';

export interface Notifier {
  /** Queues deliveries to every target of the event; returns at once (never blocks the caller). */
  notify(n: NotificationDraft): void;
  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  idle(): Promise<void>;
  stats(): { delivered: number; failed: number; dropped: number; retried: number; queued: number };
  close(): Promise<void>;
}

interface Delivery {
  readonly id: string;
  readonly hook: Webhook;
  readonly body: string;
  readonly event: NotificationEvent;
  attempts: number;
}

/** The signature a receiver recomputes: HMAC-SHA256(secret, `${timestamp}.${body}`) in hex. */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

function slackText(event: NotificationEvent, data: Record<string, unknown>): string {
  const who = String(data.requester ?? '');
  const hosts = Array.isArray(data.hosts) ? (data.hosts as string[]).join(', ') : String(data.host ?? '');
  const login = data.login ? `${String(data.login)}@` : '';
  const reason = data.reason ? ` — “${String(data.reason).slice(0, 300)}”` : '';
  switch (event) {
    case 'request.created':
      return `:key: ${who} asks for ${login}${hosts}${reason} (request ${String(data.request_id)})`;
    case 'request.reviewed':
      return `:white_check_mark: ${String(data.reviewer)} ${data.verdict === 'deny' ? 'denied' : 'approved'} ${who}'s request for ${login}${hosts} (${String(data.status)})`;
    case 'emergency.activated':
      return `:rotating_light: EMERGENCY access: ${who} broke the glass for ${login}${hosts}${reason} until ${String(data.grant_ends_at)} (request ${String(data.request_id)})`;
    case 'grant.revoked':
      return `:no_entry: grant ${String(data.request_id)} (${who}, ${login}${hosts}) revoked by ${String(data.revoked_by)}`;
    case 'host.tainted':
      return `:warning: host ${String(data.host)} was touched by a human session (${String(data.session_id)}) and should be replaced`;
  }
}

/** The body sent to a webhook for one notification. */
export function renderPayload(
  format: 'json' | 'slack',
  delivery: { id: string; event: NotificationEvent; time: string; data: Record<string, unknown> },
): string {
  if (format === 'slack') {
    const text = slackText(delivery.event, delivery.data);
    return JSON.stringify({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
  }
  return JSON.stringify({ id: delivery.id, event: delivery.event, time: delivery.time, data: delivery.data });
}

/**
 * Webhook notifications: an in-memory queue per target on each replica, a few deliveries in flight per target,
 * each retried with exponential backoff and jitter up to `max_attempts`. Delivery is
 * at least once while the process lives; a restart loses what was still queued (the
 * audit log is the durable record).
 */
export function createNotifier(deps: {
  config: NotificationsConfig;
  logger: Logger;
  clock: Clock;
  random: Random;
  concurrency?: number;
}): Notifier {
  const { config, logger, clock, random } = deps;
  const concurrency = deps.concurrency ?? 2;
  // One queue per target, so a dead or slow target never delays the others.
  const lanes = new Map<string, { queue: Delivery[]; inFlight: number }>();
  const timers = new Set<NodeJS.Timeout>();
  const controllers = new Set<AbortController>();
  let queued = 0;
  let inFlight = 0;
  let waiting = 0; // deliveries sleeping before a retry
  let closed = false;
  const counters = { delivered: 0, failed: 0, dropped: 0, retried: 0 };
  let idleWaiters: Array<() => void> = [];
  const byName = new Map(config.webhooks.map((h) => [h.name, h]));

  function checkIdle(): void {
    if (queued === 0 && inFlight === 0 && waiting === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  }

  function backoff(attempt: number): number {
    const base = Math.min(config.max_backoff, config.initial_backoff * 2 ** (attempt - 1));
    const jitter = (random.bytes(2).readUInt16BE(0) / 65535) * 0.25 * base;
    return Math.round(base * 0.875 + jitter);
  }

  async function send(d: Delivery): Promise<boolean> {
    const timestamp = String(Math.floor(clock.now() / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'breakglass-webhook',
      [EVENT_HEADER]: d.event,
      [DELIVERY_HEADER]: d.id,
      [TIMESTAMP_HEADER]: timestamp,
    };
    if (d.hook.secret) headers[SIGNATURE_HEADER] = signPayload(d.hook.secret, timestamp, d.body);
    const controller = new AbortController();
    controllers.add(controller);
    const timer = setTimeout(() => controller.abort(), config.timeout);
    try {
      const res = await fetch(d.hook.url, {
        method: 'POST',
        headers,
        body: d.body,
        signal: controller.signal,
        redirect: 'manual',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return true;
      logger.warn('webhook delivery refused', {
        target: d.hook.name,
        event: d.event,
        status: res.status,
        attempt: d.attempts,
      });
      return false;
    } catch (err) {
      logger.warn('webhook delivery failed', {
        target: d.hook.name,
        event: d.event,
        error: (err as Error).message,
        attempt: d.attempts,
      });
      return false;
    } finally {
      clearTimeout(timer);
      controllers.delete(controller);
    }
  }

  function lane(name: string) {
    let l = lanes.get(name);
    if (!l) lanes.set(name, (l = { queue: [], inFlight: 0 }));
    return l;
  }

  function pump(l: { queue: Delivery[]; inFlight: number }): void {
    while (!closed && l.inFlight < concurrency && l.queue.length > 0) {
      const d = l.queue.shift()!;
      queued--;
      l.inFlight++;
      inFlight++;
      d.attempts++;
      void send(d).then((ok) => {
        l.inFlight--;
        inFlight--;
        if (ok) counters.delivered++;
        else if (d.attempts >= config.max_attempts || closed) {
          counters.failed++;
          logger.error('webhook delivery gave up', {
            target: d.hook.name,
            event: d.event,
            attempts: d.attempts,
            delivery: d.id,
          });
        } else {
          counters.retried++;
          waiting++;
          const t = setTimeout(() => {
            timers.delete(t);
            waiting--;
            enqueue(d);
          }, backoff(d.attempts));
          t.unref();
          timers.add(t);
        }
        pump(l);
        checkIdle();
      });
    }
  }

  function enqueue(d: Delivery): void {
    if (closed) return;
    const l = lane(d.hook.name);
    if (l.queue.length >= config.queue_limit) {
      const lost = l.queue.shift()!;
      queued--;
      counters.dropped++;
      logger.error('webhook queue full: dropped the oldest delivery', {
        target: lost.hook.name,
        event: lost.event,
      });
    }
    l.queue.push(d);
    queued++;
    pump(l);
  }

  return {
    notify(n) {
      if (closed) return;
      const time = new Date(clock.now()).toISOString();
      const targets = new Map<string, Webhook>();
      for (const h of config.webhooks)
        if ((h.events as readonly string[]).includes(n.event)) targets.set(h.name, h);
      for (const name of n.targets ?? []) {
        const h = byName.get(name);
        if (h) targets.set(name, h);
        else
          logger.warn('a policy names a notification target that is not configured', {
            target: name,
            event: n.event,
          });
      }
      for (const hook of targets.values()) {
        const id = randomId(random, 12);
        enqueue({
          id,
          hook,
          event: n.event,
          attempts: 0,
          body: renderPayload(hook.format, { id, event: n.event, time, data: n.data }),
        });
      }
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      }),
    stats: () => ({ ...counters, queued: queued + waiting + inFlight }),
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const c of controllers) c.abort();
      for (const l of lanes.values()) l.queue.length = 0;
      queued = 0;
      waiting = 0;
      // Aborted deliveries settle at once; wait for them so nothing runs after close.
      await new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      });
    },
  };
}
