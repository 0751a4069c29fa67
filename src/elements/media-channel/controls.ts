/**
 * The built-in control bar of `<ir-media-channel>` and its device menu: native buttons and selects
 * (keyboard and screen readers work without extra code), labelled from the strings table.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import type { DeviceOption } from './device-list.js';
import { icons } from './icons.js';
import type { DeviceSelectKind, MediaChannelStrings } from './strings.js';

export const DEVICE_MENU_ID = 'device-menu';

export interface ControlsView {
  strings: MediaChannelStrings;
  microphone: boolean;
  camera: boolean;
  screen: boolean;
  /** The browser can capture a camera or microphone at all. */
  canCapture: boolean;
  canShareScreen: boolean;
  /** Joined or joining: the last button leaves; else it joins. */
  joined: boolean;
  /** There is something to join or leave. */
  canJoinOrLeave: boolean;
  menuOpen: boolean;
  /** Options per kind; `audiooutput` is `null` where the browser cannot pick a speaker. */
  devices: Record<'audioinput' | 'videoinput', DeviceOption[]> & { audiooutput: DeviceOption[] | null };
  selected: Record<DeviceSelectKind, string>;
  onMicrophone(): void;
  onCamera(): void;
  onScreen(): void;
  onDevices(): void;
  onJoinOrLeave(): void;
  onSelect(kind: DeviceSelectKind, deviceId: string): void;
  onMenuKeydown(event: KeyboardEvent): void;
}

function deviceSelect(view: ControlsView, kind: DeviceSelectKind, label: string, options: DeviceOption[]) {
  const current = view.selected[kind];
  return html`<label part="device-field">
    <span part="device-label">${label}</span>
    <select
      part="device-select"
      name=${kind}
      ?disabled=${options.length === 0}
      @change=${(event: Event) => view.onSelect(kind, (event.target as HTMLSelectElement).value)}
    >
      ${options.map(
        (option) =>
          html`<option value=${option.deviceId} .selected=${live(option.deviceId === current)}>${option.label}</option>`,
      )}
    </select>
  </label>`;
}

/**
 * Arrow keys, Home and End move between the toolbar's buttons, as a toolbar's keyboard users
 * expect (ARIA APG); Tab still visits each button, so either way reaches every control.
 */
function onToolbarKeydown(event: KeyboardEvent): void {
  const toolbar = event.currentTarget as HTMLElement;
  const buttons = [...toolbar.querySelectorAll<HTMLButtonElement>(':scope > button:not(:disabled)')];
  const at = buttons.indexOf((toolbar.getRootNode() as ShadowRoot).activeElement as HTMLButtonElement);
  if (at < 0) return;
  const last = buttons.length - 1;
  const rtl = getComputedStyle(toolbar).direction === 'rtl';
  const step = { ArrowRight: rtl ? -1 : 1, ArrowLeft: rtl ? 1 : -1 }[event.key];
  let next: number | undefined;
  if (step !== undefined) next = (at + step + buttons.length) % buttons.length;
  else if (event.key === 'Home') next = 0;
  else if (event.key === 'End') next = last;
  if (next === undefined) return;
  event.preventDefault();
  buttons[next]?.focus();
}

/** A toggle of the toolbar: `aria-pressed` says whether it is on, the tooltip what that means. */
function toggle(
  name: string,
  pressed: boolean,
  title: string,
  disabled: boolean,
  onClick: () => void,
  icon: TemplateResult,
  label: string,
) {
  return html`<button
    part="control ${name}"
    type="button"
    aria-pressed=${String(pressed)}
    title=${title}
    ?disabled=${disabled}
    @click=${onClick}
  >
    ${icon}<span part="control-label">${label}</span>
  </button>`;
}

export function controlsTemplate(view: ControlsView) {
  const s = view.strings;
  const onKeydown = (event: KeyboardEvent) => {
    view.onMenuKeydown(event);
    onToolbarKeydown(event);
  };
  return html`<div part="controls" role="toolbar" aria-label=${s.controls} @keydown=${onKeydown}>
      ${toggle('microphone', view.microphone, view.microphone ? s.microphoneOn : s.microphoneOff, !view.canCapture, view.onMicrophone, view.microphone ? icons.microphone : icons.microphoneOff, s.microphone)}
      ${toggle('camera', view.camera, view.camera ? s.cameraOn : s.cameraOff, !view.canCapture, view.onCamera, view.camera ? icons.camera : icons.cameraOff, s.camera)}
      ${toggle('screen-share', view.screen, view.screen ? s.stopSharing : s.shareScreen, !view.canShareScreen, view.onScreen, icons.screen, s.shareScreen)}
      <button
        part="control devices"
        type="button"
        aria-expanded=${String(view.menuOpen)}
        aria-controls=${DEVICE_MENU_ID}
        ?disabled=${!view.canCapture}
        @click=${view.onDevices}
      >
        ${icons.devices}<span part="control-label">${s.devices}</span>
      </button>
      <button
        part=${view.joined ? 'control leave' : 'control join'}
        type="button"
        ?disabled=${!view.canJoinOrLeave}
        @click=${view.onJoinOrLeave}
      >
        ${view.joined ? icons.leave : icons.join}<span part="control-label">${view.joined ? s.leave : s.join}</span>
      </button>
      <slot name="controls-end"></slot>
    </div>
    <div
      part="device-menu"
      id=${DEVICE_MENU_ID}
      role="group"
      aria-label=${s.devices}
      ?hidden=${!view.menuOpen}
      @keydown=${view.onMenuKeydown}
    >
      ${deviceSelect(view, 'audioinput', s.microphoneSelect, view.devices.audioinput)}
      ${deviceSelect(view, 'videoinput', s.cameraSelect, view.devices.videoinput)}
      ${view.devices.audiooutput ? deviceSelect(view, 'audiooutput', s.speakerSelect, view.devices.audiooutput) : nothing}
    </div>`;
}
