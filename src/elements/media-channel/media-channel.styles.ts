/** Styles of `<ir-media-channel>`: a tile grid that adapts to its count and the element's width, and the control bar. */
import { css } from 'lit';
import { statusBarStyles, themed } from '../shared-styles.js';

// The theme of what only the media channel shows: tiles, pressed and danger buttons, the notice.
const light = css`
  --_ir-tile-background: var(--ir-tile-background, #e6e9ee);
  --_ir-tile-color: var(--ir-tile-color, #1f2328);
  --_ir-speaking-color: var(--ir-speaking-color, #1a7f37);
  --_ir-muted-color: var(--ir-muted-color, #cf222e);
  --_ir-button-pressed-background: var(--ir-button-pressed-background, #ddf4ff);
  --_ir-button-pressed-color: var(--ir-button-pressed-color, #0a3069);
  --_ir-danger-color: var(--ir-danger-color, #cf222e);
  --_ir-notice-background: var(--ir-notice-background, #fff8c5);
  --_ir-notice-color: var(--ir-notice-color, #3b2300);
`;

const dark = css`
  --_ir-tile-background: var(--ir-tile-background, #21262d);
  --_ir-tile-color: var(--ir-tile-color, #e6edf3);
  --_ir-speaking-color: var(--ir-speaking-color, #3fb950);
  --_ir-muted-color: var(--ir-muted-color, #da3633);
  --_ir-button-pressed-background: var(--ir-button-pressed-background, #1f6feb);
  --_ir-button-pressed-color: var(--ir-button-pressed-color, #ffffff);
  --_ir-danger-color: var(--ir-danger-color, #da3633);
  --_ir-notice-background: var(--ir-notice-background, #3b2e00);
  --_ir-notice-color: var(--ir-notice-color, #f0d679);
`;

