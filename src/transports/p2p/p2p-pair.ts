/**
 * Everything between us and one other peer of a P2P instance: a reliable ordered data connection
 * (the peer with the greater peerID dials and re-dials it) with an unordered channel beside it on
 * the same RTCPeerConnection, our call carrying our
 * published tracks (each side calls with its own media and calls again when it changes), and their
 * call carrying theirs. Presence decides when it ends: `close()` closes every connection and every
 * RTCPeerConnection, since PeerJS often reports no close at all.
 */
import type { DataConnection, MediaConnection, Peer as PeerJs } from 'peerjs';
import { createLogger } from '../../core/logger.js';
import { type MediaSource, RELIABLE_DATA_CHANNEL, UNRELIABLE_DATA_CHANNEL } from '../../protocol/index.js';
import type { TransportCallbacks } from '../transport-adapter.js';
import { decodeFrame, encodeMediaState, type MediaState, parseCallMetadata } from './p2p-wire.js';

const log = createLogger('p2p');

/** A connection that is not up by then is closed and made again (ICE failed, TURN refused us, …). */
export const PAIR_CONNECT_TIMEOUT_MS = 10_000;
const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000];
/** Reliable messages waiting for the connection to open; past this the oldest are dropped. */
const MAX_QUEUED = 2000;
/**
 * The unordered channel's SCTP stream: both sides add it, negotiated, to the reliable connection's
 * RTCPeerConnection (PeerJS's own channel takes stream 0 or 1), so one connection a pair carries
 * both channels instead of one each.
 */
const UNORDERED_STREAM_ID = 512;

/** What a pair needs from the link that owns it. */
export interface PairHost {
  readonly peer: PeerJs | null;
  readonly callbacks: TransportCallbacks;
  /** Our media for a new call: the stream (tracks in `state.sources` order) and its state; null when none. */
  localMedia(): { stream: MediaStream; state: MediaState } | null;
  inPresence(peerID: string): boolean;
  /** The first time a data connection to any peer opens. */
  pairOpened(): void;
}

interface InCall {
  call: MediaConnection;
  state: MediaState;
  tracks: Map<MediaSource, MediaStreamTrack>;
}

const NO_MEDIA: MediaState = { call: null, sources: [], paused: [] };

function randomId(): string {
  return Math.random().toString(36).slice(2, 12);
}

/** PeerJS clears `peerConnection` on close: keep our own reference so it is closed for sure. */
function closeConnection(connection: DataConnection | MediaConnection | undefined): void {
  if (!connection) return;
  const pc = connection.peerConnection as RTCPeerConnection | null;
  try {
    connection.close();
  } catch (error) {
    log.debug('closing a PeerJS connection threw', error);
  }
  if (pc && pc.signalingState !== 'closed') pc.close();
}

export class PeerPair {
  readonly peerID: string;
  readonly remoteId: string;
  /** We have the greater peerID: we dial the data connections. */
  readonly dialer: boolean;
  #host: PairHost;
  #reliable: DataConnection | undefined;
  #unordered: RTCDataChannel | undefined;
  #queue: Uint8Array[] = [];
  #outCall: { call: MediaConnection; state: MediaState } | undefined;
  #inCall: InCall | undefined;
  #remoteState: MediaState = NO_MEDIA;
  #attempts = { data: 0, call: 0 };
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(host: PairHost, peerID: string, remoteId: string, selfPeerID: string) {
    this.#host = host;
    this.peerID = peerID;
    this.remoteId = remoteId;
    this.dialer = selfPeerID > peerID;
  }

  get open(): boolean {
    return this.#reliable?.open === true;
  }

  start(): void {
    if (this.dialer) this.#dial();
    this.updateMedia();
  }

