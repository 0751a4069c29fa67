/** Styles the kit's built-in UI shares: the status bar and peer avatars. */
import { css } from 'lit';

export const statusBarStyles = css`
  [part~='status-bar'] {
    display: flex;
    align-items: center;
    gap: var(--ir-gap, 0.5rem);
    padding: var(--ir-status-bar-padding, 0.25rem 0.5rem);
    font: var(--ir-font, 0.875rem/1.4 system-ui, sans-serif);
    color: var(--ir-color, #1f2328);
    background: var(--ir-status-bar-background, #f6f8fa);
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
    background: var(--ir-state-color, #8c959f);
  }
  [part~='state'][data-state='connected']::before {
    background: var(--ir-connected-color, #1a7f37);
  }
  [part~='state'][data-state='failed']::before {
    background: var(--ir-failed-color, #cf222e);
  }
  [part~='state'][data-state='provisioning']::before,
  [part~='state'][data-state='connecting']::before,
  [part~='state'][data-state='reconnecting']::before {
    background: var(--ir-pending-color, #bf8700);
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
    border: 2px solid var(--ir-status-bar-background, #f6f8fa);
    border-radius: 50%;
    background: var(--ir-avatar-background, #6e7781);
    color: var(--ir-avatar-color, #fff);
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
    border: 1px solid var(--ir-button-border, #d0d7de);
    border-radius: var(--ir-radius, 6px);
    background: var(--ir-button-background, #fff);
    color: inherit;
    padding: 0.1rem 0.5rem;
  }
  button:focus-visible {
    outline: 2px solid var(--ir-focus-color, #0969da);
    outline-offset: 1px;
  }
`;

/** Up to two initials of a display name. */
export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]?.[0], words[words.length - 1]?.[0]] : [words[0]?.[0]];
  return letters.join('').toUpperCase() || '?';
}