export const mediaChannelStyles = [
  statusBarStyles,
  themed(light, dark),
  css`
    .visually-hidden {
      position: absolute;
      width: 1px;
      height: 1px;
      margin: -1px;
      padding: 0;
      overflow: hidden;
      clip-path: inset(50%);
      white-space: nowrap;
      border: 0;
    }

    :host {
      display: block;
      container-type: inline-size;
      color: var(--_ir-color);
      background: var(--_ir-background);
      font: var(--ir-font, 0.875rem/1.4 system-ui, sans-serif);
      border-radius: var(--ir-radius, 6px);
      --_ir-gap: var(--ir-gap, 0.5rem);
    }
    :host([hidden]) {
      display: none;
    }

    /* The grid: the element says how many columns its tiles want (data-columns); the width caps them. */
    [part~='grid'] {
      --_columns: 1;
      --_span: 1;
      display: grid;
      grid-template-columns: repeat(var(--_columns), minmax(0, 1fr));
      grid-auto-flow: row dense;
      gap: var(--_ir-gap);
      margin: 0 0 var(--_ir-gap);
      padding: 0;
      list-style: none;
    }
    [part~='grid'][data-columns='2'] {
      --_columns: 2;
      --_span: 2;
    }
    [part~='grid'][data-columns='3'] {
      --_columns: 3;
      --_span: 2;
    }
    [part~='grid'][data-columns='4'] {
      --_columns: 4;
      --_span: 2;
    }
    @container (max-width: 54rem) {
      [part~='grid'][data-columns='4'] {
        --_columns: 3;
      }
    }
    @container (max-width: 36rem) {
      [part~='grid'][data-columns='3'],
      [part~='grid'][data-columns='4'] {
        --_columns: 2;
      }
    }
    @container (max-width: 20rem) {
      [part~='grid'] {
        --_columns: 1 !important;
        --_span: 1 !important;
      }
    }

    [part~='tile'] {
      position: relative;
      display: grid;
      place-items: center;
      aspect-ratio: 4 / 3;
      min-height: var(--ir-tile-min-height, 0);
      overflow: hidden;
      border-radius: var(--ir-radius, 6px);
      background: var(--_ir-tile-background);
      color: var(--_ir-tile-color);
      transition: box-shadow 0.15s ease-out;
    }
    [part~='tile'][data-speaking='true'] {
      box-shadow: 0 0 0 3px var(--_ir-speaking-color);
    }
    [part~='screen-tile'] {
      order: -1;
      grid-column: span var(--_span);
      grid-row: span var(--_span);
      aspect-ratio: auto;
      background: #000;
    }
    [part~='tile'] video {
      width: 100%;
      height: 100%;
      object-fit: cover;
    }
    [part~='screen-tile'] video {
      object-fit: contain;
    }
    [part~='tile'][data-self] [part~='video'] {
      transform: scaleX(-1);
    }
    [part~='avatar'] {
      display: grid;
      place-items: center;
      width: clamp(2.5rem, 35%, 6rem);
      aspect-ratio: 1;
      border-radius: 50%;
      overflow: hidden;
      background: var(--_ir-avatar-background);
      color: var(--_ir-avatar-color);
      font-size: 1.25em;
      font-weight: 600;
    }
    [part~='avatar'] img {
      width: 100%;
      height: 100%;
      object-fit: cover;
    }
    [part~='label'] {
      position: absolute;
      inset-inline-start: 0.375rem;
      inset-block-end: 0.375rem;
      display: inline-flex;
      align-items: center;
      gap: 0.25rem;
      max-width: calc(100% - 0.75rem);
      padding: 0.1rem 0.4rem;
      border-radius: var(--ir-radius, 6px);
      background: rgb(0 0 0 / 0.6);
      color: #fff;
    }
    [part~='name'] {
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    [part~='mute-indicator'] {
      display: inline-grid;
      place-items: center;
      border-radius: 50%;
      background: var(--_ir-muted-color);
      color: #fff;
      padding: 0.1rem;
    }
    [part~='mute-indicator'] svg {
      width: 0.9rem;
      height: 0.9rem;
    }
    audio {
      display: none;
    }

    /* Controls */
    [part~='state'] {
      margin-inline-end: auto;
    }
    [part~='controls'] {
      display: flex;
      flex-wrap: wrap;
      gap: var(--_ir-gap);
    }
    [part~='control'],
    [part~='enable-audio'] {
      display: inline-flex;
      align-items: center;
      gap: 0.35rem;
      min-height: 2.25rem;
      padding: 0.25rem 0.65rem;
    }
    [part~='control'][aria-pressed='true'] {
      background: var(--_ir-button-pressed-background);
      color: var(--_ir-button-pressed-color);
    }
    [part~='control'][aria-pressed='false'] svg,
    [part~='control'][aria-expanded='true'] svg {
      opacity: 0.85;
    }
    [part~='leave'] {
      background: var(--_ir-danger-color);
      border-color: var(--_ir-danger-color);
      color: #fff;
    }
    @container (max-width: 32rem) {
      [part~='control-label'] {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip-path: inset(50%);
        white-space: nowrap;
      }
    }
    [part~='device-menu'] {
      flex-basis: 100%;
      display: flex;
      flex-wrap: wrap;
      gap: var(--_ir-gap);
      padding: 0.5rem;
      border: 1px solid var(--_ir-button-border);
      border-radius: var(--ir-radius, 6px);
      background: var(--_ir-background);
    }
    [part~='device-menu'][hidden] {
      display: none;
    }
    [part~='device-field'] {
      display: grid;
      gap: 0.15rem;
      flex: 1 1 12rem;
    }
    [part~='device-select'] {
      font: inherit;
      color: var(--_ir-button-color);
      background: var(--_ir-button-background);
      border: 1px solid var(--_ir-button-border);
      border-radius: var(--ir-radius, 6px);
      padding: 0.25rem;
      min-width: 0;
    }

    /* Notices */
    [part~='notice'],
    [part~='audio-notice'] {
      display: flex;
      align-items: center;
      gap: var(--_ir-gap);
      margin: 0 0 var(--_ir-gap);
      padding: 0.4rem 0.6rem;
      border-radius: var(--ir-radius, 6px);
      background: var(--_ir-notice-background);
      color: var(--_ir-notice-color);
    }
    [part~='notice'] > span,
    [part~='audio-notice'] > span {
      flex: 1;
    }
    [part~='dismiss'] {
      display: inline-grid;
      place-items: center;
      padding: 0.15rem;
      background: transparent;
      border-color: transparent;
      color: inherit;
    }
  `,
];
