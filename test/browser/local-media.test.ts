import { expect } from '@open-wc/testing';
import { IrError } from '../../src/core/errors.js';
import { type DeviceKind, LocalMedia } from '../../src/elements/media-channel/local-media.js';
import { InstanceRegistry } from '../../src/index.js';
import type { MediaSource } from '../../src/protocol/index.js';
import type { Lease } from '../../src/registry/instance-registry.js';
import { apiUrl, rejection, waitFor } from './helpers.js';

/** A LocalMedia with no lease, recording what it reports. */
function setup() {
  const log: string[] = [];
  const deviceErrors: { kind: DeviceKind; error: IrError }[] = [];
  const errors: IrError[] = [];
  const media = new LocalMedia({
    changed: () => undefined,
    trackAdded: (source) => log.push(`+${source}`),
    trackRemoved: (source) => log.push(`-${source}`),
    deviceError: (kind, error) => deviceErrors.push({ kind, error }),
    error: (error) => errors.push(error),
  });
  return { media, log, deviceErrors, errors };
}

type GetUserMedia = MediaDevices['getUserMedia'];

/**
 * Replaces getUserMedia for one test: `wrap` gets the real one. Returns the undo (an own property
 * over the prototype's method, deleted again).
 */
function overrideGetUserMedia(wrap: (real: GetUserMedia, constraints: MediaStreamConstraints) => Promise<MediaStream>) {
  const devices = navigator.mediaDevices;
  const real = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints?: MediaStreamConstraints) => wrap(real, constraints ?? {});
  return () => {
    delete (devices as Partial<MediaDevices>).getUserMedia;
  };
}

/** getUserMedia rejects with NotAllowedError whenever one of `kinds` is asked for. */
function deny(...kinds: ('audio' | 'video')[]) {
  return overrideGetUserMedia((real, constraints) =>
    kinds.some((kind) => constraints[kind])
      ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))
      : real(constraints),
  );
}

/** Device ids of `kind` as the page sees them (after a capture, so they are not hidden). */
async function deviceIds(kind: 'audioinput' | 'videoinput'): Promise<string[]> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices.filter((device) => device.kind === kind && device.deviceId !== '').map((device) => device.deviceId);
}

