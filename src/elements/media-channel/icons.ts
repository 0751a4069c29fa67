/** Inline SVG icons of `<ir-media-channel>`: decorative (`aria-hidden`), coloured by `currentColor`. */
import { svg, type TemplateResult } from 'lit';

function icon(body: TemplateResult<2>, slashed = false): TemplateResult<2> {
  return svg`<svg part="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
    <g fill="currentColor">${body}</g>
    ${slashed ? svg`<path d="M3.5 3.5l17 17" stroke="currentColor" stroke-width="2" stroke-linecap="round" />` : null}
  </svg>`;
}

const microphonePath = svg`<path d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11h-2z" />`;
const cameraPath = svg`<path d="M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-3.5l4 4v-11l-4 4z" />`;

export const icons = {
  microphone: icon(microphonePath),
  microphoneOff: icon(microphonePath, true),
  camera: icon(cameraPath),
  cameraOff: icon(cameraPath, true),
  screen: icon(
    svg`<path d="M20 18a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2H4a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2H1v2h22v-2h-3zM4 6h16v10H4V6zm8 1.5L8.5 11H11v3h2v-3h2.5L12 7.5z" />`,
  ),
  devices: icon(
    svg`<path d="M3 17v2h6v-2H3zM3 5v2h10V5H3zm10 16v-2h8v-2h-8v-2h-2v6h2zM7 9v2H3v2h4v2h2V9H7zm14 4v-2H11v2h10zm-6-4h2V7h4V5h-4V3h-2v6z" />`,
  ),
  leave: icon(
    svg`<path d="M12 9c-1.6 0-3.15.25-4.6.72v3.1c0 .39-.23.74-.56.9-.98.49-1.87 1.12-2.66 1.85a1 1 0 0 1-1.41-.01L.29 13.08a1 1 0 0 1 0-1.41C3.34 8.78 7.46 7 12 7s8.66 1.78 11.71 4.67a1 1 0 0 1 0 1.42l-2.48 2.48a1 1 0 0 1-1.41.01 11.27 11.27 0 0 0-2.67-1.85 1 1 0 0 1-.56-.9v-3.1C15.15 9.25 13.6 9 12 9z" />`,
  ),
  join: icon(
    svg`<path d="M6.62 10.79a15.05 15.05 0 0 0 6.59 6.59l2.2-2.2a1 1 0 0 1 1.01-.24c1.12.37 2.33.57 3.58.57a1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1.02l-2.2 2.2z" />`,
  ),
  speaker: icon(
    svg`<path d="M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 7.97v8.05A4.48 4.48 0 0 0 16.5 12zM14 3.23v2.06a7 7 0 0 1 0 13.42v2.06a9 9 0 0 0 0-17.54z" />`,
  ),
  close: icon(
    svg`<path d="M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z" />`,
  ),
};
