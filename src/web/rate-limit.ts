import type { NextFunction, Request, Response } from 'express';
import { systemClock, type Clock } from '../core';
import { BreakglassError } from '../errors';
import type { Store } from '../store';

export interface RateLimitOptions {
  store: Store;
  /** Names the limit (part of the counter name). */
  name: string;
  max: number;
  windowMs: number;
  /** Who is counted; default the client address. */
  key?: (req: Request) => string;
  /** Judges the windows counted in process (embedded store); default the system clock. */
  clock?: Clock;
}

const UNSAFE_NAME_CHARS = /[^A-Za-z0-9._:@/-]/g;

/** The store counter for a client in a limit (valid store name, bounded length). */
export function rateLimitCounter(name: string, key: string): string {
  return `ratelimit:${name}:${key.replace(UNSAFE_NAME_CHARS, '_').slice(0, 120) || 'unknown'}`;
}

interface Window {
  count: number;
  endsAt: number;
}

/** Expired windows dropped per increment (oldest first), so memory follows the live windows. */
const SWEEP_PER_CALL = 8;

/**
 * Fixed windows counted in memory: the same semantics as the store's windowed
 * `increment` (a window starts at the first hit and lasts windowMs), without a
 * durable write per request.
 */
export class LocalWindowCounters {
  /** Insertion order is the order windows started in, so expired ones gather at the front. */
  private readonly windows = new Map<string, Window>();

  increment(name: string, windowMs: number, now: number): number {
    let swept = 0;
    for (const [k, w] of this.windows) {
      if (w.endsAt > now || swept++ >= SWEEP_PER_CALL) break;
      this.windows.delete(k);
    }
    const live = this.windows.get(name);
    if (live && live.endsAt > now) return ++live.count;
    this.windows.delete(name);
    this.windows.set(name, { count: 1, endsAt: now + windowMs });
    return 1;
  }

  get size(): number {
    return this.windows.size;
  }
}

/**
 * The in-process counters of an embedded store, shared by every app using that store
 * object. Attached to the store (a WeakMap, not a global table): they live and die
 * with it, and separate stores never share a budget.
 */
const embeddedCounters = new WeakMap<Store, LocalWindowCounters>();

/**
 * Where a store's rate-limit windows are counted: Redis counts them itself (one
 * INCR + PEXPIRE script, shared by every replica); the embedded store serves exactly
 * one process (its data directory is locked), so its windows are counted in that
 * process's memory instead of as one fsynced write-ahead-log record per request.
 * Trade-off, by design: a restart of an embedded node starts every window again.
 */
export function localWindowCounters(store: Store): LocalWindowCounters | null {
  if (store.driver !== 'embedded') return null;
  let counters = embeddedCounters.get(store);
  if (!counters) embeddedCounters.set(store, (counters = new LocalWindowCounters()));
  return counters;
}

/**
 * Fixed-window rate limit with one budget for every replica sharing the store. Over
 * the limit: 429 IDENTITY_RATE_LIMITED with Retry-After. A store failure fails the
 * request (closed).
 */
export function rateLimit(options: RateLimitOptions) {
  const keyOf = options.key ?? ((req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown');
  const clock = options.clock ?? systemClock;
  const local = localWindowCounters(options.store);
  const judge = (res: Response, next: NextFunction, n: number): void => {
    res.setHeader('RateLimit-Limit', String(options.max));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, options.max - n)));
    if (n > options.max) {
      const retry = Math.ceil(options.windowMs / 1000);
      res.setHeader('Retry-After', String(retry));
      next(
        new BreakglassError(
          'IDENTITY_RATE_LIMITED',
          `too many requests (${options.max} per ${retry} s from one address); try again in at most ${retry} s`,
        ),
      );
      return;
    }
    next();
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    const name = rateLimitCounter(options.name, keyOf(req));
    if (local) {
      judge(res, next, local.increment(name, options.windowMs, clock.now()));
      return;
    }
    options.store.increment(name, { windowMs: options.windowMs }).then(
      (n) => judge(res, next, n),
      (err: unknown) => next(err),
    );
  };
}