describe('LocalMedia', () => {
  let cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.reverse()) cleanup();
    cleanups = [];
  });

  it('joins with the microphone when the camera is denied, and reports the camera', async () => {
    const { media, deviceErrors } = setup();
    cleanups.push(deny('video'), () => media.stopAll());
    const on = await media.enable({ microphone: true, camera: true });
    expect(on).to.deep.equal({ microphone: true, camera: false });
    expect(deviceErrors.map((e) => [e.kind, e.error.code])).to.deep.equal([['videoinput', 'FORBIDDEN']]);
    expect(media.track('microphone')?.readyState).to.equal('live');
    expect(media.track('camera')).to.equal(undefined);
    expect(media.stream?.getTracks().map((t) => t.kind)).to.deep.equal(['audio']);
  });

  it('rejects only when every device asked for fails, with the error it reported', async () => {
    const { media, deviceErrors } = setup();
    cleanups.push(deny('audio', 'video'), () => media.stopAll());
    const error = await rejection(media.enable({ microphone: true, camera: true }));
    expect(IrError.is(error, 'FORBIDDEN'), String(error)).to.equal(true);
    expect(deviceErrors.map((e) => e.kind)).to.deep.equal(['audioinput', 'videoinput']);
    expect(deviceErrors[0]?.error).to.equal(error);
    expect(media.stream).to.equal(null);
    // One source asked for, and it fails: that is everything.
    const camera = await rejection(media.enable({ camera: true }));
    expect(IrError.is(camera, 'FORBIDDEN')).to.equal(true);
    expect(deviceErrors.at(-1)?.kind).to.equal('videoinput');
  });

  it('resolves what is on when one of two is already on and the other fails', async () => {
    const { media } = setup();
    cleanups.push(() => media.stopAll());
    expect(await media.enable({ microphone: true })).to.deep.equal({ microphone: true, camera: false });
    await media.disable('microphone');
    cleanups.push(deny('video'));
    expect(await media.enable({ microphone: true, camera: true })).to.deep.equal({ microphone: true, camera: false });
  });

  it('rejects an unknown device id with NOT_FOUND and a malformed one with INVALID_ARGUMENT', async () => {
    const { media, deviceErrors } = setup();
    cleanups.push(() => media.stopAll());
    await media.enable({ microphone: true });
    const track = media.track('microphone');
    const unknown = await rejection(media.selectDevice('microphone', 'no-such-device'));
    expect(IrError.is(unknown, 'NOT_FOUND'), String(unknown)).to.equal(true);
    expect(deviceErrors.map((e) => [e.kind, e.error])).to.deep.equal([['audioinput', unknown]]);
    for (const bad of [
      () => media.selectDevice('microphone', ''),
      () => media.selectDevice('microphone', 42 as unknown as string),
      () => media.selectDevice('speaker' as 'camera', 'x'),
    ]) {
      const error = await rejection(bad());
      expect(IrError.is(error, 'INVALID_ARGUMENT'), String(error)).to.equal(true);
    }
    expect(deviceErrors).to.have.length(1);
    expect(media.track('microphone')).to.equal(track);
    expect(track?.readyState).to.equal('live');
  });

  it('switches the device with no lease, keeping the track muted', async () => {
    const { media, log } = setup();
    cleanups.push(() => media.stopAll());
    await media.enable({ microphone: true });
    await media.disable('microphone');
    const before = media.track('microphone');
    const current = media.deviceId('microphone');
    const other = (await deviceIds('audioinput')).find((id) => id !== current && id !== 'default');
    if (!other) throw new Error(`Chromium offers one fake microphone only (${current})`);
    await media.selectDevice('microphone', other);
    const after = media.track('microphone');
    expect(after).to.not.equal(before);
    expect(before?.readyState).to.equal('ended');
    expect(after?.getSettings().deviceId).to.equal(other);
    expect(media.deviceId('microphone')).to.equal(other);
    expect(after?.enabled).to.equal(false);
    expect(media.isOn('microphone')).to.equal(false);
    expect(log).to.deep.equal(['+microphone', '-microphone', '+microphone']);
  });

  it('keeps a device chosen while off for the next capture, without capturing', async () => {
    const { media } = setup();
    cleanups.push(() => media.stopAll());
    // A capture first, so the page may see device ids.
    const probe = await navigator.mediaDevices.getUserMedia({ audio: true });
    for (const track of probe.getTracks()) track.stop();
    const [, second] = (await deviceIds('audioinput')).filter((id) => id !== 'default');
    if (!second) throw new Error('Chromium offers one fake microphone only');
    await media.selectDevice('microphone', second);
    expect(media.stream).to.equal(null);
    expect(media.deviceId('microphone')).to.equal(second);
    await media.enable({ microphone: true });
    expect(media.track('microphone')?.getSettings().deviceId).to.equal(second);
  });

  it('captures another device when the chosen one has gone', async () => {
    const { media, deviceErrors } = setup();
    cleanups.push(() => media.stopAll());
    await media.enable({ camera: true });
    const [chosen] = await deviceIds('videoinput');
    await media.stop('camera');
    await media.selectDevice('camera', chosen as string);
    // The device is unplugged before the next capture.
    cleanups.push(
      overrideGetUserMedia((real, constraints) =>
        JSON.stringify(constraints).includes('exact')
          ? Promise.reject(Object.assign(new Error('no such camera'), { name: 'OverconstrainedError' }))
          : real(constraints),
      ),
    );
    expect(await media.enable({ camera: true })).to.deep.equal({ microphone: false, camera: true });
    expect(deviceErrors).to.deep.equal([]);
  });

  it('asks once when enable() is called again while the capture is pending', async () => {
    const { media, deviceErrors } = setup();
    cleanups.push(() => media.stopAll());
    const asked: string[] = [];
    let denied = false;
    cleanups.push(
      overrideGetUserMedia((real, constraints) => {
        asked.push(Object.keys(constraints).sort().join('+'));
        return denied ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError')) : real(constraints);
      }),
    );
    const both = await Promise.all([
      media.enable({ microphone: true, camera: true }),
      media.enable({ microphone: true }),
    ]);
    expect(both).to.deep.equal([
      { microphone: true, camera: true },
      { microphone: true, camera: true },
    ]);
    expect(asked).to.deep.equal(['audio+video']);
    // A stop in between: the next enable() does not wait for the capture that stop() dropped.
    await media.stop('camera');
    const first = media.enable({ camera: true });
    await media.stop('camera');
    expect(await media.enable({ camera: true })).to.deep.equal({ microphone: true, camera: true });
    await first;
    expect(media.track('camera')?.readyState).to.equal('live');
    // A shared failure is reported once and rejects both.
    await media.stop('camera');
    denied = true;
    const errors = await Promise.all([
      rejection(media.enable({ camera: true })),
      rejection(media.enable({ camera: true })),
    ]);
    expect(errors[0]).to.equal(errors[1]);
    expect(deviceErrors.map((e) => e.error)).to.deep.equal([errors[0]]);
  });

  it('a mute or stop while the capture is pending wins over the capture', async () => {
    const { media } = setup();
    cleanups.push(() => media.stopAll());
    const muted = media.enable({ microphone: true });
    await media.disable('microphone');
    expect(await muted).to.deep.equal({ microphone: false, camera: false });
    expect(media.track('microphone')?.enabled).to.equal(false);
    const captured: MediaStreamTrack[] = [];
    cleanups.push(
      overrideGetUserMedia(async (real, constraints) => {
        const stream = await real(constraints);
        captured.push(...stream.getTracks());
        return stream;
      }),
    );
    const stopped = media.enable({ camera: true });
    await media.stop('camera');
    expect(await stopped).to.deep.equal({ microphone: false, camera: false });
    expect(media.track('camera')).to.equal(undefined);
    expect(captured.map((t) => t.readyState)).to.deep.equal(['ended']);
  });

  it('stopAll() stops every track, including a capture that lands afterwards', async () => {
    const { media, log } = setup();
    await media.enable({ microphone: true, camera: true });
    const tracks = media.stream?.getTracks() ?? [];
    expect(tracks).to.have.length(2);
    const captured: MediaStreamTrack[] = [];
    cleanups.push(
      overrideGetUserMedia(async (real, constraints) => {
        const stream = await real(constraints);
        captured.push(...stream.getTracks());
        return stream;
      }),
    );
    await media.stop('camera');
    const late = media.enable({ camera: true });
    media.stopAll();
    media.stopAll();
    expect(tracks.map((t) => t.readyState)).to.deep.equal(['ended', 'ended']);
    expect(media.stream).to.equal(null);
    expect(await late).to.deep.equal({ microphone: false, camera: false });
    expect(captured.map((t) => t.readyState)).to.deep.equal(['ended']);
    expect(log.sort()).to.deep.equal(['+camera', '+microphone', '-camera', '-microphone']);
  });

  it('stops and reports a device whose track ends on its own', async () => {
    const { media, deviceErrors } = setup();
    cleanups.push(() => media.stopAll());
    await media.enable({ microphone: true });
    const track = media.track('microphone') as MediaStreamTrack;
    // What the browser fires when the device is unplugged.
    track.dispatchEvent(new Event('ended'));
    expect(media.track('microphone')).to.equal(undefined);
    expect(track.readyState).to.equal('ended');
    expect(deviceErrors.map((e) => [e.kind, e.error.code])).to.deep.equal([['audioinput', 'NOT_FOUND']]);
  });
});

