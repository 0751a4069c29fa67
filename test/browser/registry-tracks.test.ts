import { expect } from '@open-wc/testing';
import type { ConnectionObserver } from '../../src/connection/instance-connection.js';
import { type ConnectionLike, InstanceRegistry } from '../../src/index.js';
import type { RemoteTrack } from '../../src/transports/transport-adapter.js';

/** A connection that hands the registry its observer and records what was published (a unit test of the registry). */
class TrackConnection implements ConnectionLike {
  observer!: ConnectionObserver;
  readonly published: string[] = [];
  start(): void {}
  reconnect(): void {}
  send(): Promise<void> {
    return Promise.resolve();
  }
  publish(source: string): Promise<void> {
    this.published.push(`+${source}`);
    return Promise.resolve();
  }
  unpublish(source: string): Promise<void> {
    this.published.push(`-${source}`);
    return Promise.resolve();
  }
  setPaused(source: string, paused: boolean): Promise<void> {
    this.published.push(`${paused ? 'pause' : 'resume'}:${source}`);
    return Promise.resolve();
  }
  close(): void {}
}

function setup() {
  const connection = new TrackConnection();
  const registry = new InstanceRegistry({
    peerID: () => '00000000-0000-4000-8000-000000000000',
    createConnection: (_spec, observer) => {
      connection.observer = observer;
      return connection;
    },
  });
  const lease = registry.acquire({ apiUrl: 'http://rooms.test/api', channelId: 'ch' });
  const events: string[] = [];
  lease.events.on('track-added', (t) => events.push(`added:${t.peerID}:${t.source}`));
  lease.events.on('track-removed', (t) => events.push(`removed:${t.peerID}:${t.source}`));
  lease.events.on('track-paused', (t) => events.push(`paused:${t.peerID}:${t.source}:${t.paused}`));
  connection.observer.joined(1, [{ peerID: 'p-2', userID: 'u-2', name: 'Ada', peerIndex: 2 }]);
  return { connection, lease, events, observer: connection.observer };
}

/** A real track of its own (the registry only compares them). */
function newTrack(): MediaStreamTrack {
  const [track] = document.createElement('canvas').captureStream().getVideoTracks();
  if (!track) throw new Error('no canvas track');
  return track;
}

function track(peerID: string, source: RemoteTrack['source'], paused = false): RemoteTrack {
  return { peerID, source, track: newTrack(), paused };
}

describe('InstanceRegistry remote tracks', () => {
  it('keeps remote tracks per peer with their paused state, and forgets them when the peer leaves', () => {
    const { lease, events, observer } = setup();
    const mic = track('p-2', 'microphone');
    const camera = track('p-2', 'camera');
    observer.trackAdded(mic);
    observer.trackAdded(camera);
    observer.trackAdded(camera);
    expect([...(lease.tracks.get().get('p-2')?.keys() ?? [])]).to.deep.equal(['microphone', 'camera']);
    observer.trackPaused('p-2', 'microphone', true);
    observer.trackPaused('p-2', 'microphone', true);
    expect(lease.tracks.get().get('p-2')?.get('microphone')?.paused).to.equal(true);
    observer.peerLeft({ peerID: 'p-2', userID: 'u-2', name: 'Ada', peerIndex: 2 });
    expect(lease.tracks.get().size).to.equal(0);
    expect(events).to.deep.equal([
      'added:p-2:microphone',
      'added:p-2:camera',
      'paused:p-2:microphone:true',
      'removed:p-2:microphone',
      'removed:p-2:camera',
    ]);
  });

  it('replaces a track of the same source, ignores a stale removal, and clears all when the link drops', () => {
    const { lease, events, observer } = setup();
    const first = track('p-2', 'camera');
    const second = track('p-2', 'camera');
    observer.trackAdded(first);
    observer.trackAdded(second);
    observer.trackRemoved(first);
    expect(lease.tracks.get().get('p-2')?.get('camera')?.track).to.equal(second.track);
    observer.tracksCleared();
    expect(lease.tracks.get().size).to.equal(0);
    expect(events).to.deep.equal(['added:p-2:camera', 'removed:p-2:camera', 'added:p-2:camera', 'removed:p-2:camera']);
  });

  it('passes publish, pause and unpublish to the connection, and refuses them after release', async () => {
    const { connection, lease } = setup();
    const local = newTrack();
    await lease.publish('microphone', local);
    await lease.setPaused('microphone', true);
    await lease.unpublish('microphone');
    expect(connection.published).to.deep.equal(['+microphone', 'pause:microphone', '-microphone']);
    lease.release();
    let refused = false;
    await lease.publish('microphone', local).catch(() => {
      refused = true;
    });
    expect(refused).to.equal(true);
  });
});
