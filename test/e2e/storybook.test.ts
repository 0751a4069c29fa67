/**
 * End to end: the static Storybook (`npm run build-storybook`) served from a loopback origin,
 * against a reference server. Every story that index.json lists is opened on its own in Chromium,
 * as Storybook's preview iframe shows it, and must render its element, pass its `play` (which
 * waits for the state the story shows, with its guests) and log no console error. The docs pages
 * render too. Nothing may be requested off the machine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { E2ePage } from './e2e-page.js';
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
    env: { ...process.env, STORYBOOK_DISABLE_TELEMETRY: '1' },
  });
  if (result.status !== 0) {
    throw new Error(`npm run build-storybook failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
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
    if (pathname === '/favicon.ico') {
      // Chromium asks for it; Storybook's icon is favicon.svg. Nothing, rather than a 404 in every page log.
      response.writeHead(204).end();
      return;
    }
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

/** Requests that would leave the machine (fonts, telemetry, update checks): there must be none. */
function offMachine(page: E2ePage): string[] {
  return page.requests.filter((url) => {
    if (!/^(https?|wss?):/.test(url)) return false;
    return !LOOPBACK.has(new URL(url).hostname);
  });
}

/** Console errors and page errors; warnings are Storybook's to make. */
function errorsIn(page: E2ePage): string[] {
  return page.log.filter((line) => line.startsWith('console.error') || line.startsWith('pageerror'));
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

  it('lists a story for each element, and a docs page per element', () => {
    const titles = new Set(entries.filter((entry) => entry.type === 'story').map((entry) => entry.title));
    assert.deepEqual(
      [...titles].sort(),
      ['Elements/ir-media-channel', 'Elements/ir-rooms-provider', 'Elements/ir-world-instance'],
      'stories for every element',
    );
    const docs = entries.filter((entry) => entry.type === 'docs').map((entry) => entry.title);
    assert.deepEqual(docs.sort(), [...titles].sort(), 'an autodocs page per element');
  });

  it('renders every story live: its element reaches the state the story shows, without console errors', async () => {
    const stories = entries.filter((entry) => entry.type === 'story');
    assert.ok(stories.length > 0, 'index.json lists stories');
    // One at a time, each page closed before the next: the 16-participant story alone is 16 pages.
    for (const entry of stories) {
      const page = await env.openPage(previewUrl(entry));
      try {
        const outcome = await waitForStory(page, entry);
        const context = `${entry.id}\n  page log:\n    ${page.log.join('\n    ')}`;
        assert.equal(outcome.error, null, `the story or its play function threw: ${context}`);
        assert.equal(outcome.status, 'success', `Storybook finished the story with success: ${context}`);
        assert.ok(
          outcome.elements.some((tag) => tag === 'ir-media-channel' || tag === 'ir-world-instance'),
          `the story rendered a kit element (${outcome.elements.join(', ')}): ${context}`,
        );
        assert.deepEqual(errorsIn(page), [], `console errors in ${entry.id}`);
        assert.deepEqual(offMachine(page), [], `requests off the machine from ${entry.id}`);
      } finally {
        await env.closePages();
      }
    }
  });

  it('renders each docs page: the element reference from the manifest and one live story', async () => {
    for (const entry of entries.filter((candidate) => candidate.type === 'docs')) {
      const page = await env.openPage(previewUrl(entry));
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
            throw new Error(`the docs page ${entry.id} should show its title, a live <${tag}> and the args table`, {
              cause: error,
            });
          });
        const stories = await page.page.locator('.sbdocs-content .docs-story').count();
        assert.equal(stories, 1, `${entry.id} renders one live story, not all of them`);
        assert.deepEqual(errorsIn(page), [], `console errors in ${entry.id}`);
        assert.deepEqual(offMachine(page), [], `requests off the machine from ${entry.id}`);
      } finally {
        await env.closePages();
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
async function waitForStory(page: E2ePage, entry: IndexEntry): Promise<Outcome> {
  const read = () =>
    page.page.evaluate((id) => {
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
    }, entry.id);
  const deadline = Date.now() + STORY_TIMEOUT_MS;
  for (;;) {
    const outcome = await read();
    if (outcome.status !== null) return outcome;
    if (Date.now() > deadline) {
      throw new Error(
        `${entry.id}: Storybook did not finish the story within ${STORY_TIMEOUT_MS} ms\n  page log:\n    ${page.log.join('\n    ')}`,
      );
    }
    await page.page.waitForTimeout(250);
  }
}
