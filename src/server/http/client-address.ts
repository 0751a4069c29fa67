/** What a request says of its client, its address and scheme; proxy headers are trusted only when asked. */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * The client's address: the TCP peer, or with `trustProxy` the address the nearest proxy saw (the
 * last valid entry of `X-Forwarded-For`; earlier entries are whatever the client wrote).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const direct = req.socket.remoteAddress ?? 'unknown';
  if (!trustProxy) return direct;
  const header = req.headers['x-forwarded-for'];
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return direct;
  const last = text.split(',').at(-1)?.trim() ?? '';
  return isIP(last) ? last : direct;
}

/** Whether the client reached us over TLS: the socket, or with `trustProxy` the proxy's `X-Forwarded-Proto`. */
export function requestIsSecure(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as TLSSocket).encrypted === true) return true;
  if (!trustProxy) return false;
  const header = req.headers['x-forwarded-proto'];
  const text = Array.isArray(header) ? header.join(',') : header;
  // The nearest proxy's value is the last one.
  return text?.split(',').at(-1)?.trim().toLowerCase() === 'https';
}
