/**
 * A joined P2P instance: the instance socket for the handshake, presence and heartbeats, and a
 * PeerJS `Peer` (id derived from the instance id and our peerID) for data and media with every other
 * peer, one `PeerPair` each. Presence drives pairs: PEER_JOINED makes one, PEER_LEFT closes it.
 */
import { type PeerError, Peer as PeerJs } from 'peerjs';
import { IrError } from '../../core/errors.js';
import type { Peer, SendOptions } from '../../core/instance-spec.js';
import { createLogger } from '../../core/logger.js';
import { DEFAULT_MESSAGE_CHANNEL, MediaSource, type ProvisionedInstance } from '../../protocol/index.js';
import { p2pPeerJsId, parseP2pPeerJsId } from '../../protocol/p2p.js';
import { connectInstanceSocket } from '../instance-socket/instance-socket.js';
import type { CloseOptions, TransportCallbacks, TransportContext, TransportHandle } from '../transport-adapter.js';
import { PAIR_CONNECT_TIMEOUT_MS, type PairHost, PeerPair } from './p2p-pair.js';
import { encodeData, type MediaState } from './p2p-wire.js';

const log = createLogger('p2p');

/** How long the PeerServer may take to accept our id. */
const PEER_OPEN_TIMEOUT_MS = 10_000;
const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000];
/** Tracks go into calls in this order, so both sides agree which transceiver is which. */
const SOURCE_ORDER: readonly MediaSource[] = [
  MediaSource.microphone,
  MediaSource.camera,
  MediaSource.screen,
  MediaSource.screenAudio,
];

/** PeerJS options with every field set: its defaults point at the public PeerJS cloud and STUN servers. */
function peerOptions(instance: ProvisionedInstance, context: TransportContext) {
  const api = new URL(context.spec.apiUrl);
  const secure = instance.peerServer?.secure ?? api.protocol === 'https:';
  const iceServers = context.spec.iceServers ?? instance.iceServers ?? [];
  return {
    host: instance.peerServer?.host ?? api.hostname,
    port: instance.peerServer?.port ?? (api.port ? Number(api.port) : secure ? 443 : 80),
    path: instance.peerServer?.path ?? '/peerjs',
    key: instance.peerServer?.key ?? 'peerjs',
    secure,
    // The PeerServer checks the access token against the instance's presence.
    token: context.token,
    config: { iceServers },
    debug: 0 as const,
  };
}

export class P2pLink implements TransportHandle, PairHost {
  peerIndex = -1;
  peers: readonly Peer[] = [];
  peer: PeerJs | null = null;
  readonly callbacks: TransportCallbacks;

  readonly #instance: ProvisionedInstance;
  readonly #context: TransportContext;
  readonly #presence = new Map<string, Peer>();
  readonly #pairs = new Map<string, PeerPair>();
  readonly #published = new Map<MediaSource, { track: MediaStreamTrack; paused: boolean }>();
  #socket: TransportHandle | undefined;
  #closed = false;
  #reconnects = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #firstPair: { resolve(): void } | undefined;
  /** connect() resolved: presence changes go to the callbacks (before, `peers` carries them). */
  #ready = false;

  constructor(instance: ProvisionedInstance, context: TransportContext) {
    this.#instance = instance;
    this.#context = context;
    this.callbacks = context.callbacks;
  }

