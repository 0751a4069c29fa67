import { expect } from '@open-wc/testing';
import type { ConnectionObserver } from '../../src/connection/instance-connection.js';
import type { InstanceSpec } from '../../src/core/instance-spec.js';
import { type ConnectionLike, InstanceRegistry } from '../../src/index.js';
import { waitFor } from './helpers.js';

/** A connection that only records what the registry asked of it (a unit test of the registry). */
class RecordingConnection implements ConnectionLike {
  starts = 0;
  closes = 0;
  constructor(
    readonly spec: InstanceSpec,
    readonly observer: ConnectionObserver,
  ) {}
  start(): void {
    this.starts++;
    this.observer.state('provisioning', undefined, null);
  }
  connect(): void {
    this.observer.state('connected', undefined, null);
  }
  reconnect(): void {}
  send(): Promise<void> {
    return Promise.resolve();
  }
  publish(): Promise<void> {
    return Promise.resolve();
  }
  unpublish(): Promise<void> {
    return Promise.resolve();
  }
  setPaused(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {
    this.closes++;
    this.observer.state('disconnected', 'closed', null);
  }
}

function makeRegistry(graceMs = 50) {
  const connections: RecordingConnection[] = [];
  const registry = new InstanceRegistry({
    graceMs,
    peerID: () => '00000000-0000-4000-8000-000000000000',
    createConnection: (spec, observer) => {
      const connection = new RecordingConnection(spec, observer);
      connections.push(connection);
      return connection;
    },
  });
  return { registry, connections };
}

const lobby = { apiUrl: 'http://rooms.test/api', locationId: 'lobby' };

describe('InstanceRegistry', () => {
  it('shares one connection between leases of equal specs', () => {
    const { registry, connections } = makeRegistry();
    const a = registry.acquire(lobby);
    const b = registry.acquire({ ...lobby });
    expect(connections).to.have.length(1);
    expect(connections[0]?.starts).to.equal(1);
    expect(registry.leaseCount(lobby)).to.equal(2);
    expect(a.state.get()).to.equal('provisioning');
    expect(b.state).to.equal(a.state);
  });

  it('gives different specs different connections', () => {
    const { registry, connections } = makeRegistry();
    registry.acquire(lobby);
    registry.acquire({ ...lobby, locationId: 'hall' });
    registry.acquire({ ...lobby, roomCode: '123456' });
    registry.acquire({ apiUrl: lobby.apiUrl, channelId: 'c1' });
    expect(connections.map((c) => c.spec.kind)).to.deep.equal(['world', 'world', 'world', 'media']);
  });

  it('closes a connected connection a grace period after the last release', async () => {
    const { registry, connections } = makeRegistry(50);
    const a = registry.acquire(lobby);
    const b = registry.acquire(lobby);
    connections[0]?.connect();
    a.release();
    a.release();
    expect(registry.leaseCount(lobby)).to.equal(1);
    b.release();
    expect(registry.has(lobby)).to.equal(true);
    expect(connections[0]?.closes).to.equal(0);
    await waitFor(() => connections[0]?.closes === 1, 'the connection was not closed after the grace period');
    expect(registry.has(lobby)).to.equal(false);
  });

  it('stops in-flight work at once when the last lease goes before connecting', () => {
    const { registry, connections } = makeRegistry(50);
    const lease = registry.acquire(lobby);
    const states: string[] = [];
    lease.events.on('state', ({ state }) => states.push(state));
    lease.release();
    expect(connections[0]?.closes).to.equal(1);
    expect(registry.has(lobby)).to.equal(false);
    expect(states).to.deep.equal([]);
  });

  it('keeps the connection when re-acquired during the grace period', async () => {
    const { registry, connections } = makeRegistry(50);
    const first = registry.acquire(lobby);
    connections[0]?.connect();
    first.release();
    const again = registry.acquire(lobby);
    expect(connections).to.have.length(1);
    expect(connections[0]?.starts).to.equal(1);
    // Well past the grace period: the connection must still be open.
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(connections[0]?.closes).to.equal(0);
    again.release();
    await waitFor(() => connections[0]?.closes === 1, 'the connection was not closed');
  });

  it('lists provisioned instances in a signal and computes connected', () => {
    const { registry, connections } = makeRegistry();
    const lease = registry.acquire(lobby);
    const observer = connections[0]?.observer as ConnectionObserver;
    expect(registry.instances.get().size).to.equal(0);
    observer.provisioned({ id: 'i-1', roomCode: '123456', p2p: false, channelId: 'ch-1' });
    observer.joined(3, [{ peerID: 'p-2', userID: 'u-2', name: 'Ada', peerIndex: 2 }]);
    observer.state('connected', undefined, null);
    const entry = registry.instances.get().get('i-1');
    expect(entry).to.deep.include({
      id: 'i-1',
      kind: 'world',
      locationId: 'lobby',
      channelId: 'ch-1',
      state: 'connected',
    });
    expect([...(entry?.peers.keys() ?? [])]).to.deep.equal(['p-2']);
    expect(registry.connected.get()).to.equal(true);
    expect(lease.peerIndex.get()).to.equal(3);
    observer.state('reconnecting', 'TIMEOUT', null);
    expect(registry.connected.get()).to.equal(false);
  });

  it('delivers peer events to live leases only', () => {
    const { registry, connections } = makeRegistry();
    const a = registry.acquire(lobby);
    const b = registry.acquire(lobby);
    const seen: string[] = [];
    a.events.on('peer-join', ({ peer }) => seen.push(`a:${peer.peerID}`));
    b.events.on('peer-join', ({ peer }) => seen.push(`b:${peer.peerID}`));
    b.release();
    connections[0]?.observer.peerJoined({ peerID: 'p-9', userID: 'u', name: 'Bo', peerIndex: 9 });
    expect(seen).to.deep.equal(['a:p-9']);
    expect(a.peers.get().has('p-9')).to.equal(true);
  });

  it('keeps the error of a failed connection until it connects again', () => {
    const { registry, connections } = makeRegistry();
    const lease = registry.acquire(lobby);
    const errors: string[] = [];
    lease.events.on('error', ({ error }) => errors.push(error.code));
    const observer = connections[0]?.observer as ConnectionObserver;
    const failure = Object.assign(new Error('no'), { code: 'UNAUTHORIZED' }) as never;
    observer.state('failed', 'UNAUTHORIZED', failure);
    observer.error(failure);
    expect(lease.error.get()).to.equal(failure);
    expect(errors).to.deep.equal(['UNAUTHORIZED']);
    observer.state('connected', undefined, null);
    expect(lease.error.get()).to.equal(null);
  });
});
