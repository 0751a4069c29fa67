/**
 * End to end: Storybook. The static build (`npm run build-storybook`, made here when missing or
 * stale) is served from a loopback origin and pointed at a reference server; every story that
 * index.json lists is opened on its own in Chromium, as Storybook's preview shows it, and must
 * render a kit element, pass its `play` (which waits for the state the story shows, with its
 * guests) and log no console error; a story in Storybook's UI and the docs pages too. Then
 * `npm run storybook` (scripts/storybook.mjs): one story in two tabs shows both, and SIGTERM stops
 * Storybook and its server. Nothing may be requested or looked up off the machine.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { TIMEOUT, until } from './e2e-page.js';
import { E2eEnvironment } from './harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const staticDir = join(root, 'storybook-static');

/** A story's `play` waits up to 30 s for one state; the 16-participant story does that twice. */
const STORY_TIMEOUT_MS = 75_000;

/** What the static build is made from: any of these newer than its index.json means rebuilding. */
const SOURCES = ['.storybook', 'stories', 'src', 'custom-elements.json'];

function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestChange(join(path, name))), stat.mtimeMs);
}

/** What the preload below prints for each name a Node process looks up that is not this machine. */
const OFF_MACHINE = 'storybook e2e: off-machine lookup';

/**
 * A preload for Storybook's Node processes: prints every DNS lookup of a name other than
 * localhost. Every connection by name (fetch, http, net) goes through dns.lookup, so a telemetry
 * post, an update check or a download shows up here whether or not the network answers. Literal
 * addresses need no name lookup and are left out: Node passes them through dns.lookup too
 * (Storybook's dev server for this machine's own address, the SFU for the ICE checks it answers).
 */
const WATCH_LOOKUPS = `data:text/javascript,${encodeURIComponent(`
import dns from 'node:dns';
import net from 'node:net';
const local = (host) => net.isIP(String(host)) !== 0 || String(host) === 'localhost';
const lookup = dns.lookup;
dns.lookup = function (host, ...rest) {
  if (!local(host)) process.stderr.write('${OFF_MACHINE} ' + host + '\\n');
  return lookup.call(this, host, ...rest);
};
const lookupPromise = dns.promises.lookup;
dns.promises.lookup = function (host, ...rest) {
  if (!local(host)) process.stderr.write('${OFF_MACHINE} ' + host + '\\n');
  return lookupPromise.call(this, host, ...rest);
};
`)}`;

