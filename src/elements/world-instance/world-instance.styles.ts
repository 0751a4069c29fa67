/** Styles of `<ir-world-instance>`. */
import { css } from 'lit';
import { statusBarStyles } from '../shared-styles.js';

export const worldInstanceStyles = [
  css`
    :host {
      display: block;
      position: relative;
    }
    :host([hidden]) {
      display: none;
    }
    [part~='room-code'] {
      font-variant-numeric: tabular-nums;
      letter-spacing: 0.05em;
    }
    [part~='peer-count'] {
      margin-inline-start: 0.5rem;
    }
  `,
  statusBarStyles,
];