/** A lease whose publish stays pending until released by the test (a unit test of LocalMedia's ordering). */
class SlowLease {
  readonly calls: string[] = [];
  released = false;
  #finishPublish: (() => void) | undefined;
  publish(source: MediaSource, _track: MediaStreamTrack, paused = false): Promise<void> {
    this.calls.push(`publish:${source}:${paused}`);
    return new Promise((resolve) => {
      this.#finishPublish = () => {
        this.calls.push(`published:${source}`);
        resolve();
      };
    });
  }
  finishPublish(): void {
    this.#finishPublish?.();
  }
  unpublish(source: MediaSource): Promise<void> {
    this.calls.push(`unpublish:${source}`);
    return Promise.resolve();
  }
  setPaused(source: MediaSource, paused: boolean): Promise<void> {
    this.calls.push(`setPaused:${source}:${paused}`);
    return Promise.resolve();
  }
}

describe('LocalMedia on a lease', () => {
  it('sends an unmute only after the publish it follows has finished', async () => {
    const { media, errors } = setup();
    const lease = new SlowLease();
    try {
      await media.enable({ microphone: true });
      await media.disable('microphone');
      media.attach(lease as unknown as Lease);
      await waitFor(() => lease.calls.length > 0, 'attach() did not publish');
      expect(lease.calls).to.deep.equal(['publish:microphone:true']);
      const unmuted = media.enable({ microphone: true });
      await Promise.resolve();
      expect(lease.calls).to.deep.equal(['publish:microphone:true']);
      lease.finishPublish();
      await unmuted;
      expect(lease.calls).to.deep.equal([
        'publish:microphone:true',
        'published:microphone',
        'setPaused:microphone:false',
      ]);
      expect(errors).to.deep.equal([]);
    } finally {
      media.stopAll();
    }
  });

  it('publishes before a listener that mutes a new track at once pauses it', async () => {
    const lease = new SlowLease();
    const media: LocalMedia = new LocalMedia({
      changed: () => undefined,
      trackAdded: (source) => void media.disable(source),
      trackRemoved: () => undefined,
      deviceError: () => undefined,
      error: (error) => {
        throw error;
      },
    });
    try {
      media.attach(lease as unknown as Lease);
      expect(await media.enable({ microphone: true })).to.deep.equal({ microphone: false, camera: false });
      await waitFor(() => lease.calls.length > 0, 'the new track was not published');
      lease.finishPublish();
      await waitFor(() => lease.calls.length === 3, 'the mute did not follow the publish');
      expect(lease.calls).to.deep.equal([
        'publish:microphone:true',
        'published:microphone',
        'setPaused:microphone:true',
      ]);
    } finally {
      media.stopAll();
    }
  });

  for (const topology of ['sfu', 'p2p'] as const) {
    it(`mutes while reconnecting reach the other peer once the link is back (${topology})`, async function () {
      this.timeout(40_000);
      const channelId = `ch-${Math.random().toString(36).slice(2)}`;
      const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
      const registryA = new InstanceRegistry({ peerID: () => a, graceMs: 0 });
      const registryB = new InstanceRegistry({ peerID: () => b, graceMs: 0 });
      const leaseA = registryA.acquire({ apiUrl, channelId, topology });
      const leaseB = registryB.acquire({ apiUrl, channelId, topology });
      const { media, errors } = setup();
      /** What B sees of A: `source:paused` per track. */
      const seen = () => [...(leaseB.tracks.get().get(a) ?? [])].map(([source, t]) => `${source}:${t.paused}`).sort();
      const waitForSeen = async (expected: string[], message: string) => {
        try {
          await waitFor(() => seen().join() === expected.join(), message, 15_000);
        } catch (error) {
          throw new Error(`${(error as Error).message}; B sees ${JSON.stringify(seen())}`);
        }
      };
      try {
        media.attach(leaseA);
        await media.enable({ microphone: true, camera: true });
        await waitForSeen(['camera:false', 'microphone:false'], 'B did not get A’s live tracks');
        expect(leaseA.instance.get()?.p2p).to.equal(topology === 'p2p');
        leaseA.reconnect();
        await waitFor(() => leaseA.state.get() !== 'connected', 'A did not start reconnecting');
        await media.disable('microphone');
        await media.disable('camera');
        await media.enable({ camera: true });
        await waitFor(() => leaseA.state.get() === 'connected', 'A did not reconnect', 15_000);
        await waitForSeen(['camera:false', 'microphone:true'], 'B does not see A muted with the camera on');
        expect(errors).to.deep.equal([]);
      } finally {
        media.stopAll();
        leaseA.release();
        leaseB.release();
      }
    });
  }
});
