/** `<ir-world-instance>`: joins a world instance (presence and data for an app's scene). */

import { ContextConsumer } from '@lit/context';
import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { IrError } from '../../core/errors.js';
import type { ConnectionState, InstanceInfo, Peer, SendOptions, TokenProvider } from '../../core/instance-spec.js';
import { createLogger } from '../../core/logger.js';
import { SignalWatcher, signal } from '../../core/signals.js';
import type { Topology } from '../../protocol/index.js';
import type { AcquireSpec } from '../../registry/instance-registry.js';
import {
  IrErrorEvent,
  IrInstanceProvisionedEvent,
  IrMessageEvent,
  IrPeerJoinEvent,
  IrPeerLeaveEvent,
} from '../events.js';
import { LeaseController } from '../lease-controller.js';
import { type RoomsContextValue, roomsContext } from '../rooms-provider/rooms-context.js';
import type { WorldStatusBar } from './status-bar.js';

const log = createLogger('ir-world-instance');

/** Why `data` cannot be sent (a string, binary data, or anything JSON can encode), or `null`. */
function invalidPayload(data: unknown): string | null {
  if (typeof data === 'string' || data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return null;
  try {
    return JSON.stringify(data) === undefined ? 'data must be a string, binary data or JSON-encodable' : null;
  } catch (error) {
    return `data is not JSON-encodable (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** The API of the page's own origin, when neither the element nor a provider names one. */
export function defaultApiUrl(): string {
  return new URL('/api', globalThis.location?.href ?? 'http://localhost/').href;
}

/**
 * Provisions a world instance for a location, joins it and shows who is there. Provisioning starts
 * when the element enters the DOM; removing it leaves the instance (after a short grace period, so
 * moving the element does not reconnect). Two elements with the same attributes share one
 * connection.
 *
 * @tagname ir-world-instance
 * @summary Joins a shared world instance and shows its state, room code and peers.
 *
 * @slot - The app's scene, rendered above the status bar.
 *
 * @event {IrStateChangeEvent} ir-state-change - The connection state changed, or a reconnection made its next try; `detail: {state, previous, reason?, attempt?}`.
 * @event {IrInstanceProvisionedEvent} ir-instance-provisioned - An instance was provisioned; `detail: {instance}`.
 * @event {IrPeerJoinEvent} ir-peer-join - Another peer joined; `detail: {peer}`.
 * @event {IrPeerLeaveEvent} ir-peer-leave - Another peer left; `detail: {peer}`.
 * @event {IrMessageEvent} ir-message - A peer sent data; `detail: {from, channel, data}`.
 * @event {IrErrorEvent} ir-error - Something failed; `detail: {error}` with an `IrError`.
 *
 * @csspart status-bar - The bar with state, room code and peers.
 * @csspart state - The connection state label.
 * @csspart room-code - The room code.
 * @csspart copy-invite - The button that copies the room code.
 * @csspart peers - The list of peers.
 * @csspart peer - One peer's avatar or initials.
 * @csspart peer-count - The number of peers.
 *
 * @cssproperty --ir-font - Font of the status bar.
 * @cssproperty --ir-color - Text color.
 * @cssproperty --ir-gap - Space between the status bar's items.
 * @cssproperty --ir-radius - Corner radius of the bar and buttons.
 * @cssproperty --ir-status-bar-background - Background of the status bar.
 * @cssproperty --ir-status-bar-padding - Padding of the status bar.
 * @cssproperty --ir-connected-color - State dot color when connected.
 * @cssproperty --ir-pending-color - State dot color while provisioning, connecting or reconnecting.
 * @cssproperty --ir-failed-color - State dot color when failed.
 * @cssproperty --ir-state-color - State dot color otherwise.
 * @cssproperty --ir-avatar-size - Size of a peer's avatar.
 * @cssproperty --ir-avatar-background - Background of a peer's initials.
 * @cssproperty --ir-avatar-color - Color of a peer's initials.
 * @cssproperty --ir-focus-color - Focus ring color.
 */
export class IrWorldInstance extends SignalWatcher(LitElement) {
  // The status bar adopts its styles when it loads; until then the element is a block around its slot.
  static override styles = css`
    :host {
      display: block;
      position: relative;
    }
    :host([hidden]) {
      display: none;
    }
  `;

  static override properties = {
    locationId: { type: String, attribute: 'location-id', reflect: true },
    instanceId: { type: String, attribute: 'instance-id' },
    roomCode: { type: String, attribute: 'room-code' },
    sceneId: { type: String, attribute: 'scene-id' },
    private: { type: Boolean },
    apiUrl: { type: String, attribute: 'api-url' },
    token: { type: String },
    topology: { type: String },
    displayName: { type: String, attribute: 'display-name' },
    avatarUrl: { type: String, attribute: 'avatar-url' },
    headless: { type: Boolean, reflect: true },
    tokenProvider: { attribute: false },
  };

  /** The location whose world instance to join. */
  declare locationId: string | undefined;
  /** Join this instance when it is live and has a free seat. */
  declare instanceId: string | undefined;
  /** Join the live instance holding this room code (6 digits 1-9); also the invite for private rooms. */
  declare roomCode: string | undefined;
  /** The scene the app shows; sent with the provisioning request. */
  declare sceneId: string | undefined;
  /** Create a private room: only those with its room code may enter. */
  declare private: boolean;
  /** Base URL of the rooms API; defaults to a provider's, else `/api` on this page's origin. */
  declare apiUrl: string | undefined;
  /** An access token (JWT); without one (and no `tokenProvider`) the kit logs in as a guest. */
  declare token: string | undefined;
  /** `sfu` or `p2p`: a hint the server may honour. */
  declare topology: Topology | undefined;
  /** The name others see (guest login). */
  declare displayName: string | undefined;
  /** The avatar others see (guest login). */
  declare avatarUrl: string | undefined;
  /** Hide the built-in status bar. */
  declare headless: boolean;
  /** Called before every provision and reconnect for a fresh token. */
  declare tokenProvider: TokenProvider | undefined;

  readonly #internals: ElementInternals;
  #provided: RoomsContextValue = {};
  #warnedNoLocation = false;
  readonly #lease: LeaseController;
  /** The built-in status bar, once loaded (a signal, so its arrival renders it). */
  readonly #statusBar = signal<WorldStatusBar | undefined>(undefined);
  #statusBarLoad: Promise<unknown> | undefined;

  constructor() {
    super();
    this.private = false;
    this.headless = false;
    this.#internals = this.attachInternals();
    this.#internals.states.add('idle');
    new ContextConsumer(this, {
      context: roomsContext,
      subscribe: true,
      callback: (value) => {
        this.#provided = value;
        this.requestUpdate();
      },
    });
    this.#lease = new LeaseController(this, {
      internals: this.#internals,
      spec: () => this.#spec(),
      onProvisioned: (instance) => this.dispatchEvent(new IrInstanceProvisionedEvent({ instance })),
      onPeerJoin: (peer) => this.dispatchEvent(new IrPeerJoinEvent({ peer })),
      onPeerLeave: (peer) => this.dispatchEvent(new IrPeerLeaveEvent({ peer })),
      onMessage: (message) => this.dispatchEvent(new IrMessageEvent(message)),
    });
  }

  /** `idle`, `provisioning`, `connecting`, `connected`, `reconnecting`, `disconnected` or `failed`. */
  get state(): ConnectionState {
    return this.#lease.state;
  }

  /** The provisioned instance, or `null` before provisioning. */
  get instance(): InstanceInfo | null {
    return this.#lease.instance;
  }

  /** The *other* peers in the instance, by peerID. */
  get peers(): ReadonlyMap<string, Peer> {
    return this.#lease.peers;
  }

  /** This page's peerID (the same in every instance the page joins). */
  get selfPeerID(): string {
    return this.#lease.selfPeerID;
  }

  /** The error that made the state `failed`, else `null`. */
  get error(): IrError | null {
    return this.#lease.error;
  }

  /** Our index in the instance, once joined (for tests and diagnostics). */
  get peerIndex(): number | null {
    return this.#lease.lease?.peerIndex.get() ?? null;
  }

  /**
   * Sends data to the other peers (or only to `to`): a string, an ArrayBuffer or anything JSON
   * can encode, at most 64 KiB encoded. `reliable` (default true) picks the ordered channel;
   * `reliable: false` the unordered, lossy one. While `reconnecting`, reliable messages wait (up to
   * 100) and go out once connected again; they reject if it fails instead. Otherwise rejects with
   * `INVALID_STATE` unless connected.
   */
  send(data: unknown, options: SendOptions = {}): Promise<void> {
    const invalid = invalidPayload(data);
    if (invalid) return this.#reject(IrError.invalidArgument(`send(): ${invalid}`));
    const lease = this.#lease.lease;
    // While reconnecting the connection queues reliable messages (the default) and refuses the rest.
    const accepted = this.state === 'connected' || (this.state === 'reconnecting' && options.reliable !== false);
    if (!lease || !accepted) return this.#reject(IrError.invalidState(`cannot send while ${this.state}`));
    return lease.send(data, options).catch((error: unknown) => this.#reject(error));
  }

  /** Joins again (after `failed` or `leave()`); resolves when connected, rejects with the error. */
  reconnect(): Promise<void> {
    return this.#lease.reconnect();
  }

  /** Leaves the instance; the element stays `disconnected` until `reconnect()`. */
  leave(): void {
    this.#lease.leave();
  }

  #reject(error: unknown): Promise<never> {
    if (error instanceof IrError) this.#emit(new IrErrorEvent({ error }));
    return Promise.reject(error);
  }

  #spec(): AcquireSpec | null {
    if (!this.locationId) {
      if (!this.#warnedNoLocation) log.warn('<ir-world-instance> has no location-id: it stays idle until one is set');
      this.#warnedNoLocation = true;
      return null;
    }
    const provided = this.#provided;
    const spec: AcquireSpec = {
      kind: 'world',
      apiUrl: this.apiUrl || provided.apiUrl || defaultApiUrl(),
      locationId: this.locationId,
    };
    if (this.instanceId) spec.instanceId = this.instanceId;
    if (this.roomCode) spec.roomCode = this.roomCode;
    if (this.sceneId) spec.sceneId = this.sceneId;
    if (this.private) spec.createPrivateRoom = true;
    if (this.topology === 'sfu' || this.topology === 'p2p') spec.topology = this.topology;
    const token = this.token || provided.token;
    if (token) spec.token = token;
    const tokenProvider = this.tokenProvider ?? provided.tokenProvider;
    if (tokenProvider) spec.tokenProvider = tokenProvider;
    if (this.displayName) spec.displayName = this.displayName;
    if (this.avatarUrl) spec.avatarUrl = this.avatarUrl;
    if (provided.iceServers) spec.iceServers = provided.iceServers;
    return spec;
  }

  /** Dispatches through one place; the manifest lists events from the class JSDoc instead. */
  #emit(event: Event): void {
    this.dispatchEvent(event);
  }

  /** Loads the status bar once; a failed load is an `ir-error`, and the element works on without it. */
  #loadStatusBar(): Promise<unknown> {
    this.#statusBarLoad ??= import('./status-bar.js').then(
      ({ WorldStatusBar }) => this.#statusBar.set(new WorldStatusBar(this)),
      (cause: unknown) => {
        this.#statusBarLoad = undefined;
        const error = new IrError('NETWORK_ERROR', `the status bar's code could not be loaded: ${String(cause)}`, {
          cause,
        });
        this.#emit(new IrErrorEvent({ error }));
      },
    );
    return this.#statusBarLoad;
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    if (!this.headless && !this.#statusBar.get()) void this.#loadStatusBar();
  }

  /** Waits for the status bar too, so `updateComplete` means it is rendered. */
  protected override async getUpdateComplete(): Promise<boolean> {
    let complete = await super.getUpdateComplete();
    if (!this.#statusBar.get() && this.#statusBarLoad) {
      await this.#statusBarLoad;
      complete = await super.getUpdateComplete();
    }
    return complete;
  }

  protected override render() {
    // The state is read even when nothing shows it, so the watcher re-renders (and re-syncs the lease) on changes.
    this.state;
    const bar = this.headless ? undefined : this.#statusBar.get();
    return html`<slot></slot>${bar ? bar.render() : nothing}`;
  }
}
