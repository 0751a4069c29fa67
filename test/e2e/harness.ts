/**
 * End-to-end harness: a real reference server on a free port serving the built dist/, and Debian's
 * Chromium driven by playwright-core, one browser context (a separate tab and user) per page.
 * Elements are inserted into the demo page and observed through their public contract only.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import type { InstanceSummary } from '../../src/protocol/index.js';
import { type RunningServer, type ServerConfig, type ServerOptions, startServer } from '../../src/server/index.js';
import { CHROMIUM_ARGS, chromiumPath } from '../chromium.js';
import { E2ePage, TIMEOUT } from './e2e-page.js';

export { CHROMIUM_ARGS } from '../chromium.js';
export * from './e2e-page.js';

const distDir = fileURLToPath(new URL('../../dist/', import.meta.url));

export const E2E_CONFIG: ServerConfig = { locations: { duo: { maxUsersPerInstance: 2 } } };

export interface OpenPageOptions {
  /** Runs in the page before any of its scripts (to wrap a browser API, say). */
  initScript?: () => void;
  /** Another browser from `launchBrowser()`; the environment's own by default. */
  browser?: Browser;
  /**
   * Permissions the context grants (`['microphone']`, say). Only a browser launched without
   * `--use-fake-ui-for-media-stream` asks: it then denies what is not granted, as a user would.
   */
  permissions?: string[];
  /**
   * `false`: run no script in the page from the test, not even the wait for the elements to be
   * defined. Every playwright `evaluate` (and `waitForFunction`) runs as a user gesture in
   * Chromium, which gives the page user activation and so lifts the autoplay block.
   */
  waitForKit?: boolean;
}
/** A running server and browser for one test file. */
export class E2eEnvironment {
  private readonly pages = new Set<E2ePage>();
  private readonly browsers = new Set<Browser>();
  private readonly hosts = new Set<Server>();
  private pageCount = 0;

  private constructor(
    readonly server: RunningServer,
    readonly browser: Browser,
  ) {}

  /**
   * `options` adds server options (TURN settings, say) to the test defaults; `start` starts the
   * server (in this process by default; a benchmark runs the compiled one in a child process).
   */
  static async start(
    config: ServerConfig = E2E_CONFIG,
    options: ServerOptions = {},
    start: (options: ServerOptions) => Promise<RunningServer> = startServer,
  ): Promise<E2eEnvironment> {
    if (!existsSync(new URL('ir-rooms.js', `file://${distDir}`))) {
      throw new Error(`e2e: ${distDir}ir-rooms.js is missing; run \`npm run build\` first (npm test does)`);
    }
    const server = await start({
      port: 0,
      dev: true,
      config,
      staticDir: distDir,
      logLevel: process.env.IR_E2E_LOG_LEVEL === undefined ? 'silent' : (process.env.IR_E2E_LOG_LEVEL as 'info'),
      ...options,
    });
    try {
      const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
      return new E2eEnvironment(server, browser);
    } catch (error) {
      await server.close();
      throw error;
    }
  }

  /**
   * Opens a page in a new context (another tab, another user) and waits for the elements to be
   * defined: the demo page by default, or any page that loads ir-rooms.js.
   */
  async openPage(url = `${this.server.url}/`, options: OpenPageOptions = {}): Promise<E2ePage> {
    this.pageCount += 1;
    const context = await (options.browser ?? this.browser).newContext(
      options.permissions ? { permissions: options.permissions } : {},
    );
    if (options.initScript) await context.addInitScript(options.initScript);
    const page = await context.newPage();
    const e2ePage = new E2ePage(`page${this.pageCount}`, page, context);
    this.pages.add(e2ePage);
    const response = await page.goto(url, { timeout: TIMEOUT.pageReady });
    if (response === null || !response.ok()) {
      throw new Error(`e2e: ${url} answered ${response?.status() ?? 'nothing'}`);
    }
    if (options.waitForKit === false) return e2ePage;
    try {
      await page.waitForFunction(() => customElements.get('ir-world-instance') !== undefined, undefined, {
        timeout: TIMEOUT.pageReady,
      });
    } catch (error) {
      throw new Error(
        `e2e: <ir-world-instance> was not defined on ${url} within ${TIMEOUT.pageReady} ms\n  page log:\n    ${e2ePage.log.join('\n    ')}`,
        { cause: error },
      );
    }
    return e2ePage;
  }

  /**
   * Another Chromium with these flags instead of `CHROMIUM_ARGS` (without the autoplay flag, say);
   * closed with the environment.
   */
  async launchBrowser(args: readonly string[]): Promise<Browser> {
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: [...args] });
    this.browsers.add(browser);
    return browser;
  }

  /**
   * Serves `html` at `/` of its own origin on 127.0.0.1 (a page author's page that loads
   * `${server.url}/ir-rooms.js`); closed with the environment. A loopback origin, because Chromium
   * blocks a page that is not local (playwright's `route.fulfill` is not) from reaching the server.
   */
  async hostPage(html: string): Promise<string> {
    const host = createServer((request, response) => {
      if (request.url === '/') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(html);
      } else if (request.url === '/favicon.ico') {
        // Nothing, rather than a 404 in every page log.
        response.writeHead(204).end();
      } else {
        response.writeHead(404).end();
      }
    });
    this.hosts.add(host);
    await new Promise<void>((resolve, reject) => {
      host.once('error', reject);
      host.listen(0, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(host.address() as AddressInfo).port}/`;
  }

  /** The server's `GET /api/instances` (dev mode lists every live instance with its seats and peers). */
  async instances(): Promise<InstanceSummary[]> {
    const response = await fetch(`${this.server.apiUrl}/instances`);
    if (!response.ok) throw new Error(`e2e: GET /api/instances answered ${response.status}`);
    return (await response.json()) as InstanceSummary[];
  }

  async closePages(): Promise<void> {
    await Promise.all([...this.pages].map((page) => page.close()));
    this.pages.clear();
  }

  async close(): Promise<void> {
    await this.closePages();
    for (const browser of [...this.browsers, this.browser]) await browser.close().catch(() => undefined);
    for (const host of this.hosts) {
      host.closeAllConnections();
      await new Promise((resolve) => host.close(resolve));
    }
    await this.server.close();
  }
}

/** A location id no other test uses, so tests on one server never share instances. */
/** An init script (OpenPageOptions.initScript): keeps every RTCPeerConnection the page makes in `window.__pcs`. */
export function trackPeerConnections(): void {
  const Native = window.RTCPeerConnection;
  const all: RTCPeerConnection[] = [];
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = all;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      all.push(this);
    }
  } as typeof RTCPeerConnection;
}

export function uniqueLocation(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
