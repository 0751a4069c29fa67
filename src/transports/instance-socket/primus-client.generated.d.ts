// Types for the generated Primus browser client (see scripts/generate-primus-client.mjs).
export interface PrimusSocket {
  write(data: unknown): boolean;
  end(data?: unknown): PrimusSocket;
  destroy(): void;
  on(event: 'open' | 'end' | 'close' | 'reconnect', listener: () => void): PrimusSocket;
  on(event: 'data', listener: (data: unknown) => void): PrimusSocket;
  on(event: 'error', listener: (error: Error) => void): PrimusSocket;
  on(event: string, listener: (...args: unknown[]) => void): PrimusSocket;
  off(event: string, listener?: (...args: unknown[]) => void): PrimusSocket;
}

export interface PrimusOptions {
  /** false disables Primus' own reconnection: the kit's connection owns that policy. */
  strategy?: false | string;
  manual?: boolean;
  timeout?: number | false;
  pingTimeout?: number | false;
  websockets?: boolean;
}

declare const Primus: new (url: string, options?: PrimusOptions) => PrimusSocket;
export default Primus;
