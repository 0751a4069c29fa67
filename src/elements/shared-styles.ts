/**
 * Styles the kit's built-in UI shares: the theme (light and dark defaults of every `--ir-*`
 * property), the status bar, buttons and peer avatars.
 *
 * Each public `--ir-x` is read once into a private `--_ir-x` on the host, with the theme's default
 * as fallback: a page's value wins whether it is set on the element or inherited from an ancestor.
 */
import { type CSSResult, css } from 'lit';

const light = css`
  --_ir-color: var(--ir-color, #1f2328);
  --_ir-background: var(--ir-background, #ffffff);
  --_ir-avatar-background: var(--ir-avatar-background, #6e7781);
  --_ir-avatar-color: var(--ir-avatar-color, #ffffff);
  --_ir-status-bar-background: var(--ir-status-bar-background, #f6f8fa);
  --_ir-button-background: var(--ir-button-background, #ffffff);
  --_ir-button-color: var(--ir-button-color, #1f2328);
  --_ir-button-border: var(--ir-button-border, #d0d7de);
  --_ir-focus-color: var(--ir-focus-color, #0969da);
  --_ir-state-color: var(--ir-state-color, #6e7781);
  --_ir-connected-color: var(--ir-connected-color, #1a7f37);
  --_ir-pending-color: var(--ir-pending-color, #9a6700);
  --_ir-failed-color: var(--ir-failed-color, #cf222e);
`;

const dark = css`
  --_ir-color: var(--ir-color, #e6edf3);
  --_ir-background: var(--ir-background, #0d1117);
  --_ir-avatar-background: var(--ir-avatar-background, #484f58);
  --_ir-avatar-color: var(--ir-avatar-color, #ffffff);
  --_ir-status-bar-background: var(--ir-status-bar-background, #161b22);
  --_ir-button-background: var(--ir-button-background, #21262d);
  --_ir-button-color: var(--ir-button-color, #e6edf3);
  --_ir-button-border: var(--ir-button-border, #3d444d);
  --_ir-focus-color: var(--ir-focus-color, #4493f8);
  --_ir-state-color: var(--ir-state-color, #8c959f);
  --_ir-connected-color: var(--ir-connected-color, #3fb950);
  --_ir-pending-color: var(--ir-pending-color, #d29922);
  --_ir-failed-color: var(--ir-failed-color, #f85149);
`;

/**
 * A theme block: `light` by default, `dark` under `prefers-color-scheme: dark` unless
 * `theme="light"`, or forced by `theme="dark"`. Each element adds its own properties' block.
 */
export function themed(light: CSSResult, dark: CSSResult): CSSResult {
  return css`
    :host {
      ${light}
      color-scheme: light;
    }
    @media (prefers-color-scheme: dark) {
      :host(:not([theme='light'])) {
        ${dark}
        color-scheme: dark;
      }
    }
    :host([theme='dark']) {
      ${dark}
      color-scheme: dark;
    }
  `;
}

/** The theme of what every element shows: text, the status bar, buttons, avatars, the state dot. */
export const themeStyles = themed(light, dark);

export const statusBarStyles = css`
  ${themeStyles}
  [part~='status-bar'] {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--ir-gap, 0.5rem);
    padding: var(--ir-status-bar-padding, 0.25rem 0.5rem);
    font: var(--ir-font, 0.875rem/1.4 system-ui, sans-serif);
    color: var(--_ir-color);
    background: var(--_ir-status-bar-background);
    border-radius: var(--ir-radius, 6px);
  }
  [part~='state'] {
    display: inline-flex;
    align-items: center;
    gap: 0.35em;
  }
  [part~='state']::before {
    content: '';
    width: 0.6em;
    height: 0.6em;
    border-radius: 50%;
    background: var(--_ir-state-color);
  }
  [part~='state'][data-state='connected']::before {
    background: var(--_ir-connected-color);
  }
  [part~='state'][data-state='failed']::before {
    background: var(--_ir-failed-color);
  }
  [part~='state'][data-state='provisioning']::before,
  [part~='state'][data-state='connecting']::before,
  [part~='state'][data-state='reconnecting']::before {
    background: var(--_ir-pending-color);
  }
  [part~='peers'] {
    display: flex;
    align-items: center;
    margin-inline-start: auto;
    padding: 0;
    list-style: none;
  }
  [part~='peer'] {
    display: inline-grid;
    place-items: center;
    width: var(--ir-avatar-size, 1.75rem);
    height: var(--ir-avatar-size, 1.75rem);
    margin-inline-start: -0.25rem;
    border: 2px solid var(--_ir-status-bar-background);
    border-radius: 50%;
    background: var(--_ir-avatar-background);
    color: var(--_ir-avatar-color);
    font-size: 0.7em;
    overflow: hidden;
  }
  [part~='peer'] img {
    width: 100%;
    height: 100%;
    object-fit: cover;
  }
  button {
    font: inherit;
    cursor: pointer;
    border: 1px solid var(--_ir-button-border);
    border-radius: var(--ir-radius, 6px);
    background: var(--_ir-button-background);
    color: var(--_ir-button-color);
    padding: 0.1rem 0.5rem;
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.55;
  }
  button:focus-visible,
  select:focus-visible {
    outline: 2px solid var(--_ir-focus-color);
    outline-offset: 2px;
  }
`;

/** Up to two initials of a display name. */
export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]?.[0], words[words.length - 1]?.[0]] : [words[0]?.[0]];
  return letters.join('').toUpperCase() || '?';
}
