/**
 * The adapter contract: how the connection joins a provisioned instance. An adapter resolves
 * `connect()` once the instance accepted the peer, then reports presence, messages and the end of
 * the link through the callbacks. Adapters import no Lit and hold no page-wide state.
 */
import type { IrError } from '../core/errors.js';
import type { InstanceSpec, Peer, PeerMessage, SendOptions } from '../core/instance-spec.js';
import type { MediaSource, ProvisionedInstance } from '../protocol/index.js';

/** A track another peer publishes, as the adapter received it. */
export interface RemoteTrack {
  peerID: string;
  source: MediaSource;
  track: MediaStreamTrack;
  /** The sender paused (muted) it. */
  paused: boolean;
}

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
  /** A remote track arrived (SFU: a consumer; P2P: a call's track). */
  trackAdded(track: RemoteTrack): void;
  /** A remote track ended: its producer closed, its peer left, or the call closed. */
  trackRemoved(track: RemoteTrack): void;
  /** A remote sender paused or resumed a track (mute state shared with everyone). */
  trackPaused(peerID: string, source: MediaSource, paused: boolean): void;
  /**
   * The link's signaling dropped and it is resuming it (try `attempt`, from 1); media and data keep
   * flowing meanwhile. Either `resumed` or `closed` follows.
   */
  interrupted?(reason: string, attempt: number): void;
  /** The link resumed: the same peer in the same instance, its media untouched. */
  resumed?(): void;
  /** Called once when the link ends by itself (never after `close()`). */
  closed(info: TransportClose): void;
}

export interface TransportContext {
  peerID: string;
  token: string;
  /** A token for a later handshake of the same link (a resume), when the first may have expired. */
  freshToken?: () => Promise<string>;
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
  /**
   * Publishes a local track under a source, replacing the one published there before; `paused`
   * publishes it muted from the start, so no peer sees it unmuted for a moment. The caller owns
   * the track: the adapter never stops it.
   */
  publish(source: MediaSource, track: MediaStreamTrack, paused?: boolean): Promise<void>;
  /** Stops publishing a source (closes its producer / removes it from the calls). */
  unpublish(source: MediaSource): Promise<void>;
  /** Pauses or resumes a published source; other peers see `paused` through trackPaused. */
  setPaused(source: MediaSource, paused: boolean): Promise<void>;
  /**
   * Ends the link (a leave: the server announces it at once); safe to call twice. `unloading`: the
   * page is going away, so the leave also goes where it outlives the page (a beacon).
   */
  close(options?: CloseOptions): void;
}

export interface CloseOptions {
  unloading?: boolean;
}

export interface TransportAdapter {
  readonly name: string;
  connect(instance: ProvisionedInstance, context: TransportContext): Promise<TransportHandle>;
}
