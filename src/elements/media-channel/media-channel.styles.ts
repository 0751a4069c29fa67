/** Styles of `<ir-media-channel>`. */
import { css } from 'lit';
import { statusBarStyles } from '../shared-styles.js';

export const mediaChannelStyles = [
  css`
    :host {
      display: block;
    }
    :host([hidden]) {
      display: none;
    }
    [part~='tiles'] {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(var(--ir-tile-min-width, 8rem), 1fr));
      gap: var(--ir-gap, 0.5rem);
      margin: 0 0 var(--ir-gap, 0.5rem);
      padding: 0;
      list-style: none;
    }
    [part~='tile'] {
      display: grid;
      place-items: center;
      aspect-ratio: 4 / 3;
      border-radius: var(--ir-radius, 6px);
      background: var(--ir-tile-background, #24292f);
      color: var(--ir-tile-color, #fff);
      font: var(--ir-font, 0.875rem/1.4 system-ui, sans-serif);
    }
    [part~='controls'] {
      display: flex;
      gap: var(--ir-gap, 0.5rem);
    }
  `,
  statusBarStyles,
];
