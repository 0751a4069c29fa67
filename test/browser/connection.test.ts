import { expect } from '@open-wc/testing';
import { loadTransportOrBuiltIn as loadTransport } from '../../src/connection/default-connection.js';
import { InstanceConnection } from '../../src/connection/instance-connection.js';
import { createLazyConnection } from '../../src/connection/lazy-connection.js';
import type { ConnectionState, InstanceSpec } from '../../src/core/instance-spec.js';
import { HttpProvisioner } from '../../src/provisioning/http-provisioner.js';
import type { Provisioner } from '../../src/provisioning/provisioner.js';
import { TokenSource } from '../../src/provisioning/token-provider.js';
import { InstanceRegistry } from '../../src/registry/instance-registry.js';
import { apiUrl, guestToken, instancesOf, uniqueLocation, waitFor } from './helpers.js';

function observe() {
  const states: ConnectionState[] = [];
  const errors: string[] = [];
  return {
    states,
    errors,
    observer: {
      state: (state: ConnectionState) => states.push(state),
      provisioned: () => undefined,
      joined: () => undefined,
      peerJoined: () => undefined,
      peerLeft: () => undefined,
      message: () => undefined,
      trackAdded: () => undefined,
      trackRemoved: () => undefined,
      trackPaused: () => undefined,
      tracksCleared: () => undefined,
      error: (error: { code: string }) => errors.push(error.code),
    },
  };
}

describe('InstanceConnection', () => {
  it('fails without retrying when the instance server refuses the peer', async () => {
    const good = await guestToken('Provisioner');
    // Provisions with a good token, so only the socket sees the bad one.
    const provisioner: Provisioner = {
      provision: (spec, { signal }) =>
        new HttpProvisioner().provision(spec, { token: good, ...(signal ? { signal } : {}) }),
    };
    const spec: InstanceSpec = { kind: 'world', apiUrl, locationId: uniqueLocation('refused'), token: 'not-a-jwt' };
    const { observer, states, errors } = observe();
    const connection = new InstanceConnection(spec, observer, {
      provisioner,
      tokens: new TokenSource(),
      loadTransport,
      peerID: crypto.randomUUID(),
    });
    connection.start();
    await waitFor(() => states.includes('failed'), 'the connection did not fail');
    expect(states).to.deep.equal(['provisioning', 'connecting', 'failed']);
    expect(errors).to.deep.equal(['USER_NOT_AUTHORIZED']);
    connection.close();
    connection.close();
    expect(states.at(-1)).to.equal('disconnected');
  });

  it('fails with FORBIDDEN when a private instance is asked for without its room code', async () => {
    const owner = new InstanceRegistry({ peerID: () => crypto.randomUUID(), graceMs: 0 });
    const locationId = uniqueLocation('private');
    const room = owner.acquire({ apiUrl, locationId, createPrivateRoom: true, displayName: 'Owner' });
    await waitFor(() => room.state.get() === 'connected', 'the private room did not open');
    const stranger = new InstanceRegistry({ peerID: () => crypto.randomUUID(), graceMs: 0 });
    const attempt = stranger.acquire({
      apiUrl,
      locationId,
      instanceId: room.instance.get()?.id ?? '',
      displayName: 'X',
    });
    await waitFor(() => attempt.state.get() === 'failed', 'the stranger was not refused');
    expect(attempt.error.get()?.code).to.equal('FORBIDDEN');
    const invited = stranger.acquire({
      apiUrl,
      locationId,
      roomCode: room.instance.get()?.roomCode ?? '',
      displayName: 'Invited',
    });
    await waitFor(() => invited.state.get() === 'connected', 'the invited peer did not join');
    expect(invited.instance.get()?.id).to.equal(room.instance.get()?.id);
    for (const lease of [attempt, invited, room]) lease.release();
  });
});

// The registry's default connection loads the connection chunk on its first start(): `import()`
// settles asynchronously, so right after start() the stand-in has not handed over yet, however warm
// the module cache is.
describe('the lazily loaded connection', () => {
  it('reports provisioning at once, then the real connection carries on without repeating it', async () => {
    const { observer, states } = observe();
    const spec: InstanceSpec = { kind: 'world', apiUrl, locationId: uniqueLocation('lazy') };
    const connection = createLazyConnection(spec, observer, crypto.randomUUID());
    connection.start();
    expect(states).to.deep.equal(['provisioning']);
    const sent = connection.send('early').then(
      () => 'sent',
      (error: { code?: string }) => error.code,
    );
    await waitFor(() => states.includes('connected'), 'the lazily loaded connection did not connect');
    expect(states).to.deep.equal(['provisioning', 'connecting', 'connected']);
    // Like the real connection's: nothing is sent before connected.
    expect(await sent).to.equal('INVALID_STATE');
    await connection.send('now');
    connection.close();
    expect(states.at(-1)).to.equal('disconnected');
  });

  it('closed before the chunk is there: disconnected, and it never provisions', async () => {
    const { observer, states } = observe();
    const locationId = uniqueLocation('lazy-closed');
    const connection = createLazyConnection({ kind: 'world', apiUrl, locationId }, observer, crypto.randomUUID());
    connection.start();
    connection.close();
    expect(states).to.deep.equal(['provisioning', 'disconnected']);
    // Once the chunk has certainly loaded, nothing more happened.
    await import('../../src/connection/default-connection.js');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(states).to.deep.equal(['provisioning', 'disconnected']);
    expect(await instancesOf(locationId)).to.deep.equal([]);
    const late = await connection.send('late').then(
      () => 'sent',
      (error: { code?: string }) => error.code,
    );
    expect(late).to.equal('INVALID_STATE');
  });
});
