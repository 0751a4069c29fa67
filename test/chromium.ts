/** Debian's Chromium and the flags every browser test and e2e test runs it with (FINDINGS.md). */
import { existsSync } from 'node:fs';

/** Headless WebRTC with fake devices on loopback, and no background traffic off the machine. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-networking',
  '--disable-component-update',
];

/** The Chromium binary (`CHROMIUM_PATH` overrides); a clear error when it is not installed. */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((path): path is string => path !== undefined && existsSync(path));
  if (found === undefined) {
    throw new Error('Chromium not found at /usr/bin/chromium; run `node scripts/ensure-system-deps.mjs`');
  }
  return found;
}
