// End to end: a peer that misbehaves on its P2P data connection (garbage, oversized frames, wrong
// shapes), and keeps talking after it left presence, is ignored with a logged reason; the next good
// frame arrives and others are unaffected. The rogue joins presence through a raw instance socket
// from Node and talks through PeerJS in a page of its own, with no kit in the way.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { join, type TestSocket } from '../node/helpers.js';
import { E2eEnvironment, type E2ePage, uniqueLocation } from './harness.js';

const require = createRequire(import.meta.url);
const PEERJS_UMD = require.resolve('peerjs/dist/peerjs.min.js');

interface Rogue {
  page: E2ePage;
  peerID: string;
  instanceId: string;
  token: string;
}

/** In the rogue page: a PeerJS peer of its own with the rogue's id and token, dialing `target`. */
async function rogueDial(rogue: Rogue, port: number, target: string): Promise<void> {
  await rogue.page.page.evaluate(
    async ({ id, token, port, target }) => {
      type Conn = { on(event: string, listener: () => void): void; send(data: unknown): void };
      type PeerCtor = new (
        id: string,
        options: object,
      ) => { connect(id: string, options: object): Conn; on(event: string, listener: () => void): void };
      const w = window as unknown as {
        peerjs: { Peer: PeerCtor };
        __roguePeer?: InstanceType<PeerCtor>;
        __rogue?: Conn;
      };
      w.__roguePeer ??= new w.peerjs.Peer(id, {
        host: '127.0.0.1',
        port,
        path: '/peerjs',
        key: 'peerjs',
        secure: false,
        token,
        config: { iceServers: [] },
      });
      const peer = w.__roguePeer as unknown as { open: boolean; on(event: string, listener: () => void): void };
      // PeerJS drops signaling sent before its socket opens.
      if (!peer.open) {
        await new Promise<void>((resolve, reject) => {
          setTimeout(() => reject(new Error('the rogue PeerJS peer did not open in 15 s')), 15_000);
          peer.on('open', resolve);
          peer.on('error', () => reject(new Error('the PeerServer refused the rogue')));
        });
      }
      const conn = w.__roguePeer.connect(target, {
        label: 'ir.rooms.reliableDataChannel',
        reliable: true,
        serialization: 'raw',
      });
      await new Promise<void>((resolve, reject) => {
        setTimeout(() => reject(new Error('the rogue connection did not open in 15 s')), 15_000);
        conn.on('open', resolve);
      });
      w.__rogue = conn;
    },
    { id: `${rogue.instanceId}_${rogue.peerID}`, token: rogue.token, port, target },
  );
}

/** Sends raw frames from the rogue's connection: byte arrays as binary, strings as text. */
async function rogueSend(rogue: Rogue, frames: (number[] | string | { zeros: number })[]): Promise<void> {
  await rogue.page.page.evaluate((frames) => {
    const conn = (window as unknown as { __rogue: { send(data: unknown): void } }).__rogue;
    for (const frame of frames) {
      if (typeof frame === 'string') conn.send(frame);
      else if (Array.isArray(frame)) conn.send(new Uint8Array(frame).buffer);
      else conn.send(new ArrayBuffer(frame.zeros));
    }
  }, frames);
}

/** msgpack of `{ch: channel, d: text}` for short ASCII strings. */
function validFrame(channel: string, text: string): number[] {
  const str = (s: string) => [0xa0 | s.length, ...Buffer.from(s, 'ascii')];
  return [0x82, ...str('ch'), ...str(channel), ...str('d'), ...str(text)];
}

async function probes(page: E2ePage): Promise<{ from: string; data: unknown }[]> {
  return (await page.events('world'))
    .filter((event) => event.type === 'ir-message' && event.detail.channel === 'probe')
    .map((event) => ({ from: String(event.detail.from), data: event.detail.data }));
}

