// End to end: dist/ir-rooms.js as a CDN/CMS drop-in, loaded cross-origin by a plain HTML page that
// has the element in its markup; the transport adapter arrives as a lazily loaded chunk.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, uniqueLocation } from './harness.js';

describe('ir-rooms.js as a drop-in script on another origin', () => {
  let env: E2eEnvironment;
  let hostUrl: string | undefined;
  const location = uniqueLocation('drop-in');

  before(async () => {
    env = await E2eEnvironment.start();
    // A page author's page on its own origin (the environment closes it).
    hostUrl = await env.hostPage(`<!doctype html>
<html lang="en">
  <head><title>A CMS page</title></head>
  <body>
    <h1>Our event</h1>
    <ir-world-instance location-id="${location}" api-url="${env.server.apiUrl}" display-name="Visitor">
      <p>The app's scene</p>
    </ir-world-instance>
    <script type="module" src="${env.server.url}/ir-rooms.js"></script>
  </body>
</html>`);
  });

  after(async () => {
    await env?.close();
  });

  it('upgrades the element in the markup, connects, and loads only the adapter it uses', async (t) => {
    t.after(() => env.closePages());
    assert.ok(hostUrl);
    const page = await env.openPage(hostUrl);
    await page.adopt('world', 'ir-world-instance');
    const world = await page.waitForState('world', 'connected');
    assert.ok(world.instance, 'the element in the markup got an instance');
    assert.equal(world.instance.p2p, false, 'the location is an SFU location (the dev default)');

    const fromServer = page.requests.filter((url) => url.startsWith(env.server.url));
    const scripts = fromServer.filter((url) => url.endsWith('.js')).map((url) => new URL(url).pathname);
    assert.equal(scripts[0], '/ir-rooms.js', `the first script is the bundle (scripts: ${scripts.join(', ')})`);
    assert.ok(
      scripts.some((path) => /^\/chunks\/mediasoup-adapter-[\w-]+\.js$/.test(path)),
      `the SFU adapter chunk was loaded (scripts: ${scripts.join(', ')})`,
    );
    assert.ok(
      !scripts.some((path) => path.includes('p2p-adapter')),
      `the P2P adapter chunk was not loaded (scripts: ${scripts.join(', ')})`,
    );
    assert.ok(
      fromServer.some((url) => new URL(url).pathname === '/api/instance-provision'),
      'the page provisioned cross-origin against the reference server',
    );

    const status = await page.page.evaluate(() => {
      const root = document.querySelector('ir-world-instance')?.shadowRoot;
      return root?.querySelector('[part="state"]')?.textContent?.trim() ?? null;
    });
    assert.equal(status, 'connected', 'the built-in status bar shows the state');
    assert.deepEqual(
      page.log.filter((line) => line.startsWith('pageerror')),
      [],
      'no uncaught errors on the page',
    );
  });
});
