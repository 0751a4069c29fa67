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

/** Another participant: a same-origin iframe loads the kit on its own, so it has its own peerID. */
interface GuestOptions {
  audio?: boolean;
  video?: boolean;
  joinMuted?: boolean;
  topology?: 'sfu' | 'p2p';
}
async function guest(channelId: string, media: GuestOptions) {
  const frame = document.createElement('iframe');
  const config = JSON.stringify({ apiUrl, channelId, ...media }).replace(/</g, '\\u003c');
  frame.srcdoc = `<!doctype html><body><script type="module">
    const config = ${config};
    await import('/src/define.ts');
    const media = document.createElement('ir-media-channel');
    const { joinMuted, ...properties } = config;
    Object.assign(media, properties);
    // Mutes as soon as the microphone is captured, as a page that joins muted does.
    media.addEventListener('ir-track-added', (event) => {
      if (joinMuted && event.detail.local && event.detail.source === 'audio') media.setMicrophoneEnabled(false);
    });
    document.body.append(media);
  </script></body>`;
  document.body.append(frame);
  const element = await waitFor(
    () => frame.contentDocument?.querySelector('ir-media-channel') as IrMediaChannel | null,
    'the guest page did not load the kit',
  );
  return { frame, media: element as IrMediaChannel };
}

describe('<ir-media-channel> with another participant', () => {
  for (const topology of ['sfu', 'p2p'] as const) {
    it(`shows the other's tile (${topology}): video, mute, speaking, and the avatar when their video stops`, async () => {
      const channelId = `ch-${Math.random().toString(36).slice(2)}`;
      const media = await fixture<IrMediaChannel>(
        html`<ir-media-channel api-url=${apiUrl} channel-id=${channelId} topology=${topology}></ir-media-channel>`,
      );
      const other = await guest(channelId, { audio: true, video: true, topology });
      try {
        const root = media.shadowRoot as ShadowRoot;
        const tile = (await waitFor(
          () => root.querySelector<HTMLElement>('li[part~="tile"]:not([data-self])[data-video="true"]'),
          "the guest's video did not show",
          15_000,
        )) as HTMLElement;
        const peerID = tile.dataset.peerId ?? '';
        const instances = (await listInstances()).filter((instance) => instance.channelId === channelId);
        expect(instances.map((instance) => instance.p2p)).to.deep.equal([topology === 'p2p']);
        const grid = root.querySelector('[part~="grid"]') as HTMLElement;
        expect(grid.dataset.count).to.equal('2');
        // Two tiles side by side where there is room; one column in a narrow element.
        const columns = () => getComputedStyle(grid).gridTemplateColumns.split(' ').length;
        media.style.width = '640px';
        expect(columns()).to.equal(2);
        media.style.width = '260px';
        expect(columns()).to.equal(1);
        media.style.width = '';
        expect(tile.dataset.muted).to.equal('false');
        expect(root.querySelector(`audio[data-peer-id="${peerID}"]`), 'their microphone plays').to.not.equal(null);
        await waitFor(
          () => tile.dataset.speaking === 'true',
          'the beeping fake microphone never rang the tile',
          15_000,
        );
        expect(media.participants.get(peerID)?.speaking).to.equal(true);

        await other.media.setMicrophoneEnabled(false);
        await waitFor(() => tile.dataset.muted === 'true', 'the mute did not show');
        expect(tile.querySelector('[part~="mute-indicator"]')?.getAttribute('aria-label')).to.equal('Muted');
        expect(media.participants.get(peerID)?.muted).to.equal(true);

        await other.media.setCameraEnabled(false);
        await waitFor(() => tile.dataset.video === 'false', 'the paused camera still showed');
        expect(tile.querySelector('[part~="avatar"]')).to.not.equal(null);
        await other.media.setCameraEnabled(true);
        await waitFor(() => tile.dataset.video === 'true', 'the camera did not come back');

        // A track that ends unexpectedly (the app or the browser stops it): quietly the avatar.
        const video = media.participants.get(peerID)?.video;
        video?.stop();
        video?.dispatchEvent(new Event('ended'));
        await waitFor(() => tile.dataset.video === 'false', 'an ended track still showed as video');

        other.frame.remove();
        await waitFor(() => root.querySelectorAll('li[part~="tile"]').length === 1, 'the tile of who left stayed');
      } finally {
        other.frame.remove();
        media.remove();
      }
    });
  }

  it('offers enable-audio while the browser blocks playback, and resumeAudio() plays', async () => {
    const play = HTMLMediaElement.prototype.play;
    let blocked = true;
    // The autoplay policy, as a browser without --autoplay-policy=no-user-gesture-required applies it.
    HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
      if (blocked && this instanceof HTMLAudioElement) {
        return Promise.reject(new DOMException('play() needs a user gesture', 'NotAllowedError'));
      }
      return play.call(this);
    };
    const channelId = `ch-${Math.random().toString(36).slice(2)}`;
    const media = await fixture<IrMediaChannel>(
      html`<ir-media-channel api-url=${apiUrl} channel-id=${channelId}></ir-media-channel>`,
    );
    let blockedEvents = 0;
    media.addEventListener('ir-audio-blocked', () => blockedEvents++);
    const other = await guest(channelId, { audio: true });
    try {
      const root = media.shadowRoot as ShadowRoot;
      const button = (await waitFor(
        () => root.querySelector<HTMLButtonElement>('button[part~="enable-audio"]'),
        'no enable-audio button',
        15_000,
      )) as HTMLButtonElement;
      expect(blockedEvents).to.equal(1);
      expect(media.audioBlocked).to.equal(true);
      expect(button.textContent?.trim()).to.equal('Enable audio');
      blocked = false;
      button.click();
      await waitFor(() => root.querySelector('button[part~="enable-audio"]') === null, 'the button stayed');
      const audios = [...root.querySelectorAll('audio')];
      expect(audios.length).to.equal(1);
      // Also proves a re-render does not hand the same stream to the element again (that reloads it).
      await waitFor(() => audios.every((audio) => !audio.paused), 'the audio did not play');
      expect(media.audioBlocked).to.equal(false);
    } finally {
      HTMLMediaElement.prototype.play = play;
      other.frame.remove();
      media.remove();
    }
  });

  it('shows a participant who mutes right as the microphone starts as muted', async () => {
    const channelId = `ch-${Math.random().toString(36).slice(2)}`;
    const media = await fixture<IrMediaChannel>(
      html`<ir-media-channel api-url=${apiUrl} channel-id=${channelId}></ir-media-channel>`,
    );
    const other = await guest(channelId, { audio: true, joinMuted: true });
    try {
      const root = media.shadowRoot as ShadowRoot;
      const tile = (await waitFor(
        () => root.querySelector<HTMLElement>('li[part~="tile"]:not([data-self])'),
        'no tile for the guest',
        15_000,
      )) as HTMLElement;
      await waitFor(() => other.media.localStream?.getAudioTracks().length === 1, 'the guest did not capture');
      const peerID = tile.dataset.peerId ?? '';
      await waitFor(() => media.participants.get(peerID)?.audio !== undefined, "the guest's microphone never arrived");
      await waitFor(() => tile.dataset.muted === 'true', 'the guest muted at once but shows unmuted');
      expect(other.media.microphoneEnabled).to.equal(false);
    } finally {
      other.frame.remove();
      media.remove();
    }
  });
});

