import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../../src/define.js';
import { InstanceRegistry, type IrWorldInstance } from '../../src/index.js';
import { apiUrl, guestToken, instancesOf, recordStates, uniqueLocation, waitFor, waitForState } from './helpers.js';

function worldElement(locationId: string): IrWorldInstance {
  const el = document.createElement('ir-world-instance');
  el.setAttribute('api-url', apiUrl);
  el.setAttribute('location-id', locationId);
  return el;
}

describe('reconnection', () => {
  it('reconnect() rejoins the same instance', async () => {
    const locationId = uniqueLocation('again');
    const el = worldElement(locationId);
    document.body.append(el);
    await waitForState(el, 'connected');
    const instanceId = el.instance?.id;
    const states = recordStates(el);
    await el.reconnect();
    expect(states).to.deep.equal(['reconnecting', 'connected']);
    expect(el.instance?.id).to.equal(instanceId);
    await waitFor(async () => (await instancesOf(locationId))[0]?.peers === 1, 'not exactly one peer after rejoining');
    el.remove();
  });

  it('provisions again when the server restarts, with a fresh guest login', async () => {
    const locationId = uniqueLocation('restart');
    const el = worldElement(locationId);
    document.body.append(el);
    await waitForState(el, 'connected');
    const oldInstance = el.instance?.id;
    const states = recordStates(el);
    await executeServerCommand('ir-server', { action: 'restart' });
    await waitFor(() => el.state === 'connected' && el.instance?.id !== oldInstance, 'did not recover', 15_000);
    expect(states[0]).to.equal('reconnecting');
    expect(states).to.not.include('failed');
    const instances = await instancesOf(locationId);
    expect(instances.map((i) => [i.id, i.peers])).to.deep.equal([[el.instance?.id, 1]]);
    el.remove();
  });
});

/**
 * The page's WebSockets, so a test can cut one as a network would (the kit is not told why), and
 * `blockedPeer`, whose new instance sockets fail as an unreachable server's would.
 */
const sockets: WebSocket[] = [];
let blockedPeer: string | null = null;
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    sockets.push(this);
    if (blockedPeer !== null && new URL(url).searchParams.get('peerID') === blockedPeer) this.close();
  }
};

/** The open instance socket of `peerID` in `instanceID`. */
function instanceSocketOf(peerID: string, instanceID: string | undefined): WebSocket | undefined {
  return sockets.find((socket) => {
    const url = new URL(socket.url);
    return (
      socket.readyState === WebSocket.OPEN &&
      url.pathname === '/primus' &&
      url.searchParams.get('peerID') === peerID &&
      url.searchParams.get('instanceID') === instanceID
    );
  });
}

interface StateDetail {
  state: string;
  reason?: string;
  attempt?: number;
}

function recordDetails(element: HTMLElement): StateDetail[] {
  const details: StateDetail[] = [];
  element.addEventListener('ir-state-change', (event) => details.push(event.detail));
  return details;
}