/** The environment for Storybook's processes: telemetry off, lookups watched. */
function watchedEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    STORYBOOK_DISABLE_TELEMETRY: '1',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${WATCH_LOOKUPS}`.trim(),
  };
}

/** The names a process's output says it looked up off this machine. */
function offMachineLookups(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith(OFF_MACHINE))
    .map((line) => line.slice(OFF_MACHINE.length).trim());
}

/** Builds storybook-static unless it is newer than everything it is made from. */
function ensureStaticBuild(): void {
  const index = join(staticDir, 'index.json');
  const sources = Math.max(...SOURCES.map((source) => newestChange(join(root, source))));
  if (existsSync(index) && statSync(index).mtimeMs > sources) return;
  console.log(
    'storybook e2e: building storybook-static (npm run build-storybook), it is missing or older than its sources',
  );
  const started = Date.now();
  const result = spawnSync('npm', ['run', 'build-storybook'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: watchedEnv(),
  });
  if (result.status !== 0) {
    throw new Error(`npm run build-storybook failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  const lookups = offMachineLookups(`${result.stdout}\n${result.stderr}`);
  if (lookups.length > 0)
    throw new Error(`npm run build-storybook looked up ${lookups.join(', ')}: it must stay offline`);
  console.log(`storybook e2e: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Serves `dir` on 127.0.0.1 (a loopback origin, so Chromium lets its pages reach the server). */
async function serveStatic(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(dir, pathname.endsWith('/') ? `${pathname}index.html` : pathname));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface IndexEntry {
  id: string;
  type: 'story' | 'docs';
  title: string;
  name: string;
}

/** How Storybook's preview finished a story: `success` or `error`, and what threw, if anything did. */
interface Outcome {
  status: string | null;
  error: string | null;
  elements: string[];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * One Storybook page in a browser context of its own, recording from before it loads: console
 * errors and page errors (its guests' frames included), failed responses, and every request.
 */
class StoryPage {
  readonly errors: string[] = [];
  readonly failedResponses: string[] = [];
  readonly requests: string[] = [];

  private constructor(
    readonly name: string,
    readonly page: Page,
  ) {
    page.on('console', (message) => {
      // Chromium asks every origin for /favicon.ico; Storybook's icon is favicon.svg.
      if (message.type() !== 'error' || message.location().url.endsWith('/favicon.ico')) return;
      this.errors.push(`console.error: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => this.errors.push(`pageerror: ${error.message}`));
    page.on('request', (request) => this.requests.push(request.url()));
    page.on('response', (response) => {
      if (response.status() >= 400) this.failedResponses.push(`${response.status()} ${response.url()}`);
    });
  }

  static async open(env: E2eEnvironment, url: string, name: string): Promise<StoryPage> {
    const context = await env.browser.newContext();
    const storyPage = new StoryPage(name, await context.newPage());
    const response = await storyPage.page.goto(url, { timeout: TIMEOUT.pageReady });
    if (response === null || !response.ok()) {
      await context.close();
      throw new Error(`storybook e2e: ${url} answered ${response?.status() ?? 'nothing'}`);
    }
    return storyPage;
  }

  /**
   * Evaluates `read` in the page until `done` holds. A reload in between (Vite's dev server reloads
   * a page once when its first visit finds dependencies to optimise) is waited out.
   */
  async until<T>(
    read: (arg: string) => T,
    arg: string,
    done: (value: T) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.page.evaluate(read, arg).catch((error: Error) => {
        if (/Execution context was destroyed|navigat/i.test(error.message)) return undefined;
        throw error;
      });
      if (value !== undefined && done(value as T)) return value as T;
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${this.describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Requests that would leave the machine (fonts, telemetry, update checks): there must be none. */
  offMachine(): string[] {
    return this.requests.filter((url) => /^(https?|wss?):/.test(url) && !LOOPBACK.has(new URL(url).hostname));
  }

  /** What went wrong in the page, for a failure message. */
  describe(): string {
    const lines = [...this.errors, ...this.failedResponses.map((line) => `HTTP ${line}`)];
    return `${this.name}:\n    ${lines.join('\n    ') || '(nothing logged)'}`;
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}

describe('Storybook (static build) against a reference server', () => {
  let env: E2eEnvironment;
  let storybook: { url: string; server: Server };
  let entries: IndexEntry[] = [];

  before(async () => {
    ensureStaticBuild();
    const index = JSON.parse(readFileSync(join(staticDir, 'index.json'), 'utf8')) as {
      entries: Record<string, IndexEntry>;
    };
    entries = Object.values(index.entries);
    storybook = await serveStatic(staticDir);
    env = await E2eEnvironment.start();
  });

  after(async () => {
    await env?.close();
    if (storybook) {
      storybook.server.closeAllConnections();
      await new Promise((resolve) => storybook.server.close(resolve));
    }
  });

  /** The preview iframe of one entry, told where the server is. */
  function previewUrl(entry: IndexEntry): string {
    const query = new URLSearchParams({ id: entry.id, viewMode: entry.type, irApiUrl: env.server.apiUrl });
    return `${storybook.url}/iframe.html?${query}`;
  }

  it('lists stories for every element of the manifest, and a docs page per element', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'custom-elements.json'), 'utf8')) as {
      modules: { declarations?: { tagName?: string }[] }[];
    };
    const tags = manifest.modules.flatMap((module) => module.declarations ?? []).flatMap((item) => item.tagName ?? []);
    const titles = new Set(entries.filter((entry) => entry.type === 'story').map((entry) => entry.title));
    assert.deepEqual([...titles].sort(), tags.map((tag) => `Elements/${tag}`).sort(), 'stories for every element');
    const docs = entries.filter((entry) => entry.type === 'docs').map((entry) => entry.title);
    assert.deepEqual(docs.sort(), [...titles].sort(), 'an autodocs page per element');
  });

  it('renders every story live: its element reaches the state the story shows, without console errors', async () => {
    const stories = entries.filter((entry) => entry.type === 'story');
    assert.ok(stories.length > 0, 'index.json lists stories');
    // One at a time, each page closed before the next: the 16-participant story alone is 16 pages.
    for (const entry of stories) {
      const page = await StoryPage.open(env, previewUrl(entry), entry.id);
      try {
        const outcome = await waitForStory(page, entry);
        const context = page.describe();
        assert.equal(outcome.error, null, `the story or its play function threw: ${context}`);
        assert.equal(outcome.status, 'success', `Storybook finished the story with success: ${context}`);
        assert.ok(
          outcome.elements.some((tag) => tag === 'ir-media-channel' || tag === 'ir-world-instance'),
          `the story rendered a kit element (${outcome.elements.join(', ')}): ${context}`,
        );
        assert.deepEqual(page.errors, [], `console errors in ${context}`);
        assert.deepEqual(page.offMachine(), [], `requests off the machine from ${entry.id}`);
      } finally {
        await page.close();
      }
    }
  });

  it("shows a story in Storybook's UI, the server named in the UI's own URL", async () => {
    const id = 'elements-ir-media-channel--two-participants';
    const query = new URLSearchParams({ path: `/story/${id}`, irApiUrl: env.server.apiUrl });
    const page = await StoryPage.open(env, `${storybook.url}/?${query}`, `the UI showing ${id}`);
    try {
      const status = await storyStatusInUi(page, id);
      assert.equal(status, 'success', `the story joined the server from the UI's URL: ${page.describe()}`);
      assert.deepEqual(page.errors, [], `console errors in ${page.describe()}`);
      assert.deepEqual(page.offMachine(), [], 'requests off the machine from the UI');
    } finally {
      await page.close();
    }
  });

  it('renders each docs page: the element reference from the manifest and one live story', async () => {
    for (const entry of entries.filter((candidate) => candidate.type === 'docs')) {
      const page = await StoryPage.open(env, previewUrl(entry), entry.id);
      try {
        const tag = entry.title.split('/').pop() ?? '';
        await page.page
          .waitForFunction(
            (tagName) => {
              const docs = document.querySelector('.sbdocs-content');
              return (
                docs !== null &&
                docs.querySelector('.sbdocs-title') !== null &&
                docs.querySelector(`.docs-story ${tagName}`) !== null &&
                docs.querySelector('table.docblock-argstable') !== null
              );
            },
            tag,
            { timeout: 20_000 },
          )
          .catch((error: unknown) => {
            throw new Error(
              `the docs page should show its title, a live <${tag}> and the args table: ${page.describe()}`,
              {
                cause: error,
              },
            );
          });
        const rows = await page.page.$$eval('table.docblock-argstable tbody tr td:first-child', (cells) =>
          cells.map((cell) => cell.textContent?.trim() ?? ''),
        );
        assert.ok(
          !rows.some((name) => name.startsWith('#')),
          `the element reference lists no private members: ${rows.join(', ')}`,
        );
        const stories = await page.page.locator('.sbdocs-content .docs-story').count();
        assert.equal(stories, 1, `${entry.id} renders one live story, not all of them`);
        assert.deepEqual(page.errors, [], `console errors in ${page.describe()}`);
        assert.deepEqual(page.offMachine(), [], `requests off the machine from ${entry.id}`);
      } finally {
        await page.close();
      }
    }
  });
});

