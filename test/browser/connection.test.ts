import { expect } from '@open-wc/testing';
import { InstanceConnection } from '../../src/connection/instance-connection.js';
import type { ConnectionState, InstanceSpec } from '../../src/core/instance-spec.js';
import { HttpProvisioner } from '../../src/provisioning/http-provisioner.js';
import type { Provisioner } from '../../src/provisioning/provisioner.js';
import { TokenSource } from '../../src/provisioning/token-provider.js';
import { InstanceRegistry } from '../../src/registry/instance-registry.js';
import { loadTransport } from '../../src/transports/registry.js';
import { apiUrl, guestToken, uniqueLocation, waitFor } from './helpers.js';

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
