/**
 * Whole HTTP answers written straight to a socket, where no ServerResponse exists: refused
 * WebSocket upgrades and requests node's parser rejects. The bodies are the JSON error body every
 * other answer has (`{status, code, message, retryAfter?}`).
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorBody } from '../../protocol/index.js';

/** `HTTP/1.1 <status>` with a JSON error body and `connection: close`. */
export function rawJsonAnswer(body: ErrorBody, headers: Record<string, string> = {}): string {
  const json = JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status] ?? ''}`,
    'connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(json)}`,
  ];
  return `${head.join('\r\n')}\r\n\r\n${json}`;
}

export const MALFORMED_REQUEST_ANSWER = rawJsonAnswer({
  status: 400,
  code: 'BAD_REQUEST',
  message: 'malformed HTTP request',
});

export const SHUTTING_DOWN_UPGRADE_ANSWER = rawJsonAnswer(
  { status: 503, code: 'NO_CAPACITY', message: 'the server is shutting down', retryAfter: 1 },
  { 'retry-after': '1' },
);

export const ORIGIN_REFUSED_BODY: ErrorBody = {
  status: 403,
  code: 'FORBIDDEN',
  message: 'this origin may not open sockets (see --cors-origin)',
};

export const ORIGIN_REFUSED_UPGRADE_ANSWER = rawJsonAnswer(ORIGIN_REFUSED_BODY);
