/**
 * End-to-end harness: a real reference server on a free port serving the built dist/, and Debian's
 * Chromium driven by playwright-core, one browser context (a separate tab and user) per page.
 * Elements are inserted into the demo page and observed through their public contract only.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type RunningServer, type ServerConfig, startServer } from '../../src/server/index.js';

const distDir = fileURLToPath(new URL('../../dist/', import.meta.url));

/** Chromium flags for headless WebRTC with fake devices on loopback (FINDINGS.md). */
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

/** Timeouts sized for a loaded 2-core machine. */
export const TIMEOUT = {
  pageReady: 20_000,
  connected: 20_000,
  event: 15_000,
} as const;

export const E2E_CONFIG: ServerConfig = { locations: { duo: { maxUsersPerInstance: 2 } } };

function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((path): path is string => path !== undefined && existsSync(path));
  if (found === undefined) {
    throw new Error('e2e: Chromium not found at /usr/bin/chromium; run `node scripts/ensure-system-deps.mjs`');
  }
  return found;
}

/** One recorded DOM event of an element, with its `detail` reduced to plain data. */
export interface RecordedEvent {
  type: string;
  detail: Record<string, unknown>;
  at: number;
}

export interface PeerSnapshot {
  peerID: string;
  userID: string;
  name: string;
  avatarUrl?: string;
  peerIndex: number;
}

export interface InstanceSnapshot {
  id: string;
  roomCode: string;
  p2p: boolean;
  locationId: string;
  ipAddress?: string;
  port?: number;
}

/** What an `<ir-world-instance>` shows through its read-only properties. */
export interface WorldSnapshot {
  state: string;
  instance: InstanceSnapshot | null;
  peers: PeerSnapshot[];
  selfPeerID: string;
  error: { code: string; message: string } | null;
}

interface PageRecorder {
  elements: Map<string, HTMLElement>;
  events: Map<string, RecordedEvent[]>;
}

declare global {
  interface Window {
    __irE2e?: PageRecorder;
  }
}

const RECORDED_EVENTS = [
  'ir-state-change',
  'ir-instance-provisioned',
  'ir-peer-join',
  'ir-peer-leave',
  'ir-message',
  'ir-error',
  'ir-participant-join',
  'ir-participant-leave',
] as const;

/** What an `<ir-media-channel>` shows through its read-only properties. */
export interface MediaSnapshot {
  state: string;
  participants: { peerID: string; name: string }[];
  error: { code: string; message: string } | null;
}

/** A page (its own browser context) with the demo page loaded and the elements defined. */
export class E2ePage {
  readonly log: string[] = [];
  /** Every URL the page requested, in order. */
  readonly requests: string[] = [];