describe('P2P data from a misbehaving peer', () => {
  let env: E2eEnvironment;
  let victim: E2ePage;
  let bystander: E2ePage;
  let rogue: Rogue;
  let victimID: string;
  let bystanderID: string;
  let rogueSocket: TestSocket;

  before(async () => {
    env = await E2eEnvironment.start();
    const attributes = { 'location-id': uniqueLocation('p2p-rogue'), 'api-url': env.server.apiUrl, topology: 'p2p' };
    const login = await fetch(`${env.server.apiUrl}/authentication`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ strategy: 'guest', name: 'Rogue' }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const pages = await Promise.all([env.openPage(), env.openPage(), env.openPage()]);
    [victim, bystander] = pages as unknown as [E2ePage, E2ePage];
    const roguePage = pages[2]!;
    // The kit logs only when asked: the victim's reasons are what this test reads.
    await victim.page.evaluate(() => localStorage.setItem('ir-rooms:debug', '*'));
    await victim.addWorld('world', attributes);
    await bystander.addWorld('world', attributes);
    const [v, b] = await Promise.all([
      victim.waitForState('world', 'connected'),
      bystander.waitForState('world', 'connected'),
    ]);
    victimID = v.selfPeerID;
    bystanderID = b.selfPeerID;
    const instanceId = v.instance!.id;
    const joined = await join(env.server, accessToken, { instanceId, locationId: v.instance!.locationId });
    rogueSocket = joined.socket;
    await victim.waitForEvent('world', 'ir-peer-join', { peerID: rogueSocket.peerID });
    await victim.waitForEvent('world', 'ir-peer-join', { peerID: bystanderID });
    await roguePage.page.addScriptTag({ path: PEERJS_UMD });
    rogue = { page: roguePage, peerID: rogueSocket.peerID, instanceId, token: accessToken };
  });

  after(async () => {
    rogueSocket?.close();
    await env?.close();
  });

  it('ignores garbage, oversized and misshapen frames with a logged reason and delivers the next good one', async () => {
    await rogueDial(rogue, env.server.port, `${rogue.instanceId}_${victimID}`);
    await rogueSend(rogue, [
      [0xc1],
      'text is not a frame',
      { zeros: 200_000 },
      [0x93, 1, 2, 3],
      validFrame('probe', 'valid'),
    ]);
    await victim.page.waitForFunction(
      () => window.__irE2e?.events.get('world')?.some((e) => e.type === 'ir-message' && e.detail.data === 'valid'),
      undefined,
      { timeout: 15_000 },
    );
    assert.deepEqual(await probes(victim), [{ from: rogue.peerID, data: 'valid' }], 'only the good frame arrived');
    const log = victim.log.join('\n');
    for (const reason of ['not msgpack', 'not binary', 'oversized', 'bad data message']) {
      assert.ok(log.includes(reason), `the victim logged "${reason}":\n${log}`);
    }
    assert.equal((await victim.snapshot('world')).state, 'connected');
    await bystander.page.evaluate(async () => {
      const world = window.__irE2e?.elements.get('world') as HTMLElement & {
        send(d: unknown, o: object): Promise<void>;
      };
      await world.send('from the bystander', { channel: 'probe' });
    });
    await victim.page.waitForFunction(
      () =>
        window.__irE2e?.events
          .get('world')
          ?.some((e) => e.type === 'ir-message' && e.detail.data === 'from the bystander'),
      undefined,
      { timeout: 15_000 },
    );
  });

  it('ignores a peer that left presence even if its PeerJS connection lives on', async () => {
    rogueSocket.close();
    await victim.waitForEvent('world', 'ir-peer-leave', { peerID: rogue.peerID });
    await rogueDial(rogue, env.server.port, `${rogue.instanceId}_${victimID}`);
    await rogueSend(rogue, [validFrame('probe', 'late')]);
    const reason = `ignoring a message from ${rogue.peerID}: not in the instance's presence`;
    const deadline = Date.now() + 15_000;
    while (!victim.log.some((line) => line.includes(reason))) {
      if (Date.now() > deadline) throw new Error(`the victim never logged "${reason}":\n${victim.log.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(!(await probes(victim)).some((m) => m.data === 'late'), 'the late message was ignored');
    assert.deepEqual(
      (await victim.snapshot('world')).peers.map((p) => p.peerID),
      [bystanderID],
      'only the bystander is left',
    );
  });
});
