/** The server's structured logger (pino). Tokens never reach it: callers log ids, not credentials. */
import { type Logger, pino } from 'pino';
import type { LogLevel } from './options.js';

export type { Logger };

export function createLogger(level: LogLevel): Logger {
  return pino({
    name: 'ir-rooms',
    level,
    // A safety net in case a query or header object is ever logged whole.
    redact: {
      paths: ['token', 'accessToken', '*.token', '*.accessToken', 'authorization', '*.authorization'],
      censor: '[redacted]',
    },
  });
}
