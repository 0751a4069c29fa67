import { expect, fixture, html } from '@open-wc/testing';
import '../../src/define.js';
import { IrError, type IrWorldInstance, instanceRegistry } from '../../src/index.js';
import {
  apiUrl,
  instancesOf,
  nextTask,
  recordStates,
  seatsOf,
  testEnv,
  uniqueLocation,
  waitFor,
  waitForState,
} from './helpers.js';

/** How long until a released seat or an abandoned reservation is free on the test server. */
const SEAT_FREE_MS = testEnv.reservationTtlMs + testEnv.instanceGraceMs + 4000;

function worldElement(locationId: string): IrWorldInstance {
  const el = document.createElement('ir-world-instance');
  el.setAttribute('api-url', apiUrl);
  el.setAttribute('location-id', locationId);
  return el;
}

describe('<ir-world-instance>', () => {
  it('starts provisioning when inserted and reaches connected', async () => {
    const el = worldElement(uniqueLocation());
    const states = recordStates(el);
    expect(el.state).to.equal('idle');
    document.body.append(el);
    expect(el.state).to.equal('provisioning');
    await waitForState(el, 'connected');
    expect(states).to.deep.equal(['provisioning', 'connecting', 'connected']);
    expect(el.matches(':state(connected)')).to.equal(true);
    expect(el.matches(':state(provisioning)')).to.equal(false);
    expect(el.instance?.roomCode).to.match(/^[1-9]{6}$/);
    expect(el.selfPeerID).to.match(/^[0-9a-f-]{36}$/);
    el.remove();
  });

  it('announces the provisioned instance with ir-instance-provisioned', async () => {
    const locationId = uniqueLocation();
    const el = worldElement(locationId);
    const provisioned = new Promise<CustomEvent>((resolve) =>
      el.addEventListener('ir-instance-provisioned', resolve, { once: true }),
    );
    document.body.append(el);
    const event = await provisioned;
    expect(event.detail.instance.locationId).to.equal(locationId);
    expect(event.detail.instance.channelId).to.be.a('string');
    el.remove();
  });

  it('aborts in-flight work and leaves no seat taken when removed while provisioning', async () => {
    const locationId = uniqueLocation();
    const el = worldElement(locationId);
    const states = recordStates(el);
    document.body.append(el);
    expect(el.state).to.equal('provisioning');
    el.remove();
    await waitForState(el, 'disconnected');
    await waitFor(async () => (await seatsOf(locationId)) === 0, 'the seat is still taken', SEAT_FREE_MS);
    expect(states).to.not.include('connected');
    expect(instanceRegistry.has({ apiUrl, locationId })).to.equal(false);
    expect((await instancesOf(locationId)).map((i) => i.peers)).to.not.include(1);
  });

  it('releases the seat when removed from the DOM after connecting', async () => {
    const locationId = uniqueLocation();
    const el = worldElement(locationId);
    document.body.append(el);
    await waitForState(el, 'connected');
    expect((await instancesOf(locationId))[0]?.peers).to.equal(1);
    el.remove();
    await waitFor(async () => (await seatsOf(locationId)) === 0, 'the seat is still taken', SEAT_FREE_MS);
  });

  it('does not reconnect when moved in the DOM', async () => {
    const locationId = uniqueLocation();
    const el = worldElement(locationId);
    const first = document.createElement('div');
    const second = document.createElement('div');
    document.body.append(first, second);
    first.append(el);
    await waitForState(el, 'connected');
    const states = recordStates(el);
    const peerIndex = el.peerIndex;
    const instanceId = el.instance?.id;
    second.append(el);
    // Past the element's own detach task: had it released, the lease count would be 0.
    await nextTask();
    expect(instanceRegistry.leaseCount({ apiUrl, locationId })).to.equal(1);
    expect(el.state).to.equal('connected');
    expect(states).to.deep.equal([]);
    expect(el.peerIndex).to.equal(peerIndex);
    expect(el.instance?.id).to.equal(instanceId);
    const [instance] = await instancesOf(locationId);
    expect(instance?.peers).to.equal(1);
    first.remove();
    second.remove();
  });

  it('shares one connection between two elements with the same spec', async () => {
    const locationId = uniqueLocation();
    const a = worldElement(locationId);
    const b = worldElement(locationId);
    document.body.append(a, b);
    await Promise.all([waitForState(a, 'connected'), waitForState(b, 'connected')]);
    expect(a.instance?.id).to.equal(b.instance?.id);
    expect(a.peerIndex).to.equal(b.peerIndex);
    expect(instanceRegistry.leaseCount({ apiUrl, locationId })).to.equal(2);
    const instances = await instancesOf(locationId);
    expect(instances).to.have.length(1);
    expect(instances[0]?.peers).to.equal(1);
    a.remove();
    await nextTask();
    expect(b.state).to.equal('connected');
    expect(instanceRegistry.leaseCount({ apiUrl, locationId })).to.equal(1);
    b.remove();
  });

  it('keeps three different locations on one page independent', async () => {
    const locations = [uniqueLocation('a'), uniqueLocation('b'), uniqueLocation('c')];
    const elements = locations.map((id) => worldElement(id));
    document.body.append(...elements);
    await Promise.all(elements.map((el) => waitForState(el, 'connected')));
    const ids = new Set(elements.map((el) => el.instance?.id));
    expect(ids.size).to.equal(3);
    for (const locationId of locations) {
      const instances = await instancesOf(locationId);
      expect(instances.map((i) => i.peers)).to.deep.equal([1]);
    }
    const registryIds = [...instanceRegistry.instances.get().keys()];
    for (const id of ids) expect(registryIds).to.include(id);
    elements[0]?.remove();
    await waitFor(async () => (await seatsOf(locations[0] ?? '')) === 0, 'the first seat is still taken', SEAT_FREE_MS);
    expect(elements[1]?.state).to.equal('connected');
    expect(elements[2]?.state).to.equal('connected');
    for (const el of elements) el.remove();
  });

  it('moves to the new location when location-id changes and releases the old seat', async () => {
    const oldLocation = uniqueLocation('old');
    const newLocation = uniqueLocation('new');
    const el = worldElement(oldLocation);
    document.body.append(el);
    await waitForState(el, 'connected');
    const oldId = el.instance?.id;
    el.setAttribute('location-id', newLocation);
    await waitFor(() => el.state === 'connected' && el.instance?.locationId === newLocation, 'not moved');
    expect(el.instance?.id).to.not.equal(oldId);
    expect((await instancesOf(newLocation))[0]?.peers).to.equal(1);
    await waitFor(async () => (await seatsOf(oldLocation)) === 0, 'the old seat is still taken', SEAT_FREE_MS);
    el.remove();
  });

  it('rejects send() with INVALID_STATE until connected and bad data with INVALID_ARGUMENT, then sends', async () => {
    const el = worldElement(uniqueLocation());
    const errors: IrError[] = [];
    el.addEventListener('ir-error', (event) => errors.push(event.detail.error));
    await expectRejection(el.send('hello'), 'INVALID_STATE');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expectRejection(el.send(cyclic), 'INVALID_ARGUMENT');
    await expectRejection(el.send(undefined), 'INVALID_ARGUMENT');
    document.body.append(el);
    await waitForState(el, 'connected');
    // Alone in the instance: the message reaches the host, which has no one to forward it to.
    await el.send({ x: 1 });
    await expectRejection(el.send(new ArrayBuffer(80 * 1024)), 'INVALID_ARGUMENT');
    expect(errors.map((e) => e.code)).to.deep.equal([
      'INVALID_STATE',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
    ]);
    el.remove();
  });

  it('fails with UNAUTHORIZED on a wrong token: state, ir-error and a rejected promise', async () => {
    const el = worldElement(uniqueLocation());
    el.setAttribute('token', 'not-a-jwt');
    const error = new Promise<IrError>((resolve) =>
      el.addEventListener('ir-error', (event) => resolve(event.detail.error), { once: true }),
    );
    document.body.append(el);
    expect((await error).code).to.equal('UNAUTHORIZED');
    await waitForState(el, 'failed');
    expect(el.matches(':state(failed)')).to.equal(true);
    expect(el.error?.code).to.equal('UNAUTHORIZED');
    await expectRejection(el.reconnect(), 'UNAUTHORIZED');
    el.remove();
  });

  it('leave() disconnects and reconnect() joins again', async () => {
    const locationId = uniqueLocation();
    const el = worldElement(locationId);
    document.body.append(el);
    await waitForState(el, 'connected');
    el.leave();
    expect(el.state).to.equal('disconnected');
    await waitFor(async () => (await seatsOf(locationId)) === 0, 'the seat is still taken', SEAT_FREE_MS);
    await el.reconnect();
    expect(el.state).to.equal('connected');
    el.remove();
  });

  it('rejects reconnect() while out of the document, and starts afresh when inserted after leave()', async () => {
    const el = worldElement(uniqueLocation());
    await expectRejection(el.reconnect(), 'INVALID_STATE');
    document.body.append(el);
    await waitForState(el, 'connected');
    el.leave();
    el.remove();
    await waitForState(el, 'disconnected');
    await nextTask();
    document.body.append(el);
    await waitForState(el, 'connected');
    el.remove();
  });

  it('renders the state, room code and peer count unless headless', async () => {
    const el = await fixture<IrWorldInstance>(
      html`<ir-world-instance api-url=${apiUrl} location-id=${uniqueLocation()}><p>scene</p></ir-world-instance>`,
    );
    await waitForState(el, 'connected');
    await el.updateComplete;
    const root = el.shadowRoot as ShadowRoot;
    expect(root.querySelector('[part~="state"]')?.textContent).to.equal('connected');
    expect(root.querySelector('[part~="room-code"]')?.textContent).to.equal(el.instance?.roomCode);
    expect(root.querySelector('[part~="peer-count"]')?.textContent?.trim()).to.equal('0');
    expect(root.querySelector('button[part~="copy-invite"]')?.getAttribute('aria-label')).to.be.a('string');
    el.headless = true;
    await el.updateComplete;
    expect(root.querySelector('[part~="status-bar"]')).to.equal(null);
    expect(root.querySelector('slot')).to.not.equal(null);
  });

  // The status bar is a lazy module; `import()` settles asynchronously, so right after insertion the
  // element has only its slot, however warm the module cache is.
  it('shows its slot at once and the status bar once loaded; headless from the start, never the bar', async () => {
    const el = document.createElement('ir-world-instance');
    el.apiUrl = apiUrl;
    el.locationId = uniqueLocation();
    el.headless = true;
    document.body.append(el);
    await el.updateComplete;
    const root = el.shadowRoot as ShadowRoot;
    expect(root.querySelector('slot')).to.not.equal(null);
    expect(root.querySelector('[part~="status-bar"]')).to.equal(null);
    await waitForState(el, 'connected');
    el.headless = false;
    await el.updateComplete;
    expect(root.querySelector('[part~="state"]')?.textContent).to.equal('connected');
    // Its styles came with it: the bar is laid out as a flex row.
    const bar = root.querySelector('[part~="status-bar"]') as HTMLElement;
    expect(getComputedStyle(bar).display).to.equal('flex');
    el.remove();
  });
});

async function expectRejection(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(IrError);
    expect((error as IrError).code).to.equal(code);
    return;
  }
  throw new Error(`expected a rejection with ${code}`);
}
