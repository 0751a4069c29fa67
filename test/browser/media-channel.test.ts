import { expect, fixture, html } from '@open-wc/testing';
import '../../src/define.js';
import { IrError, type IrMediaChannel, type IrWorldInstance } from '../../src/index.js';
import { apiUrl, listInstances, uniqueLocation, waitFor, waitForState } from './helpers.js';

describe('<ir-media-channel>', () => {
  it("waits for its world instance's channel, then joins it", async () => {
    const locationId = uniqueLocation('media');
    const world = await fixture<IrWorldInstance>(html`
      <ir-world-instance api-url=${apiUrl} location-id=${locationId}>
        <ir-media-channel></ir-media-channel>
      </ir-world-instance>
    `);
    const media = world.querySelector('ir-media-channel') as IrMediaChannel;
    await waitForState(world, 'connected');
    await waitForState(media, 'connected');
    const channelId = world.instance?.channelId;
    expect(channelId).to.be.a('string');
    expect(media.resolvedChannelId).to.equal(channelId);
    expect(media.matches(':state(connected)')).to.equal(true);
    expect(media.participants.size).to.equal(0);
    const instances = (await listInstances()).filter((i) => i.channelId === channelId);
    expect(instances).to.have.length(2);
    const mediaInstance = instances.find((i) => i.id !== world.instance?.id);
    expect(mediaInstance?.peers).to.equal(1);
    world.remove();
  });

  it('stays idle outside a world instance until it has a channel-id', async () => {
    const media = await fixture<IrMediaChannel>(html`<ir-media-channel api-url=${apiUrl}></ir-media-channel>`);
    expect(media.state).to.equal('idle');
    media.channelId = `ch-${Math.random().toString(36).slice(2)}`;
    await waitForState(media, 'connected');
    media.remove();
  });

  it('captures the microphone and camera, mutes by pausing, and stops its tracks when removed', async () => {
    const media = await fixture<IrMediaChannel>(html`<ir-media-channel></ir-media-channel>`);
    const added: string[] = [];
    const removed: string[] = [];
    media.addEventListener('ir-track-added', (event) => added.push(event.detail.source));
    media.addEventListener('ir-track-removed', (event) => removed.push(event.detail.source));
    expect(media.localStream).to.equal(null);
    await media.setMicrophoneEnabled(true);
    await media.setCameraEnabled(true);
    const tracks = media.localStream?.getTracks() ?? [];
    expect(tracks.map((t) => t.kind).sort()).to.deep.equal(['audio', 'video']);
    expect(added).to.deep.equal(['audio', 'video']);
    expect(media.microphoneEnabled).to.equal(true);
    await media.setMicrophoneEnabled(false);
    expect(media.microphoneEnabled).to.equal(false);
    expect(tracks.find((t) => t.kind === 'audio')?.enabled).to.equal(false);
    await media.updateComplete;
    const microphone = media.shadowRoot?.querySelector<HTMLButtonElement>('button[part~="microphone"]');
    expect(microphone?.getAttribute('aria-pressed')).to.equal('false');
    microphone?.click();
    await waitFor(() => media.microphoneEnabled, 'the microphone button did not unmute');
    media.remove();
    await waitFor(() => tracks.every((t) => t.readyState === 'ended'), 'the local tracks were not stopped');
    expect(removed.sort()).to.deep.equal(['audio', 'video']);
  });

  it('captures on join with audio and video, and leave() stops the tracks', async () => {
    const channelId = `ch-${Math.random().toString(36).slice(2)}`;
    const media = await fixture<IrMediaChannel>(
      html`<ir-media-channel api-url=${apiUrl} channel-id=${channelId} audio video></ir-media-channel>`,
    );
    await waitFor(() => media.localStream?.getTracks().length === 2, 'the channel did not capture on join');
    const tracks = media.localStream?.getTracks() ?? [];
    media.leave();
    expect(tracks.every((t) => t.readyState === 'ended')).to.equal(true);
    expect(media.localStream).to.equal(null);
    expect(media.state).to.equal('disconnected');
    media.remove();
  });

  it('reports a screen share that cannot start as ir-device-error', async () => {
    const media = await fixture<IrMediaChannel>(html`<ir-media-channel></ir-media-channel>`);
    const errors: string[] = [];
    media.addEventListener('ir-device-error', (event) => errors.push(event.detail.kind));
    // Without a user gesture headless Chromium refuses getDisplayMedia.
    const error = await media.startScreenShare().then(
      () => null,
      (caught: unknown) => caught,
    );
    if (error === null) {
      expect(media.localStream?.getVideoTracks()).to.have.length(1);
      await media.stopScreenShare();
      expect(media.localStream).to.equal(null);
    } else {
      expect(IrError.is(error)).to.equal(true);
      expect(errors).to.deep.equal(['display']);
    }
    media.remove();
  });

  it('switches the microphone to another device, keeping its mute state', async () => {
    const media = await fixture<IrMediaChannel>(html`<ir-media-channel></ir-media-channel>`);
    await media.setMicrophoneEnabled(true);
    await media.setMicrophoneEnabled(false);
    const before = media.localStream?.getAudioTracks()[0];
    const devices = await navigator.mediaDevices.enumerateDevices();
    const inUse = before?.getSettings().deviceId;
    const input = devices.find(
      (device) => device.kind === 'audioinput' && device.deviceId && device.deviceId !== inUse,
    );
    expect(input, 'the fake devices include another microphone').to.not.equal(undefined);
    await media.selectDevice('audioinput', input?.deviceId ?? '');
    const after = media.localStream?.getAudioTracks()[0];
    expect(after).to.not.equal(before);
    expect(before?.readyState).to.equal('ended');
    expect(after?.readyState).to.equal('live');
    expect(media.microphoneEnabled, 'still muted').to.equal(false);
    const errors: string[] = [];
    media.addEventListener('ir-device-error', (event) => errors.push(event.detail.kind));
    const refused = await media.selectDevice('videoinput', 'no-such-camera').then(
      () => null,
      (error: unknown) => error,
    );
    expect(IrError.is(refused)).to.equal(true);
    expect(errors).to.deep.equal(['videoinput']);
    media.remove();
  });
});
