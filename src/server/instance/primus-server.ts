/** The `primus` package (CommonJS, untyped) seen through the few members the server uses. */
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

export interface Spark {
  readonly id: string;
  /** The parsed query string of the socket URL. */
  readonly query: Record<string, string | string[] | undefined>;
  /** Trusts proxy headers from anyone: use `request` with clientAddress() instead. */
  readonly address: { ip: string; port: number };
  /** The upgrade request the socket came with. */
  readonly request: IncomingMessage;
  write(data: unknown): boolean;
  end(data?: unknown, options?: { reconnect?: boolean }): Spark;
  on(event: 'data', listener: (data: unknown, raw: unknown) => void): Spark;
  on(event: 'end', listener: () => void): Spark;
  on(event: 'error', listener: (error: Error) => void): Spark;
}

export interface PrimusServer {
  on(event: 'connection', listener: (spark: Spark) => void): PrimusServer;
  on(event: 'log', listener: (level: string, ...args: unknown[]) => void): PrimusServer;
  on(event: 'error', listener: (error: Error) => void): PrimusServer;
  destroy(options: { close?: boolean; timeout?: number }, done?: () => void): void;
  /**
   * Adds a middleware layer, or replaces the one of the same name (`authorization` is Primus' own).
   * It runs before every request and upgrade Primus takes; for an upgrade `res` is the socket.
   */
  use(name: string, layer: (req: IncomingMessage, res: ServerResponse | Duplex, next: () => void) => void): void;
}

type PrimusConstructor = new (server: HttpServer, options: Record<string, unknown>) => PrimusServer;

const require = createRequire(import.meta.url);

export function createPrimusServer(server: HttpServer, options: Record<string, unknown>): PrimusServer {
  const Primus = require('primus') as PrimusConstructor;
  return new Primus(server, options);
}
