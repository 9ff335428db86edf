import winston from 'winston';
import type Transport from 'winston-transport';
import { createRedactor } from './redact';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level?: 'error' | 'warn' | 'info' | 'debug';
  format?: 'json' | 'pretty';
  /** Configured secret values (passwords, client secrets) to scrub from every line. */
  secrets?: readonly string[];
  /** Where lines go; default: one Console transport writing to stderr. */
  transports?: Transport[];
  /** Fields on every line (e.g. `{ component: 'serve' }`). */
  defaultMeta?: Record<string, unknown>;
}

const LEVEL_SYMBOL = Symbol.for('level');
const MESSAGE_SYMBOL = Symbol.for('message');

/**
 * Structured logger. Every line is redacted (configured secret values, secret-looking
 * keys, bearer tokens, private key blocks) before any transport sees it. Use
 * `logger.child({ requestId })` / `child({ sessionId })` so every line carries its id.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const redact = createRedactor(options.secrets ?? []);
  const redaction = winston.format((info) => {
    const clean = redact({ ...info }) as winston.Logform.TransformableInfo;
    // winston keeps level/message under symbols too; carry them over.
    (clean as unknown as Record<symbol, unknown>)[LEVEL_SYMBOL] = (
      info as unknown as Record<symbol, unknown>
    )[LEVEL_SYMBOL];
    const message = (info as unknown as Record<symbol, unknown>)[MESSAGE_SYMBOL];
    if (message !== undefined)
      (clean as unknown as Record<symbol, unknown>)[MESSAGE_SYMBOL] = redact(message);
    return clean;
  });
  const output =
    options.format === 'pretty'
      ? winston.format.printf((info) => {
          const { level, message, timestamp, ...rest } = info;
          const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
          return `${String(timestamp)} ${level}: ${String(message)}${extra}`;
        })
      : winston.format.json();
  return winston.createLogger({
    level: options.level ?? 'info',
    defaultMeta: options.defaultMeta,
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      winston.format.timestamp(),
      redaction(),
      output,
    ),
    transports: options.transports ?? [
      new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] }),
    ],
  });
}

/** A logger that writes nowhere (for tests and tools that must stay quiet). */
export function createSilentLogger(): Logger {
  return winston.createLogger({
    silent: true,
    transports: [new winston.transports.Console({ silent: true })],
  });
}
