/**
 * Leaks (`npm run test:faults`): 200 insert/remove cycles of `<ir-world-instance>` with an
 * `<ir-media-channel audio>` inside, each joining for real (a world instance, a media channel on
 * the SFU with the microphone published), in one page. Afterwards nothing may be left: no open
 * RTCPeerConnection or WebSocket in the page, no peer, transport, producer or consumer on the
 * server, and the JS heap (after a forced GC) within 2 MB of where it was after the first cycles.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, TIMEOUT, uniqueLocation, until } from '../e2e/harness.js';
import { countConnections } from './page-counters.js';

const CYCLES = Number(process.env.LEAK_CYCLES ?? 200);
/** Cycles before the heap baseline: the first ones load chunks and warm caches. */
const WARM_UP = 10;
const HEAP_BUDGET_BYTES = 2 * 1024 * 1024;

interface Health {
  peers?: number;
  transports?: number;
  producers?: number;
  consumers?: number;
  [field: string]: unknown;
}

describe(`leaks: ${CYCLES} insert/remove cycles of a world instance with a media channel`, () => {
  let env: E2eEnvironment;

  before(async () => {
    // One user making 400 instances (a world and a media channel per cycle), which outlive their last
    // peer for the server's grace period: far past the default 20 live instances per user.
    env = await E2eEnvironment.start(undefined, { maxInstancesPerUser: 1000 });
  });

  after(async () => {
    await env?.close();
  });

  async function health(): Promise<Health> {
    const response = await fetch(`${env.server.apiUrl}/health`);
    return (await response.json()) as Health;
  }

  it('leaves no peer connection, socket, server-side peer or transport, and no heap growth', async () => {
    const page = await env.openPage(undefined, { initScript: countConnections });
    const cdp = await page.page.context().newCDPSession(page.page);
    const heapAfterGc = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    const open = () => page.page.evaluate(() => window.__open());

    let baseline = 0;
    const started = Date.now();
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      // A new location each time: the registry would otherwise keep the connection for its grace
      // period and hand it to the next cycle, and nothing would be torn down.
      const locationId = uniqueLocation(`leak${cycle}`);
      await page.page.evaluate((locationId) => {
        const world = document.createElement('ir-world-instance');
        world.id = 'leak-world';
        world.setAttribute('location-id', locationId);
        world.toggleAttribute('headless', true);
        const media = document.createElement('ir-media-channel');
        media.toggleAttribute('audio', true);
        world.append(media);
        document.body.append(world);
      }, locationId);
      await page.page
        .waitForFunction(
          () => {
            const world = document.getElementById('leak-world') as (HTMLElement & { state: string }) | null;
            const media = world?.querySelector('ir-media-channel') as
              | (HTMLElement & { state: string; microphoneEnabled: boolean })
              | null;
            return world?.state === 'connected' && media?.state === 'connected' && media.microphoneEnabled;
          },
          undefined,
          { timeout: TIMEOUT.connected, polling: 20 },
        )
        .catch(async (error: unknown) => {
          const shown = await page.page.evaluate(() => {
            const world = document.getElementById('leak-world') as
              | (HTMLElement & { state: string; error: { code?: string; message: string } | null })
              | null;
            const media = world?.querySelector('ir-media-channel') as typeof world;
            return { world: [world?.state, world?.error?.message], media: [media?.state, media?.error?.message] };
          });
          throw new Error(
            `cycle ${cycle} did not connect: ${JSON.stringify(shown)}; server ${JSON.stringify(await health())}`,
            {
              cause: error,
            },
          );
        });
      await page.page.evaluate(() => document.getElementById('leak-world')?.remove());
      if (cycle === WARM_UP) {
        await until(
          'the warm-up cycles to close everything',
          async () => (await open()).pcs === 0 && (await open()).sockets === 0,
          async () => JSON.stringify(await open()),
        );
        baseline = await heapAfterGc();
      }
    }
    const cyclesMs = Date.now() - started;

    await until(
      'every peer connection and socket of the page to close',
      async () => {
        const now = await open();
        return now.pcs === 0 && now.sockets === 0;
      },
      async () => JSON.stringify(await open()),
      TIMEOUT.connected,
    );
    await until(
      'the server to hold no peer, transport, producer or consumer',
      async () => {
        const h = await health();
        return h.peers === 0 && h.transports === 0 && h.producers === 0 && h.consumers === 0;
      },
      async () => JSON.stringify(await health()),
      TIMEOUT.connected,
    );
    const end = await heapAfterGc();
    const made = (await open()).made;
    const growth = end - baseline;
    console.log(
      `fault: ${CYCLES} cycles in ${cyclesMs} ms (${made} peer connections made): 0 open after, heap ${(baseline / 1e6).toFixed(2)} MB after ${WARM_UP} cycles → ${(end / 1e6).toFixed(2)} MB after ${CYCLES} (${growth >= 0 ? '+' : ''}${(growth / 1e6).toFixed(2)} MB)`,
    );
    assert.ok(made >= CYCLES, `each cycle made a peer connection (${made} for ${CYCLES} cycles)`);
    assert.ok(
      growth <= HEAP_BUDGET_BYTES,
      `the heap grew by ${(growth / 1e6).toFixed(2)} MB over ${CYCLES - WARM_UP} cycles (budget 2 MB)`,
    );
  });
});
