/** `<ir-rooms-provider>`: shares the API URL and credentials with every kit element inside it. */
import { ContextProvider } from '@lit/context';
import { css, html, LitElement, type PropertyValues } from 'lit';
import type { TokenProvider } from '../../core/instance-spec.js';
import type { IceServer } from '../../protocol/index.js';
import { type RoomsContextValue, roomsContext } from './rooms-context.js';

/**
 * Shares connection settings with the `<ir-world-instance>` and `<ir-media-channel>` elements inside
 * it; an element's own attributes win over what the provider gives.
 *
 * @tagname ir-rooms-provider
 * @summary Shares the API URL, token and ICE servers with the kit's elements inside it.
 * @slot - The kit's elements and the rest of the app.
 */
export class IrRoomsProvider extends LitElement {
  static override styles = css`
    :host {
      display: contents;
    }
  `;

  static override properties = {
    apiUrl: { type: String, attribute: 'api-url' },
    token: { type: String },
    tokenProvider: { attribute: false },
    iceServers: { attribute: false },
  };

  /** Base URL of the rooms API, e.g. `https://rooms.example/api`. */
  declare apiUrl: string | undefined;
  /** A fixed access token (JWT) for every element inside. */
  declare token: string | undefined;
  /** Called before every provision and reconnect for a fresh token. */
  declare tokenProvider: TokenProvider | undefined;
  /** ICE servers for WebRTC (used by the media and P2P transports). */
  declare iceServers: IceServer[] | undefined;

  readonly #provider = new ContextProvider(this, { context: roomsContext, initialValue: {} });

  override connectedCallback(): void {
    // Now, not at the first update (a microtask later): the elements inside connect right after
    // this one and would otherwise start with no API URL (and log in at the page's own origin).
    this.#provide();
    super.connectedCallback();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('apiUrl') || changed.has('token') || changed.has('tokenProvider') || changed.has('iceServers')) {
      this.#provide();
    }
  }

  #provide(): void {
    const value: RoomsContextValue = {};
    if (this.apiUrl) value.apiUrl = this.apiUrl;
    if (this.token) value.token = this.token;
    if (this.tokenProvider) value.tokenProvider = this.tokenProvider;
    if (this.iceServers) value.iceServers = this.iceServers;
    this.#provider.setValue(value);
  }

  protected override render() {
    return html`<slot></slot>`;
  }
}
