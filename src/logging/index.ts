export { createLogger, createSilentLogger, type Logger, type LoggerOptions } from './logger';
export { createRedactor, REDACTED, SECRET_KEY_RE } from './redact';