// The body (devices, tiles, controls) is a lazy module: `import()` settles asynchronously, so right
// after insertion every element here is still without it, however warm the module cache is.
describe('<ir-media-channel> before its body has loaded', () => {
  it('starts joining at once, and updateComplete waits for the tiles and controls', async () => {
    const media = document.createElement('ir-media-channel');
    media.apiUrl = apiUrl;
    media.channelId = `lazy-${Math.random().toString(36).slice(2, 10)}`;
    document.body.append(media);
    expect(media.microphoneEnabled).to.equal(false);
    expect(media.localStream).to.equal(null);
    await media.updateComplete;
    expect(media.shadowRoot?.querySelector('[part~="grid"]'), 'no grid after updateComplete').to.not.equal(null);
    expect(media.shadowRoot?.querySelector('[part~="controls"]'), 'no controls after updateComplete').to.not.equal(
      null,
    );
    await waitForState(media, 'connected');
    media.remove();
  });

  it('applies a toggle made before the body loaded', async () => {
    const media = document.createElement('ir-media-channel');
    media.apiUrl = apiUrl;
    media.channelId = `lazy-${Math.random().toString(36).slice(2, 10)}`;
    document.body.append(media);
    const enabled = media.setMicrophoneEnabled(true);
    await enabled;
    expect(media.microphoneEnabled).to.equal(true);
    await waitForState(media, 'connected');
    const track = media.localStream?.getAudioTracks()[0];
    expect(track?.readyState).to.equal('live');
    media.remove();
    await waitFor(() => track?.readyState === 'ended', 'the microphone captured before the body loaded kept running');
  });

  it('leaves cleanly when removed before the body loaded: nothing keeps capturing or connected', async () => {
    const media = document.createElement('ir-media-channel');
    const channelId = `lazy-${Math.random().toString(36).slice(2, 10)}`;
    media.apiUrl = apiUrl;
    media.channelId = channelId;
    media.audio = true;
    document.body.append(media);
    media.remove();
    // Waits for the body, which loads anyway (the import started on insertion).
    await media.updateComplete;
    await waitFor(
      () => (media.localStream?.getTracks() ?? []).every((track) => track.readyState === 'ended'),
      'a track captured for the removed element kept running',
    );
    await waitFor(
      async () => (await listInstances()).filter((i) => i.channelId === channelId).every((i) => i.peers === 0),
      'the removed element stayed a peer of its channel',
    );
  });
});
