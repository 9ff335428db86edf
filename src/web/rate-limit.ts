import type { NextFunction, Request, Response } from 'express';
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
}

const UNSAFE_NAME_CHARS = /[^A-Za-z0-9._:@/-]/g;

/** The store counter for a client in a limit (valid store name, bounded length). */
export function rateLimitCounter(name: string, key: string): string {
  return `ratelimit:${name}:${key.replace(UNSAFE_NAME_CHARS, '_').slice(0, 120) || 'unknown'}`;
}

/**
 * Fixed-window rate limit counted in the store (`increment` with a window), so every
 * replica sharing the store enforces one budget. Over the limit: 429
 * IDENTITY_RATE_LIMITED with Retry-After. A store failure fails the request (closed).
 */
export function rateLimit(options: RateLimitOptions) {
  const keyOf = options.key ?? ((req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown');
  return (req: Request, res: Response, next: NextFunction): void => {
    options.store.increment(rateLimitCounter(options.name, keyOf(req)), { windowMs: options.windowMs }).then(
      (count) => {
        res.setHeader('RateLimit-Limit', String(options.max));
        res.setHeader('RateLimit-Remaining', String(Math.max(0, options.max - count)));
        if (count > options.max) {
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
      },
      (err: unknown) => next(err),
    );
  };
}