/** Storybook's preview channel, which keeps the last arguments of each event it emitted. */
interface PreviewChannel {
  last(event: string): unknown[] | undefined;
}

/**
 * Waits for Storybook's preview to finish the story (rendered, then `play` passed or failed: its
 * `storyFinished` event) and reports how, with the kit elements in the canvas.
 */
async function waitForStory(page: StoryPage, entry: IndexEntry): Promise<Outcome> {
  return page.until(
    (id) => {
      const channel = (window as { __STORYBOOK_ADDONS_CHANNEL__?: PreviewChannel }).__STORYBOOK_ADDONS_CHANNEL__;
      const finished = channel?.last('storyFinished')?.[0] as { storyId?: string; status?: string } | undefined;
      const thrown = [
        ...(channel?.last('playFunctionThrewException') ?? []),
        ...(channel?.last('storyThrewException') ?? []),
        ...(channel?.last('storyErrored') ?? []),
      ] as { message?: string; title?: string; description?: string }[];
      return {
        status: finished?.storyId === id ? (finished.status ?? null) : null,
        error:
          thrown.length > 0
            ? thrown.map((error) => error.message ?? error.title ?? error.description).join('; ')
            : null,
        elements: [...document.querySelectorAll('#storybook-root *')]
          .map((element) => element.localName)
          .filter((name) => name.startsWith('ir-')),
      };
    },
    entry.id,
    (outcome) => outcome.status !== null,
    STORY_TIMEOUT_MS,
    'Storybook to finish the story (its storyFinished event)',
  );
}

/**
 * How the story `id` finished in Storybook's UI: `success`, `error`, or `threw: …` when its play
 * failed. The UI loads the preview in an iframe of its own (iframe.html, without our query).
 */
