/** One browser tab of the end-to-end tests: inserts the kit's elements, records their events, waits on them. */
import type { BrowserContext, Page } from 'playwright-core';

/** Timeouts sized for a loaded 2-core machine. */
export const TIMEOUT = {
  pageReady: 20_000,
  connected: 20_000,
  event: 15_000,
} as const;

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
  'ir-device-error',
  'ir-audio-blocked',
  'ir-active-speaker-change',
] as const;

/** What addWorld() sets besides attributes. */
export interface ElementOptions {
  /** The name of a window function (Playwright's `exposeFunction`) that becomes the `tokenProvider`. */
  tokenProvider?: string;
}

/** Console lines starting with this are kept in `E2ePage.marks` (a page the test must not touch reports through them). */
export const MARK_PREFIX = 'ir-e2e:';

/** What an `<ir-media-channel>` shows through its read-only properties. */
export interface MediaSnapshot {
  state: string;
  participants: { peerID: string; name: string }[];
  error: { code: string; message: string } | null;
}

/**
 * Polls `check` in Node (a server API, say) until it returns true; on timeout fails with `what`
 * and `shown()`.
 */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  shown: () => Promise<string>,
  timeout: number = TIMEOUT.event,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what}\n${await shown()}`);
}

/** A page (its own browser context) with the demo page loaded and the elements defined. */
export class E2ePage {
  readonly log: string[] = [];
  /** Every URL the page requested, in order. */
  readonly requests: string[] = [];
  /** Console lines the page logged with `MARK_PREFIX`, without it, in order. */
  readonly marks: string[] = [];

  constructor(
    readonly name: string,
    readonly page: Page,
    private readonly context: BrowserContext,
  ) {
    page.on('console', (message) => {
      if (message.text().startsWith(MARK_PREFIX)) this.marks.push(message.text().slice(MARK_PREFIX.length));
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
  addWorld(key: string, attributes: Record<string, string | boolean>, options: ElementOptions = {}): Promise<void> {
    return this.addElement(key, 'ir-world-instance', attributes, undefined, options);
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
    options: ElementOptions = {},
  ): Promise<void> {
    await this.page.evaluate(
      ({ key, tag, attributes, types, parentKey, tokenProvider }) => {
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
        if (tokenProvider !== undefined) {
          const provide = (window as unknown as Record<string, () => Promise<string>>)[tokenProvider];
          if (typeof provide !== 'function') throw new Error(`no window.${tokenProvider}()`);
          (element as HTMLElement & { tokenProvider: () => Promise<string> }).tokenProvider = () => provide();
        }
        parent.append(element);
      },
      { key, tag, attributes, types: RECORDED_EVENTS, parentKey, tokenProvider: options.tokenProvider },
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

  /**
   * Waits until the page logged the mark `text` (with `MARK_PREFIX`), without running anything in
   * the page (so without a user gesture).
   */
  async waitForMark(text: string, timeout: number = TIMEOUT.event): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!this.marks.includes(text)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `${this.name}: the page never logged "${MARK_PREFIX}${text}" within ${timeout} ms; marks: ${JSON.stringify(this.marks)}\n  page log:\n    ${this.log.slice(-20).join('\n    ')}`,
        );
      }
      await this.page
        .waitForEvent('console', { predicate: (message) => message.text() === `${MARK_PREFIX}${text}`, timeout: left })
        .catch(() => undefined);
    }
  }

  /**
   * Waits until `pageFunction(arg)` returns something truthy in the page and returns it; on
   * timeout fails with `what` and what the element `key` shows. The function must not declare
   * named functions (the page has no tsx `__name` helper).
   */
  async waitUntil<Arg, Result>(
    key: string,
    what: string,
    pageFunction: (arg: Arg) => Result,
    arg: Arg,
    timeout: number = TIMEOUT.event,
  ): Promise<Exclude<Result, false | null | undefined>> {
    const handle = await this.waitFor(`${this.name}/${key}: ${what}`, timeout, key, () =>
      // Plain data in and out, so playwright's boxing of handles does not apply.
      this.page.waitForFunction(pageFunction as (arg: unknown) => Result, arg as unknown, { timeout, polling: 100 }),
    );
    return (await handle.jsonValue()) as Exclude<Result, false | null | undefined>;
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
