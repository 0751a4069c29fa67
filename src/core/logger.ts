/**
 * A namespaced logger for the browser: quiet unless enabled (`localStorage['ir-rooms:debug'] = '*'`
 * or `setLogLevel('debug')`), and never prints tokens.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
let level: LogLevel | undefined;

/** Sets the kit-wide log level; the default shows nothing but what `localStorage` enables. */
export function setLogLevel(next: LogLevel): void {
  level = next;
}

function currentLevel(): LogLevel {
  if (level) return level;
  try {
    const flag = globalThis.localStorage?.getItem('ir-rooms:debug');
    if (flag) return 'debug';
  } catch {
    // Storage may be blocked (sandboxed iframes, privacy settings): stay quiet.
  }
  return 'silent';
}

const SECRET_KEYS = /token|secret|password|credential|authorization/i;

/** Copies `value` with every token-like field masked, so a log line cannot leak credentials. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEYS.test(key) ? '[redacted]' : redact(item, depth + 1);
  }
  return out;
}

export interface Logger {
  debug(message: string, data?: unknown): void;
  info(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
  error(message: string, data?: unknown): void;
}

export function createLogger(namespace: string): Logger {
  const write = (at: Exclude<LogLevel, 'silent'>, message: string, data?: unknown) => {
    if (order[at] < order[currentLevel()]) return;
    const line = `[ir-rooms:${namespace}] ${message}`;
    if (data === undefined) console[at](line);
    else console[at](line, redact(data));
  };
  return {
    debug: (message, data) => write('debug', message, data),
    info: (message, data) => write('info', message, data),
    warn: (message, data) => write('warn', message, data),
    error: (message, data) => write('error', message, data),
  };
}