  async start(): Promise<TransportHandle> {
    const { signal } = this.#context;
    const outer = this.#context.callbacks;
    // PeerJS opens while the socket authenticates: the PeerServer waits for the join it needs.
    let opening: Promise<void> | undefined;
    const openPeer = () => {
      if (opening || this.#closed) return;
      opening = this.#openPeer(signal);
      opening.catch(() => undefined);
    };
    // Presence is tracked from the first frame: pairs for late joiners must not be missed.
    const connecting = connectInstanceSocket(
      this.#instance,
      {
        ...this.#context,
        callbacks: {
          ...outer,
          peerJoined: (peer) => {
            this.#presence.set(peer.peerID, peer);
            this.#pairFor(peer.peerID);
            if (this.#ready) outer.peerJoined(peer);
          },
          peerLeft: (peer) => {
            this.#presence.delete(peer.peerID);
            this.#dropPair(peer.peerID);
            if (this.#ready) outer.peerLeft(peer);
          },
          closed: (info) => {
            if (this.#closed) return;
            this.#teardown();
            outer.closed(info);
          },
        },
      },
      {},
      { authenticating: openPeer },
    );
    let socket: Awaited<typeof connecting>;
    try {
      socket = await connecting;
    } catch (error) {
      // A PeerJS connection opened meanwhile goes with the join that failed.
      this.#teardown();
      throw error;
    }
    this.#socket = socket;
    this.peerIndex = socket.peerIndex;
    for (const peer of socket.peers) this.#presence.set(peer.peerID, peer);
    try {
      openPeer();
      if (!opening) throw new IrError('TRANSPORT_FAILED', 'the instance socket closed while joining');
      await opening;
      // Peers the socket reported after PeerJS opened.
      for (const peerID of this.#presence.keys()) this.#pairFor(peerID);
      await this.#firstConnection(signal);
    } catch (error) {
      this.close();
      throw error;
    }
    // Peers that came or went while PeerJS opened are in `peers`, not reported twice.
    this.peers = [...this.#presence.values()];
    this.#ready = true;
    return this;
  }

  inPresence(peerID: string): boolean {
    return this.#presence.has(peerID);
  }

  pairOpened(): void {
    this.#firstPair?.resolve();
  }

  localMedia(): { stream: MediaStream; state: MediaState } | null {
    const sources = SOURCE_ORDER.filter((source) => this.#published.has(source));
    if (sources.length === 0) return null;
    const tracks = sources.map((source) => this.#published.get(source)!.track);
    // PeerJS adds tracks in stream.getTracks() order, which need not be insertion order: read it back.
    const stream = new MediaStream(tracks);
    const ordered = stream.getTracks().map((track) => sources[tracks.indexOf(track)]!);
    const paused = ordered.filter((source) => this.#published.get(source)?.paused === true);
    return { stream, state: { call: null, sources: ordered, paused } };
  }

  async send(data: unknown, options: SendOptions = {}): Promise<void> {
    if (this.#closed) throw IrError.invalidState('the link is closed');
    const bytes = encodeData(options.channel ?? DEFAULT_MESSAGE_CHANNEL, data);
    const reliable = options.reliable !== false;
    const to = options.to === undefined ? null : new Set(Array.isArray(options.to) ? options.to : [options.to]);
    for (const pair of this.#pairs.values()) {
      if (to === null || to.has(pair.peerID)) pair.send(bytes, reliable);
    }
  }

  async publish(source: MediaSource, track: MediaStreamTrack, paused = false): Promise<void> {
    if (this.#closed) throw IrError.invalidState('the link is closed');
    const previous = this.#published.get(source);
    this.#published.set(source, { track, paused });
    for (const pair of this.#pairs.values()) pair.updateMedia();
    if (previous && previous.paused !== paused) for (const pair of this.#pairs.values()) pair.updatePaused();
  }

  async unpublish(source: MediaSource): Promise<void> {
    if (!this.#published.delete(source) || this.#closed) return;
    for (const pair of this.#pairs.values()) pair.updateMedia();
  }

  async setPaused(source: MediaSource, paused: boolean): Promise<void> {
    const publication = this.#published.get(source);
    if (!publication) throw IrError.invalidState(`nothing is published as ${source}`);
    if (publication.paused === paused) return;
    publication.paused = paused;
    for (const pair of this.#pairs.values()) pair.updatePaused();
  }

  close(options?: CloseOptions): void {
    if (this.#closed) return;
    this.#teardown();
    this.#socket?.close(options);
  }

  #teardown(): void {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    for (const pair of this.#pairs.values()) pair.close();
    this.#pairs.clear();
    this.peer?.destroy();
    this.peer = null;
  }

  #pairFor(peerID: string): void {
    // Pairs start once the peer is open (PeerJS drops signaling sent before); 'open' makes the rest.
    if (this.#closed || !this.peer?.open || this.#pairs.has(peerID)) return;
    const pair = new PeerPair(this, peerID, p2pPeerJsId(this.#instance.id, peerID), this.#context.peerID);
    this.#pairs.set(peerID, pair);
    pair.start();
  }

  #dropPair(peerID: string): void {
    const pair = this.#pairs.get(peerID);
    if (!pair) return;
    this.#pairs.delete(peerID);
    pair.close();
    log.debug(`closed every connection to ${peerID}: it left the instance`);
  }

  /** The peer a PeerJS id stands for, when it is one of this instance; null (logged) otherwise. */
  #remotePair(remoteId: string, what: string): PeerPair | null {
    const parsed = parseP2pPeerJsId(remoteId);
    if (parsed?.instanceId !== this.#instance.id) {
      log.warn(`refusing a ${what} from ${remoteId.slice(0, 100)}: not a peer of this instance`);
      return null;
    }
    if (!this.#presence.has(parsed.peerID)) this.#expectPresence(parsed.peerID);
    this.#pairFor(parsed.peerID);
    return this.#pairs.get(parsed.peerID) ?? null;
  }

  /**
   * A peer that reached us before its PEER_JOINED: its pair exists, but its messages are ignored
   * until presence confirms it, and it is dropped if presence never does.
   */
  #expectPresence(peerID: string): void {
    setTimeout(() => {
      if (this.#presence.has(peerID) || this.#closed) return;
      this.#dropPair(peerID);
      log.warn(`closed connections from ${peerID}: it never appeared in the instance's presence`);
    }, PAIR_CONNECT_TIMEOUT_MS);
  }

  #openPeer(signal: AbortSignal): Promise<void> {
    const id = p2pPeerJsId(this.#instance.id, this.#context.peerID);
    const options = peerOptions(this.#instance, this.#context);
    return new Promise<void>((resolve, reject) => {
      const peer = new PeerJs(id, options);
      this.peer = peer;
      let opened = false;
      const fail = (error: IrError) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = () => fail(signal.reason as IrError);
      signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(
        () =>
          fail(
            new IrError(
              'TIMEOUT',
              `the PeerServer at ${options.host}:${options.port}${options.path} did not accept us in ${PEER_OPEN_TIMEOUT_MS} ms`,
            ),
          ),
        PEER_OPEN_TIMEOUT_MS,
      );
      peer.on('open', () => {
        this.#reconnects = 0;
        for (const peerID of this.#presence.keys()) this.#pairFor(peerID);
        if (opened) {
          log.debug('PeerServer connection restored');
          return;
        }
        opened = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      peer.on('error', (error: PeerError<string>) => {
        if (!opened) {
          fail(new IrError('TRANSPORT_FAILED', `the PeerServer refused us (${error.type}): ${error.message}`));
          return;
        }
        log.debug(`PeerJS error ${error.type}: ${error.message}`);
      });
      peer.on('disconnected', () => {
        if (opened) this.#reconnectPeer();
      });
      peer.on('connection', (connection) => {
        const pair = this.#remotePair(connection.peer, 'data connection');
        if (pair) pair.adopt(connection);
        else connection.close();
      });
      peer.on('call', (call) => {
        const pair = this.#remotePair(call.peer, 'call');
        if (pair) pair.adoptCall(call);
        else call.close();
      });
    });
  }

  /** The PeerServer socket dropped: reconnect with the same id, backing off. Connections stay up. */
  #reconnectPeer(): void {
    if (this.#closed) return;
    const delay = RECONNECT_DELAYS_MS[Math.min(this.#reconnects++, RECONNECT_DELAYS_MS.length - 1)]!;
    log.warn(`lost the PeerServer; reconnecting in ${delay} ms`);
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      const peer = this.peer;
      if (this.#closed || !peer || peer.destroyed || !peer.disconnected) return;
      peer.reconnect();
      // A reconnect that fails quietly is tried again.
      this.#reconnectTimer = setTimeout(() => {
        if (this.peer?.disconnected) this.#reconnectPeer();
      }, PEER_OPEN_TIMEOUT_MS);
    }, delay);
  }

  /**
   * With peers present, waits until a data connection to one of them opens: a wrong TURN password
   * or unreachable ICE servers show no PeerJS error, only silence.
   */
  #firstConnection(signal: AbortSignal): Promise<void> {
    if (this.#presence.size === 0 || [...this.#pairs.values()].some((pair) => pair.open)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#firstPair = undefined;
      };
      const onAbort = () => {
        done();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        done();
        if (this.#presence.size === 0) {
          resolve();
          return;
        }
        reject(
          new IrError(
            'TIMEOUT',
            `no peer-to-peer connection opened in ${PAIR_CONNECT_TIMEOUT_MS + 2000} ms to any of ${this.#presence.size} peers: the ICE servers may be unreachable or refuse our TURN credentials`,
          ),
        );
      }, PAIR_CONNECT_TIMEOUT_MS + 2000);
      this.#firstPair = {
        resolve: () => {
          done();
          resolve();
        },
      };
    });
  }
}
