/**
 * The built-in status bar of `<ir-world-instance>` (state, room code with a copy button, peers),
 * loaded when the first element shows one: a `headless` page never downloads it.
 */
import { adoptStyles, html, nothing } from 'lit';
import { IrError } from '../../core/errors.js';
import { IrErrorEvent } from '../events.js';
import { initialsOf } from '../shared-styles.js';
import type { IrWorldInstance } from './world-instance.js';
import { worldInstanceStyles } from './world-instance.styles.js';

export class WorldStatusBar {
  readonly #element: IrWorldInstance;

  constructor(element: IrWorldInstance) {
    this.#element = element;
    const root = element.renderRoot;
    if (root instanceof ShadowRoot) adoptStyles(root, worldInstanceStyles);
  }

  #copyInvite = async () => {
    const code = this.#element.instance?.roomCode;
    if (!code) return;
    try {
      await navigator.clipboard.writeText(code);
    } catch (error) {
      const failure = new IrError('UNSUPPORTED', 'could not copy the room code', { cause: error });
      this.#element.dispatchEvent(new IrErrorEvent({ error: failure }));
    }
  };

  render() {
    const { state, instance } = this.#element;
    const peers = [...this.#element.peers.values()];
    return html`<div part="status-bar">
      <span part="state" data-state=${state} role="status">${state}</span>
      ${
        instance?.roomCode
          ? html`<span part="room-code" title="Room code">${instance.roomCode}</span>
            <button part="copy-invite" type="button" aria-label="Copy invite (the room code)" @click=${this.#copyInvite}>
              Copy invite
            </button>`
          : nothing
      }
      <ul part="peers" aria-label="Peers">
        ${peers.map(
          (peer) =>
            html`<li part="peer" title=${peer.name}>
              ${peer.avatarUrl ? html`<img src=${peer.avatarUrl} alt=${peer.name} />` : initialsOf(peer.name)}
            </li>`,
        )}
      </ul>
      <span part="peer-count" aria-label="${peers.length} other peers">${peers.length}</span>
    </div>`;
  }
}
