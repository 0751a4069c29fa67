/** Registers the kit's elements; safe to import twice (or next to another copy of the kit). */
import { IrMediaChannel } from './elements/media-channel/media-channel.js';
import { IrRoomsProvider } from './elements/rooms-provider/rooms-provider.js';
import { IrWorldInstance } from './elements/world-instance/world-instance.js';

const elements: [string, CustomElementConstructor][] = [
  // The provider first, so elements upgraded after it find its context.
  ['ir-rooms-provider', IrRoomsProvider],
  ['ir-world-instance', IrWorldInstance],
  ['ir-media-channel', IrMediaChannel],
];

if (typeof customElements !== 'undefined') {
  for (const [tag, element] of elements) {
    if (!customElements.get(tag)) customElements.define(tag, element);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ir-rooms-provider': IrRoomsProvider;
    'ir-world-instance': IrWorldInstance;
    'ir-media-channel': IrMediaChannel;
  }
}