describe('reconnection: attempts, queued messages, tokens, page lifecycle', () => {
  it('reports each try while the server is down with its attempt number, and recovers', async () => {
    const el = worldElement(uniqueLocation('attempts'));
    document.body.append(el);
    await waitForState(el, 'connected');
    const details = recordDetails(el);
    await executeServerCommand('ir-server', { action: 'stop' });
    try {
      // Try 1 follows the drop at once; before try n the default backoff waits 250 ms · 2^(n-2),
      // half of it jitter. So once attempt 7 is announced, it is at least 4 s away.
      await waitFor(
        () => details.some((d) => d.state === 'reconnecting' && d.attempt === 7),
        'seven reconnect tries while the server was down',
        15_000,
      );
      // The network coming back cuts the backoff short: the next try starts at once, well before 4 s.
      const tries = details.length;
      window.dispatchEvent(new Event('online'));
      await waitFor(() => details.length > tries, 'the online event did not start the next try', 3_000);
    } finally {
      await executeServerCommand('ir-server', { action: 'start' });
    }
    await waitForState(el, 'connected', 15_000);
    const attempts = details.filter((d) => d.state === 'reconnecting').map((d) => d.attempt);
    expect(attempts.slice(0, 4)).to.deep.equal([1, 2, 3, 4]);
    expect(details.map((d) => d.state)).to.not.include('failed');
    el.remove();
  });

  it('queues reliable messages while reconnecting and delivers them in order; unreliable ones are refused', async () => {
    const locationId = uniqueLocation('queue');
    const sender = worldElement(locationId);
    document.body.append(sender);
    await waitForState(sender, 'connected');
    // Another participant, with a peerID of its own, that stays connected throughout.
    const other = new InstanceRegistry({ peerID: () => crypto.randomUUID(), graceMs: 0 });
    const lease = other.acquire({ apiUrl, locationId });
    const received: unknown[] = [];
    lease.events.on('message', (message) => received.push(message.data));
    await waitFor(() => lease.state.get() === 'connected', 'the other participant did not connect');
    await waitFor(() => sender.peers.size === 1, 'the sender did not see the other participant');
    const errors: string[] = [];
    sender.addEventListener('ir-error', (event) => errors.push(event.detail.error.code));

    const socket = instanceSocketOf(sender.selfPeerID, sender.instance?.id);
    expect(socket, "the sender's instance socket").to.not.equal(undefined);
    let sent: Promise<unknown>[] = [];
    sender.addEventListener(
      'ir-state-change',
      (event) => {
        if (event.detail.state !== 'reconnecting') return;
        sent = [sender.send('one'), sender.send({ n: 2 }), sender.send('three', { reliable: true })];
        sent.push(sender.send('lossy', { reliable: false }).catch((error: { code: string }) => error.code));
      },
      { once: true },
    );
    // As a network would: the kit is not told why.
    socket?.close();
    await waitForState(sender, 'reconnecting');
    await waitForState(sender, 'connected', 15_000);
    const results = await Promise.all(sent);
    expect(results).to.deep.equal([undefined, undefined, undefined, 'INVALID_STATE']);
    await waitFor(() => received.length >= 3, 'the queued messages did not arrive');
    expect(received).to.deep.equal(['one', { n: 2 }, 'three']);
    expect(errors).to.deep.equal(['INVALID_STATE']);
    lease.release();
    sender.remove();
  });

  it('resumes a cut instance socket as the same peer: no one sees it leave, and who left meanwhile is reported gone', async () => {
    const locationId = uniqueLocation('resume');
    const el = worldElement(locationId);
    document.body.append(el);
    await waitForState(el, 'connected');
    const peerIndex = el.peerIndex;
    // Two more participants, each with a registry (and so a peerID) of its own.
    const participant = () => new InstanceRegistry({ peerID: () => crypto.randomUUID(), graceMs: 0 });
    const stays = participant().acquire({ apiUrl, locationId });
    const goes = participant().acquire({ apiUrl, locationId });
    const seenByStays: string[] = [];
    stays.events.on('peer-leave', ({ peer }) => seenByStays.push(`leave ${peer.peerID}`));
    stays.events.on('peer-join', ({ peer }) => seenByStays.push(`join ${peer.peerID}`));
    await waitFor(() => el.peers.size === 2, 'the element did not see the other participants');
    await waitFor(() => stays.peers.get().size === 2, 'the staying participant did not see the others');
    seenByStays.length = 0;
    const left: string[] = [];
    el.addEventListener('ir-peer-leave', (event) => left.push(event.detail.peer.peerID));
    const details = recordDetails(el);

    // The element's socket is cut and, while it cannot get back, a participant leaves.
    blockedPeer = el.selfPeerID;
    try {
      instanceSocketOf(el.selfPeerID, el.instance?.id)?.close();
      await waitFor(
        () => details.some((d) => d.state === 'reconnecting' && (d.attempt ?? 0) >= 2),
        'a failed resume try',
      );
      goes.release();
    } finally {
      blockedPeer = null;
    }
    await waitForState(el, 'connected', 15_000);
    expect(details.at(-1)).to.deep.include({ state: 'connected', reason: 'resumed' });
    expect(el.peerIndex, 'the same peerIndex').to.equal(peerIndex);
    await waitFor(() => left.length === 1, 'the participant who left meanwhile was not reported gone');
    expect(left).to.deep.equal([goes.selfPeerID]);
    expect([...el.peers.keys()]).to.deep.equal([stays.selfPeerID]);
    expect(seenByStays, 'the others saw the element neither leave nor join').to.not.include(`leave ${el.selfPeerID}`);
    expect(seenByStays).to.not.include(`join ${el.selfPeerID}`);
    stays.release();
    el.remove();
  });

  it('asks the tokenProvider again when the server refuses its token, instead of failing', async () => {
    const el = worldElement(uniqueLocation('token'));
    const good = await guestToken('Refreshed');
    let calls = 0;
    // The first token is refused (as an expired one would be); the provider's next one is good.
    el.tokenProvider = async () => (++calls === 1 ? 'expired.token.value' : good);
    const states = recordStates(el);
    document.body.append(el);
    await waitForState(el, 'connected');
    expect(calls).to.equal(2);
    expect(states).to.not.include('failed');
    // Mid-session: the link drops and the provider's token has expired meanwhile.
    calls = 0;
    el.tokenProvider = async () => (++calls === 1 ? 'expired.token.value' : good);
    await el.reconnect();
    expect(el.state).to.equal('connected');
    expect(calls).to.equal(2);
    el.remove();
  });

  it('a provider whose fresh token is refused too still fails, with the server refusal', async () => {
    const el = worldElement(uniqueLocation('token-bad'));
    let calls = 0;
    el.tokenProvider = async () => {
      calls++;
      return 'never.a.token';
    };
    document.body.append(el);
    await waitForState(el, 'failed');
    expect(el.error?.code).to.equal('UNAUTHORIZED');
    expect(calls).to.equal(2);
    el.remove();
  });

  it('leaves on pagehide (the server sees the peer go at once) and joins again on a back-forward restore', async () => {
    const locationId = uniqueLocation('bfcache');
    const el = worldElement(locationId);
    document.body.append(el);
    await waitForState(el, 'connected');
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
    await waitForState(el, 'disconnected');
    await waitFor(async () => (await instancesOf(locationId))[0]?.peers === 0, 'the server kept the hidden peer');
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    await waitForState(el, 'connected');
    await waitFor(async () => (await instancesOf(locationId))[0]?.peers === 1, 'the restored page did not join');
    el.remove();
  });
});