async function storyStatusInUi(page: StoryPage, id: string): Promise<string> {
  const deadline = Date.now() + STORY_TIMEOUT_MS;
  for (;;) {
    // A frame that has not navigated yet has no URL ('').
    const frame = page.page
      .frames()
      .find((candidate) => URL.canParse(candidate.url()) && new URL(candidate.url()).pathname === '/iframe.html');
    const status = await frame
      ?.evaluate((storyId) => {
        const channel = (window as { __STORYBOOK_ADDONS_CHANNEL__?: PreviewChannel }).__STORYBOOK_ADDONS_CHANNEL__;
        const thrown = channel?.last('playFunctionThrewException')?.[0] as { message?: string } | undefined;
        if (thrown) return `threw: ${thrown.message}`;
        const finished = channel?.last('storyFinished')?.[0] as { storyId?: string; status?: string } | undefined;
        return finished?.storyId === storyId ? (finished.status ?? null) : null;
      }, id)
      // The frame may be replaced while the UI starts; the next round finds the new one.
      .catch(() => null);
    if (status) return status;
    if (Date.now() > deadline) throw new Error(`the story ${id} did not finish in the UI: ${page.describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A port free right now, for Storybook's dev server (which takes no port 0). */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function reachable(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

describe('npm run storybook (scripts/storybook.mjs)', () => {
  let env: E2eEnvironment;
  let script: ChildProcess | undefined;
  const output: string[] = [];
  let storybookUrl = '';

  before(async () => {
    // For its browser only: the stories talk to the script's own server.
    env = await E2eEnvironment.start();
    const port = await freePort();
    storybookUrl = `http://127.0.0.1:${port}`;
    script = spawn(
      process.execPath,
      ['scripts/storybook.mjs', '--port', String(port), '--server-port', '0', '--', '--ci'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: watchedEnv(),
      },
    );
    script.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    script.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  });

  after(async () => {
    if (script && script.exitCode === null && script.signalCode === null) {
      script.kill('SIGTERM');
      await new Promise((resolve) => script?.once('exit', resolve));
    }
    await env?.close();
  });

  it('serves live stories: a story opened in two tabs shows both; SIGTERM stops Storybook and the server', async () => {
    const log = async () => `script output:\n${output.join('')}`;
    await until('Storybook to serve index.json', () => reachable(`${storybookUrl}/index.json`), log, 120_000);
    const serverUrl = /reference server at (http:\/\/\S+)/.exec(output.join(''))?.[1];
    assert.ok(serverUrl, `the script names its reference server\n${await log()}`);

    // Two tabs of the two-participant story: the session gives both the same channel, so each
    // shows itself, its guest, the other tab and that tab's guest.
    const url = `${storybookUrl}/iframe.html?id=elements-ir-media-channel--two-participants&viewMode=story`;
    const pages = [await StoryPage.open(env, url, 'tab 1'), await StoryPage.open(env, url, 'tab 2')];
    for (const page of pages) {
      await page.until(
        () =>
          document
            .querySelector('ir-media-channel')
            ?.shadowRoot?.querySelector('[part~="grid"]')
            ?.getAttribute('data-count') ?? null,
        '',
        (count) => count === '4',
        TIMEOUT.connected * 2,
        `${page.name} to show 4 tiles (both tabs and their guests)`,
      );
      assert.deepEqual(page.errors, [], `console errors in ${page.describe()}`);
      assert.deepEqual(page.offMachine(), [], `requests off the machine from ${page.name}`);
    }
    const instances = (await (await fetch(`${serverUrl}/api/instances`)).json()) as {
      channelId?: string;
      peers: number;
    }[];
    assert.ok(
      instances.some((instance) => instance.channelId?.startsWith('story-two-') && instance.peers === 4),
      `the script's server has the story's channel with 4 peers: ${JSON.stringify(instances)}`,
    );
    for (const page of pages) await page.close();

    // Storybook's UI too: its server answers what the UI asks (what's new, say) without going out.
    const ui = await StoryPage.open(env, `${storybookUrl}/?path=/story/elements-ir-media-channel--alone`, 'the UI');
    try {
      assert.equal(await storyStatusInUi(ui, 'elements-ir-media-channel--alone'), 'success', ui.describe());
      assert.deepEqual(ui.errors, [], `console errors in ${ui.describe()}`);
      assert.deepEqual(ui.offMachine(), [], 'requests off the machine from the UI');
    } finally {
      await ui.close();
    }

    const exited = new Promise<number | null>((resolve) => script?.once('exit', (code) => resolve(code)));
    script?.kill('SIGTERM');
    assert.equal(await exited, 0, `the script exits cleanly on SIGTERM\n${await log()}`);
    assert.equal(await reachable(`${storybookUrl}/index.json`), false, 'Storybook has stopped');
    assert.equal(await reachable(`${serverUrl}/api/instances`), false, 'the reference server has stopped');
    assert.deepEqual(offMachineLookups(output.join('')), [], 'names Storybook looked up off this machine');
  });
});