  /** Sends an encoded frame; reliable frames wait for the connection, unreliable ones are dropped. */
  send(bytes: Uint8Array, reliable: boolean): void {
    if (this.#closed) return;
    if (!reliable) {
      if (this.#unordered?.readyState === 'open') this.#unordered.send(bytes as Uint8Array<ArrayBuffer>);
      else log.debug(`unreliable message to ${this.peerID} dropped: not connected yet`);
      return;
    }
    const connection = this.#reliable;
    if (connection?.open) {
      void connection.send(bytes);
      return;
    }
    if (this.#queue.length >= MAX_QUEUED) {
      this.#queue.shift();
      log.warn(`more than ${MAX_QUEUED} messages wait for ${this.peerID}; the oldest was dropped`);
    }
    this.#queue.push(bytes);
  }

  /** A data connection the other peer opened to us. */
  adopt(connection: DataConnection): void {
    if (this.#closed) {
      closeConnection(connection);
      return;
    }
    if (connection.label !== RELIABLE_DATA_CHANNEL) {
      log.warn(`closing a data connection from ${this.peerID} with an unknown label`);
      closeConnection(connection);
      return;
    }
    this.#use(connection);
  }

  /** A call the other peer made to us with its media. */
  adoptCall(call: MediaConnection): void {
    const state = parseCallMetadata(call.metadata);
    if (this.#closed || typeof state === 'string') {
      if (typeof state === 'string') log.warn(`closing a call from ${this.peerID}: ${state}`);
      closeConnection(call);
      return;
    }
    this.#dropInCall();
    const incoming: InCall = { call, state, tracks: new Map() };
    this.#inCall = incoming;
    this.#remoteState = state;
    call.answer();
    const pc = call.peerConnection as RTCPeerConnection | null;
    pc?.addEventListener('track', (event) => {
      if (this.#inCall !== incoming) return;
      const index = pc.getTransceivers().indexOf(event.transceiver);
      const source = incoming.state.sources[index];
      if (source === undefined) {
        log.warn(`ignoring track ${index} of ${this.peerID}'s call: its metadata names no source for it`);
        return;
      }
      incoming.tracks.set(source, event.track);
      this.#host.callbacks.trackAdded({
        peerID: this.peerID,
        source,
        track: event.track,
        paused: this.#remoteState.paused.includes(source),
      });
    });
    call.on('close', () => {
      if (this.#inCall === incoming) this.#dropInCall();
    });
  }

  /** Our published media changed: call again with it (or hang up), and tell the peer. */
  updateMedia(): void {
    if (this.#closed) return;
    const previous = this.#outCall;
    this.#outCall = undefined;
    closeConnection(previous?.call);
    const media = this.#host.localMedia();
    const peer = this.#host.peer;
    if (!media) {
      this.#sendState(NO_MEDIA);
      return;
    }
    if (!peer?.open) {
      this.#retry('call', () => this.updateMedia(), 'the PeerServer is not connected');
      return;
    }
    const state = { ...media.state, call: randomId() };
    const call = peer.call(this.remoteId, media.stream, { metadata: state });
    const outgoing = { call, state };
    this.#outCall = outgoing;
    this.#applyPauses(outgoing.call, media.stream, state);
    this.#sendState(state);
    call.on('close', () => {
      if (this.#outCall === outgoing) this.#retry('call', () => this.updateMedia(), 'our call closed');
    });
    call.on('error', (error) => log.debug(`our call to ${this.peerID}:`, error.message));
    this.#watch(() => {
      const pc = call.peerConnection as RTCPeerConnection | null;
      if (this.#outCall !== outgoing || pc?.connectionState === 'connected') {
        if (this.#outCall === outgoing) this.#attempts.call = 0;
        return;
      }
      this.#retry('call', () => this.updateMedia(), `our call was not up in ${PAIR_CONNECT_TIMEOUT_MS} ms`);
    });
  }

  /** Pause state changed: mute the senders of our call and tell the peer. */
  updatePaused(): void {
    const outgoing = this.#outCall;
    const media = this.#host.localMedia();
    if (!outgoing || !media) return;
    outgoing.state = { ...outgoing.state, paused: media.state.paused };
    this.#applyPauses(outgoing.call, media.stream, outgoing.state);
    this.#sendState(outgoing.state);
  }

  /** Ends everything toward this peer; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#queue = [];
    // The unordered channel closes with the reliable connection's RTCPeerConnection.
    closeConnection(this.#reliable);
    this.#reliable = undefined;
    this.#unordered = undefined;
    closeConnection(this.#outCall?.call);
    this.#outCall = undefined;
    this.#dropInCall();
  }

  #dial(): void {
    const peer = this.#host.peer;
    // PeerJS drops signaling sent while its socket is not open: dial only through an open peer.
    if (this.#closed || !peer?.open) {
      this.#retry('data', () => this.#dial(), 'the PeerServer is not connected');
      return;
    }
    if (!this.#reliable?.open) {
      this.#use(peer.connect(this.remoteId, { label: RELIABLE_DATA_CHANNEL, reliable: true, serialization: 'raw' }));
    }
    this.#watch(() => {
      if (this.#reliable?.open) return;
      this.#retry('data', () => this.#dial(), `no data connection in ${PAIR_CONNECT_TIMEOUT_MS} ms`);
    });
  }

  #use(connection: DataConnection): void {
    const previous = this.#reliable;
    if (previous && previous !== connection) closeConnection(previous);
    this.#reliable = connection;
    this.#unordered = this.#addUnordered(connection);
    const current = () => this.#reliable === connection;
    connection.on('open', () => {
      if (!current() || this.#closed) return;
      this.#attempts.data = 0;
      this.#host.pairOpened();
      for (const bytes of this.#queue.splice(0)) void connection.send(bytes);
      this.#sendState(this.#outCall?.state ?? NO_MEDIA);
    });
    connection.on('data', (data) => this.#onData(data));
    connection.on('error', (error) => log.debug(`data connection with ${this.peerID}:`, error.message));
    connection.on('close', () => {
      if (!current() || this.#closed) return;
      if (this.dialer) this.#retry('data', () => this.#dial(), 'a data connection closed');
    });
  }

  /** The unordered channel on the connection's RTCPeerConnection (PeerJS makes it synchronously). */
  #addUnordered(connection: DataConnection): RTCDataChannel | undefined {
    const pc = connection.peerConnection as RTCPeerConnection | null;
    if (!pc || pc.signalingState === 'closed') return undefined;
    const channel = pc.createDataChannel(UNRELIABLE_DATA_CHANNEL, {
      negotiated: true,
      id: UNORDERED_STREAM_ID,
      ordered: false,
    });
    channel.binaryType = 'arraybuffer';
    channel.onmessage = (event: MessageEvent<unknown>) => {
      if (this.#unordered === channel) this.#onData(event.data);
    };
    return channel;
  }

  #onData(raw: unknown): void {
    if (this.#closed) return;
    if (!this.#host.inPresence(this.peerID)) {
      log.warn(`ignoring a message from ${this.peerID}: not in the instance's presence`);
      return;
    }
    const frame = decodeFrame(raw);
    if (typeof frame === 'string') {
      log.warn(`ignoring a message from ${this.peerID}: ${frame}`);
      return;
    }
    if (frame.kind === 'data') {
      this.#host.callbacks.message({ from: this.peerID, channel: frame.channel, data: frame.data });
      return;
    }
    this.#onMediaState(frame.state);
  }

  #onMediaState(state: MediaState): void {
    const before = this.#remoteState;
    this.#remoteState = state;
    const incoming = this.#inCall;
    if (state.call === null) {
      this.#dropInCall();
      return;
    }
    if (!incoming || incoming.state.call !== state.call) return;
    incoming.state = state;
    for (const source of incoming.tracks.keys()) {
      const paused = state.paused.includes(source);
      if (paused !== before.paused.includes(source)) this.#host.callbacks.trackPaused(this.peerID, source, paused);
    }
  }

  #dropInCall(): void {
    const incoming = this.#inCall;
    if (!incoming) return;
    this.#inCall = undefined;
    closeConnection(incoming.call);
    for (const [source, track] of incoming.tracks) {
      this.#host.callbacks.trackRemoved({
        peerID: this.peerID,
        source,
        track,
        paused: incoming.state.paused.includes(source),
      });
    }
  }

  #applyPauses(call: MediaConnection, stream: MediaStream, state: MediaState): void {
    const pc = call.peerConnection as RTCPeerConnection | null;
    if (!pc) return;
    const tracks = stream.getTracks();
    pc.getTransceivers().forEach((transceiver, index) => {
      const source = state.sources[index];
      const track = tracks[index];
      if (source === undefined || track === undefined) return;
      const wanted = state.paused.includes(source) ? null : track;
      if (transceiver.sender.track !== wanted) {
        transceiver.sender.replaceTrack(wanted).catch((error: unknown) => log.debug('replaceTrack failed', error));
      }
    });
  }

  #sendState(state: MediaState): void {
    if (this.#reliable?.open) void this.#reliable.send(encodeMediaState(state));
  }

  #watch(check: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) check();
    }, PAIR_CONNECT_TIMEOUT_MS);
    this.#timers.add(timer);
  }

  #retry(kind: 'data' | 'call', run: () => void, reason: string): void {
    if (this.#closed) return;
    const attempt = this.#attempts[kind]++;
    const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)]!;
    log.warn(`${kind === 'data' ? 'data connections' : 'call'} to ${this.peerID}: ${reason}; again in ${delay} ms`);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed && this.#host.inPresence(this.peerID)) run();
    }, delay);
    this.#timers.add(timer);
  }
}
