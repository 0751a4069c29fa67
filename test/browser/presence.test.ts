import { expect } from '@open-wc/testing';
import '../../src/define.js';
import { InstanceRegistry, type IrMediaChannel, type IrWorldInstance, type Peer } from '../../src/index.js';
import { apiUrl, uniqueLocation, waitFor, waitForState } from './helpers.js';

/**
 * A second peer in the same page: a registry of its own with another peerID, joining through the
 * same real path (provisioning, socket, handshake) as the elements.
 */
function secondPeer() {
  const peerID = crypto.randomUUID();
  return { peerID, registry: new InstanceRegistry({ peerID: () => peerID, graceMs: 0 }) };
}

function nextEvent<T extends Event>(target: EventTarget, type: string, timeoutMs = 8000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
    target.addEventListener(
      type,
      (event) => {
        clearTimeout(timer);
        resolve(event as T);
      },
      { once: true },
    );
  });
}

describe('presence', () => {
  it('shows another peer joining and leaving the world instance', async () => {
    const locationId = uniqueLocation('presence');
    const el = document.createElement('ir-world-instance') as IrWorldInstance;
    el.setAttribute('api-url', apiUrl);
    el.setAttribute('location-id', locationId);
    document.body.append(el);
    await waitForState(el, 'connected');
    const other = secondPeer();
    const joined = nextEvent<CustomEvent<{ peer: Peer }>>(el, 'ir-peer-join');
    const lease = other.registry.acquire({
      apiUrl,
      locationId,
      instanceId: el.instance?.id ?? '',
      displayName: 'Second Peer',
    });
    await waitFor(() => lease.state.get() === 'connected' || lease.state.get() === 'failed', 'second peer stuck');
    expect(lease.state.get(), String(lease.error.get()?.message)).to.equal('connected');
    const { peer } = (await joined).detail;
    expect(peer.peerID).to.equal(other.peerID);
    expect(peer.name).to.equal('Second Peer');
    expect(el.peers.get(other.peerID)?.peerIndex).to.be.a('number');
    expect(el.peers.has(el.selfPeerID)).to.equal(false);
    await waitFor(() => lease.state.get() === 'connected', 'the second peer did not connect');
    expect([...lease.peers.get().keys()]).to.deep.equal([el.selfPeerID]);
    await el.updateComplete;
    const root = el.shadowRoot as ShadowRoot;
    expect(root.querySelector('[part~="peer"]')?.textContent?.trim()).to.equal('SP');
    expect(root.querySelector('[part~="peer-count"]')?.textContent?.trim()).to.equal('1');
    const left = nextEvent<CustomEvent<{ peer: Peer }>>(el, 'ir-peer-leave');
    lease.release();
    expect((await left).detail.peer.peerID).to.equal(other.peerID);
    expect(el.peers.size).to.equal(0);
    el.remove();
  });

  it("fills a media channel's participants from presence", async () => {
    const locationId = uniqueLocation('participants');
    const world = document.createElement('ir-world-instance') as IrWorldInstance;
    world.setAttribute('api-url', apiUrl);
    world.setAttribute('location-id', locationId);
    const media = document.createElement('ir-media-channel') as IrMediaChannel;
    world.append(media);
    document.body.append(world);
    await waitForState(media, 'connected');
    const other = secondPeer();
    const joined = nextEvent<CustomEvent>(media, 'ir-participant-join');
    const lease = other.registry.acquire({ apiUrl, channelId: world.instance?.channelId ?? '' });
    expect((await joined).detail.participant.peerID).to.equal(other.peerID);
    expect(media.participants.get(other.peerID)).to.deep.include({ muted: true, speaking: false });
    const left = nextEvent<CustomEvent>(media, 'ir-participant-leave');
    lease.release();
    expect((await left).detail.participant.peerID).to.equal(other.peerID);
    world.remove();
  });
});