  constructor(
    readonly name: string,
    readonly page: Page,
    private readonly context: BrowserContext,
  ) {
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        this.log.push(`console.${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => this.log.push(`pageerror: ${error.message}`));
    page.on('request', (request) => this.requests.push(request.url()));
  }

  /**
   * Inserts `<ir-world-instance>` with these attributes (true → boolean attribute) and records
   * its events from before insertion, so no event can be missed.
   */
  addWorld(key: string, attributes: Record<string, string | boolean>): Promise<void> {
    return this.addElement(key, 'ir-world-instance', attributes);
  }

  /** Inserts `<ir-media-channel>` into the element `parentKey` (a world instance), or into the body. */
  addMediaChannel(key: string, attributes: Record<string, string | boolean>, parentKey?: string): Promise<void> {
    return this.addElement(key, 'ir-media-channel', attributes, parentKey);
  }

  private async addElement(
    key: string,
    tag: string,
    attributes: Record<string, string | boolean>,
    parentKey?: string,
  ): Promise<void> {
    await this.page.evaluate(
      ({ key, tag, attributes, types, parentKey }) => {
        window.__irE2e ??= { elements: new Map(), events: new Map() };
        const recorder = window.__irE2e;
        const parent = parentKey === undefined ? document.body : recorder.elements.get(parentKey);
        if (parent === undefined) throw new Error(`no element "${parentKey}"`);
        const element = document.createElement(tag);
        for (const [name, value] of Object.entries(attributes)) {
          if (value === true) element.setAttribute(name, '');
          else if (value !== false) element.setAttribute(name, value);
        }
        const events: RecordedEvent[] = [];
        recorder.events.set(key, events);
        recorder.elements.set(key, element);
        for (const type of types) {
          element.addEventListener(type, (event) => {
            const detail = (event as CustomEvent<unknown>).detail;
            const copy: Record<string, unknown> = {};
            if (detail !== null && typeof detail === 'object') {
              // Errors and Maps do not survive JSON; keep what the tests look at. (No named
              // helper functions in here: tsx's __name wrapper does not exist in the page.)
              for (const [field, value] of Object.entries(detail)) {
                if (value instanceof Error) {
                  const code = (value as Error & { code?: unknown }).code;
                  copy[field] = { name: value.name, code, message: value.message };
                } else if (value instanceof Map) copy[field] = Object.fromEntries(value);
                else copy[field] = value;
              }
            }
            events.push({ type, detail: JSON.parse(JSON.stringify(copy)) as Record<string, unknown>, at: Date.now() });
          });
        }
        parent.append(element);
      },
      { key, tag, attributes, types: RECORDED_EVENTS, parentKey },
    );
  }

  /**
   * Tracks an element that is already in the page (from its HTML) under `key`. Its events before
   * this call are not recorded; its state and properties are.
   */
  async adopt(key: string, selector: string): Promise<void> {
    await this.page.evaluate(
      ({ key, selector }) => {
        window.__irE2e ??= { elements: new Map(), events: new Map() };
        const element = document.querySelector<HTMLElement>(selector);
        if (element === null) throw new Error(`nothing matches ${selector}`);
        window.__irE2e.elements.set(key, element);
        window.__irE2e.events.set(key, []);
      },
      { key, selector },
    );
  }

  async removeElement(key: string): Promise<void> {
    await this.page.evaluate((key) => {
      const element = window.__irE2e?.elements.get(key);
      if (element === undefined) throw new Error(`no element "${key}"`);
      element.remove();
    }, key);
  }

  async snapshot(key: string): Promise<WorldSnapshot> {
    return this.page.evaluate((key) => {
      type World = HTMLElement & {
        state: string;
        instance: InstanceSnapshot | null;
        peers: ReadonlyMap<string, PeerSnapshot>;
        selfPeerID: string;
        error: (Error & { code?: string }) | null;
      };
      const element = window.__irE2e?.elements.get(key) as World | undefined;
      if (element === undefined) throw new Error(`no element "${key}"`);
      const { error } = element;
      return JSON.parse(
        JSON.stringify({
          state: element.state,
          instance: element.instance,
          peers: [...(element.peers?.values() ?? [])],
          selfPeerID: element.selfPeerID,
          error: error ? { code: String(error.code), message: error.message } : null,
        }),
      ) as WorldSnapshot;
    }, key);
  }

  async mediaSnapshot(key: string): Promise<MediaSnapshot> {
    return this.page.evaluate((key) => {
      type Media = HTMLElement & {
        state: string;
        participants: ReadonlyMap<string, { peerID: string; name: string }>;
        error: (Error & { code?: string }) | null;
      };
      const element = window.__irE2e?.elements.get(key) as Media | undefined;
      if (element === undefined) throw new Error(`no element "${key}"`);
      const { error } = element;
      return {
        state: element.state,
        participants: [...(element.participants?.values() ?? [])].map((p) => ({ peerID: p.peerID, name: p.name })),
        error: error ? { code: String(error.code), message: error.message } : null,
      };
    }, key);
  }

  async events(key: string): Promise<RecordedEvent[]> {
    return this.page.evaluate((key) => window.__irE2e?.events.get(key) ?? [], key);
  }

  /** Waits until the element's `state` is `state`; fails with what the page showed instead. */
  async waitForState(key: string, state: string, timeout: number = TIMEOUT.connected): Promise<WorldSnapshot> {
    const what = `${this.name}/${key}: state "${state}"`;
    // `failed` is final until someone calls reconnect(): stop waiting for anything else then.
    const reached = await this.waitFor(what, timeout, key, () =>
      this.page.waitForFunction(
        ({ key, state }) => {
          const current = (window.__irE2e?.elements.get(key) as { state?: string } | undefined)?.state;
          return current === state || current === 'failed' ? current : false;
        },
        { key, state },
        { timeout, polling: 50 },
      ),
    );
    if ((await reached.jsonValue()) !== state) {
      throw new Error(`${what} never came: the element failed\n${await this.describe(key)}`);
    }
    return this.snapshot(key);
  }

  /**
   * Waits for a recorded event of `type` (recorded since insertion) whose `detail.peer.peerID`
   * (or `detail.participant.peerID`) is `peerID` when given; returns it.
   */
  async waitForEvent(
    key: string,
    type: string,
    options: { peerID?: string; timeout?: number } = {},
  ): Promise<RecordedEvent> {
    const timeout = options.timeout ?? TIMEOUT.event;
    const peerID = options.peerID ?? null;
    const what = `${this.name}/${key}: event ${type}${peerID ? ` for peer ${peerID}` : ''}`;
    const handle = await this.waitFor(what, timeout, key, () =>
      this.page.waitForFunction(
        ({ key, type, peerID }) =>
          window.__irE2e?.events
            .get(key)
            ?.find(
              (event) =>
                event.type === type &&
                (peerID === null ||
                  ((event.detail.peer ?? event.detail.participant) as { peerID?: string } | undefined)?.peerID ===
                    peerID),
            ) ?? false,
        { key, type, peerID },
        { timeout, polling: 50 },
      ),
    );
    return (await handle.jsonValue()) as RecordedEvent;
  }

  private async waitFor<T>(what: string, timeout: number, key: string, wait: () => Promise<T>): Promise<T> {
    try {
      return await wait();
    } catch (error) {
      if (this.page.isClosed()) throw error;
      const shown = await this.describe(key);
      throw new Error(`timed out after ${timeout} ms waiting for ${what}\n${shown}`, { cause: error });
    }
  }

  /** What the page shows about an element, for failure messages. */
  async describe(key: string): Promise<string> {
    const lines: string[] = [];
    try {
      const tag = await this.page.evaluate((key) => window.__irE2e?.elements.get(key)?.localName, key);
      const shown = tag === 'ir-media-channel' ? await this.mediaSnapshot(key) : await this.snapshot(key);
      lines.push(`  ${tag}: ${JSON.stringify(shown)}`);
      const events = await this.events(key);
      lines.push(
        `  events: ${events.map((event) => `${event.type} ${JSON.stringify(event.detail)}`).join('\n          ')}`,
      );
    } catch (error) {
      lines.push(`  (could not read the element: ${error instanceof Error ? error.message : String(error)})`);
    }
    if (this.log.length > 0) lines.push(`  page log:\n    ${this.log.slice(-20).join('\n    ')}`);
    return lines.join('\n');
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
  }
}

/** A running server and browser for one test file. */
export class E2eEnvironment {
  private readonly pages = new Set<E2ePage>();
  private pageCount = 0;

  private constructor(
    readonly server: RunningServer,
    readonly browser: Browser,
  ) {}

  static async start(config: ServerConfig = E2E_CONFIG): Promise<E2eEnvironment> {
    if (!existsSync(new URL('ir-rooms.js', `file://${distDir}`))) {
      throw new Error(`e2e: ${distDir}ir-rooms.js is missing; run \`npm run build\` first (npm test does)`);
    }
    const server = await startServer({
      port: 0,
      dev: true,
      config,
      staticDir: distDir,
      logLevel: process.env.IR_E2E_LOG_LEVEL === undefined ? 'silent' : (process.env.IR_E2E_LOG_LEVEL as 'info'),
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
  async openPage(url = `${this.server.url}/`): Promise<E2ePage> {
    this.pageCount += 1;
    const context = await this.browser.newContext();
    const page = await context.newPage();
    const e2ePage = new E2ePage(`page${this.pageCount}`, page, context);
    this.pages.add(e2ePage);
    const response = await page.goto(url, { timeout: TIMEOUT.pageReady });
    if (response === null || !response.ok()) {
      throw new Error(`e2e: ${url} answered ${response?.status() ?? 'nothing'}`);
    }
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

  async closePages(): Promise<void> {
    await Promise.all([...this.pages].map((page) => page.close()));
    this.pages.clear();
  }

  async close(): Promise<void> {
    await this.closePages();
    await this.browser.close().catch(() => undefined);
    await this.server.close();
  }
}

/** A location id no other test uses, so tests on one server never share instances. */
export function uniqueLocation(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
