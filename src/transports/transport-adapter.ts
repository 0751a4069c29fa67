/**
 * The adapter contract: how the connection joins a provisioned instance. An adapter resolves
 * `connect()` once the instance accepted the peer, then reports presence, messages and the end of
 * the link through the callbacks. Adapters import no Lit and hold no page-wide state.
 */
import type { IrError } from '../core/errors.js';
import type { InstanceSpec, Peer, PeerMessage, SendOptions } from '../core/instance-spec.js';
import type { ProvisionedInstance } from '../protocol/index.js';

/** Why a link ended, so the connection can choose: reconnect, provision again, or give up. */
export interface TransportClose {
  /** The server's close reason when it sent one (`CloseMessage`). */
  reason?: string;
  /** The error that ended the link, if any. */
  error?: IrError;
  /** True when the instance is gone (ended, shut down, not ready): provision again. */
  reprovision: boolean;
}

export interface TransportCallbacks {
  peerJoined(peer: Peer): void;
  peerLeft(peer: Peer): void;
  message(message: PeerMessage): void;
  /** Called once when the link ends by itself (never after `close()`). */
  closed(info: TransportClose): void;
}

export interface TransportContext {
  peerID: string;
  token: string;
  spec: InstanceSpec;
  /** Aborts the connect attempt; after `connect()` resolved, `close()` ends the link. */
  signal: AbortSignal;
  callbacks: TransportCallbacks;
}

export interface TransportHandle {
  /** Our index in the instance, as the host assigned it. */
  readonly peerIndex: number;
  /** The peers already there when we joined (not us). */
  readonly peers: readonly Peer[];
  send(data: unknown, options?: SendOptions): Promise<void>;
  /** Ends the link; safe to call twice. */
  close(): void;
}

export interface TransportAdapter {
  readonly name: string;
  connect(instance: ProvisionedInstance, context: TransportContext): Promise<TransportHandle>;
}
