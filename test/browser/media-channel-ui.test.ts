import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia, sendKeys } from '@web/test-runner-commands';
import '../../src/define.js';
import { mediaChannelLocales, resolveStrings, stringsFor } from '../../src/elements/media-channel/strings.js';
import { IrError, type IrMediaChannel } from '../../src/index.js';
import { expectNoSeriousA11yViolations } from './axe.js';
import { apiUrl, rejection, waitFor, waitForState } from './helpers.js';

const channel = () => `ui-${Math.random().toString(36).slice(2, 10)}`;

function $(media: IrMediaChannel, selector: string): HTMLElement | null {
  return media.shadowRoot?.querySelector<HTMLElement>(selector) ?? null;
}

/** Waits for `selector` to match in the shadow root. */
async function appears(
  media: IrMediaChannel,
  selector: string,
  message: string,
  timeoutMs?: number,
): Promise<HTMLElement> {
  return (await waitFor(() => $(media, selector), message, timeoutMs)) as HTMLElement;
}

function control(media: IrMediaChannel, part: string): HTMLButtonElement {
  const button = $(media, `button[part~="control"][part~="${part}"]`);
  if (!(button instanceof HTMLButtonElement)) throw new Error(`no ${part} control`);
  return button;
}

/** What a screen reader would call a button here: its aria-label, else its text. */
function accessibleName(element: Element): string {
  return (element.getAttribute('aria-label') ?? element.textContent ?? '').replace(/\s+/g, ' ').trim();
}

async function joined(template: ReturnType<typeof html>): Promise<IrMediaChannel> {
  const media = await fixture<IrMediaChannel>(template);
  await waitForState(media, 'connected');
  return media;
}

describe('<ir-media-channel> view', () => {
  it('shows oneself first with live video and counts the tiles', async () => {
    const media = await joined(
      html`<ir-media-channel api-url=${apiUrl} channel-id=${channel()} audio video></ir-media-channel>`,
    );
    const self = await appears(
      media,
      'li[part~="tile"][data-self][data-video="true"]',
      'the self tile did not show its video',
    );
    expect(media.shadowRoot?.querySelector('li[part~="tile"]')).to.equal(self);
    expect($(media, 'ul[part~="grid"]')?.dataset.count).to.equal('1');
    expect(self.dataset.source).to.equal('camera');
    expect(self.dataset.muted).to.equal('false');
    const video = self.querySelector<HTMLVideoElement>('video[part~="video"]');
    expect(video?.muted).to.equal(true);
    expect((video?.srcObject as MediaStream | null)?.getVideoTracks()[0]).to.equal(
      media.localStream?.getVideoTracks()[0],
    );
    expect(self.querySelector('[part~="name"]')?.textContent?.trim()).to.equal('You');
    // Camera off: the avatar (initials) instead of the video.
    await media.setCameraEnabled(false);
    await waitFor(() => self.dataset.video === 'false', 'the self tile kept its video with the camera off');
    expect(self.querySelector('[part~="avatar"]')).to.not.equal(null);
    media.remove();
  });

  it('names every control, flips aria-pressed on click, and reaches every control with Tab', async () => {
    const media = await joined(html`<ir-media-channel api-url=${apiUrl} channel-id=${channel()}></ir-media-channel>`);
    const toolbar = $(media, '[part~="controls"]');
    expect(toolbar?.getAttribute('role')).to.equal('toolbar');
    expect(toolbar?.getAttribute('aria-label')).to.equal('Media controls');
    const buttons = [...(toolbar?.querySelectorAll('button') ?? [])];
    expect(buttons.map((b) => b.getAttribute('part'))).to.deep.equal([
      'control microphone',
      'control camera',
      'control screen-share',
      'control devices',
      'control leave',
    ]);
    for (const button of buttons) expect(accessibleName(button), button.getAttribute('part') ?? '').to.not.equal('');

    for (const part of ['microphone', 'camera']) {
      const button = control(media, part);
      expect(button.getAttribute('aria-pressed')).to.equal('false');
      button.click();
      await waitFor(() => button.getAttribute('aria-pressed') === 'true', `${part} did not turn on`);
      button.click();
      await waitFor(() => button.getAttribute('aria-pressed') === 'false', `${part} did not turn off`);
    }
    expect($(media, 'li[data-self]')?.dataset.muted).to.equal('true');
    expect($(media, 'li[data-self] [part~="mute-indicator"]')?.getAttribute('aria-label')).to.equal('Muted');

    control(media, 'microphone').focus();
    const reached: string[] = [];
    for (let i = 0; i < buttons.length; i++) {
      reached.push(media.shadowRoot?.activeElement?.getAttribute('part') ?? 'none');
      await sendKeys({ press: 'Tab' });
    }
    expect(reached).to.deep.equal(buttons.map((b) => b.getAttribute('part')));
    // The toolbar's arrow keys move between its buttons too.
    control(media, 'microphone').focus();
    await sendKeys({ press: 'ArrowRight' });
    expect(media.shadowRoot?.activeElement).to.equal(control(media, 'camera'));
    await sendKeys({ press: 'End' });
    expect(media.shadowRoot?.activeElement).to.equal(control(media, 'leave'));
    await sendKeys({ press: 'ArrowRight' });
    expect(media.shadowRoot?.activeElement, 'wraps around').to.equal(control(media, 'microphone'));
    media.remove();
  });

  it('opens the device menu with the fake devices; Escape closes it and refocuses the button', async () => {
    const media = await joined(
      html`<ir-media-channel api-url=${apiUrl} channel-id=${channel()} audio></ir-media-channel>`,
    );
    await waitFor(() => media.microphoneEnabled, 'the microphone did not start');
    const devices = control(media, 'devices');
    const menu = $(media, '[part~="device-menu"]');
    expect(menu?.hidden).to.equal(true);
    expect(devices.getAttribute('aria-controls')).to.equal(menu?.id);
    devices.click();
    await waitFor(() => devices.getAttribute('aria-expanded') === 'true' && menu?.hidden === false, 'no menu');
    const select = (name: string) => $(media, `select[name="${name}"]`) as HTMLSelectElement | null;
    await waitFor(() => (select('audioinput')?.options.length ?? 0) > 0, 'no microphones listed');
    await waitFor(() => (select('videoinput')?.options.length ?? 0) > 0, 'no cameras listed');
    expect(select('audiooutput') !== null).to.equal('setSinkId' in HTMLMediaElement.prototype);
    for (const name of ['audioinput', 'videoinput']) {
      expect(select(name)?.closest('label')?.textContent?.trim(), `${name} is labelled`).to.not.equal('');
    }
    // The selected microphone is the one in use; choosing another swaps the track.
    const microphone = select('audioinput') as HTMLSelectElement;
    const inUse = media.localStream?.getAudioTracks()[0]?.getSettings().deviceId;
    expect(microphone.value).to.equal(inUse);
    const other = [...microphone.options].find((option) => option.value !== inUse);
    if (other) {
      microphone.value = other.value;
      microphone.dispatchEvent(new Event('change'));
      await waitFor(
        () => media.localStream?.getAudioTracks()[0]?.getSettings().deviceId === other.value,
        'the microphone did not switch',
      );
    }
    microphone.focus();
    await sendKeys({ press: 'Escape' });
    await waitFor(() => menu?.hidden === true, 'Escape did not close the menu');
    expect(devices.getAttribute('aria-expanded')).to.equal('false');
    expect(media.shadowRoot?.activeElement).to.equal(devices);
    media.remove();
  });

  it('takes strings from overrides and from lang', async () => {
    const wrapper = await fixture<HTMLDivElement>(
      html`<div><ir-media-channel api-url=${apiUrl} channel-id=${channel()}></ir-media-channel></div>`,
    );
    const media = wrapper.querySelector('ir-media-channel') as IrMediaChannel;
    await waitForState(media, 'connected');
    expect(accessibleName(control(media, 'microphone'))).to.equal('Microphone');
    media.strings = { leave: 'Auf Wiedersehen', states: { connected: 'Live' } };
    await media.updateComplete;
    expect(accessibleName(control(media, 'leave'))).to.equal('Auf Wiedersehen');
    expect($(media, '[part~="state"]')?.textContent?.trim()).to.equal('Live');
    wrapper.setAttribute('lang', 'de');
    await waitFor(() => accessibleName(control(media, 'microphone')) === 'Mikrofon', 'lang="de" did not apply');
    expect($(media, '[part~="grid"]')?.getAttribute('aria-label')).to.equal('Teilnehmende');
    expect(accessibleName(control(media, 'leave')), 'the override still wins').to.equal('Auf Wiedersehen');
    media.setAttribute('lang', 'fr');
    await waitFor(() => accessibleName(control(media, 'camera')) === 'Caméra', 'its own lang="fr" did not win');
    wrapper.remove();
  });

  it('follows theme="dark" and theme="light"', async () => {
    const media = await fixture<IrMediaChannel>(html`<ir-media-channel theme="light"></ir-media-channel>`);
    const tile = $(media, 'li[part~="tile"]') as HTMLElement;
    const light = getComputedStyle(tile).backgroundColor;
    media.theme = 'dark';
    await media.updateComplete;
    expect(media.getAttribute('theme')).to.equal('dark');
    const dark = getComputedStyle(tile).backgroundColor;
    expect(dark).to.not.equal(light);
    // auto follows the system's scheme; light stays light under a dark system.
    await emulateMedia({ colorScheme: 'dark' });
    try {
      media.theme = 'auto';
      await media.updateComplete;
      expect(getComputedStyle(tile).backgroundColor).to.equal(dark);
      media.theme = 'light';
      await media.updateComplete;
      expect(getComputedStyle(tile).backgroundColor).to.equal(light);
    } finally {
      await emulateMedia({ colorScheme: 'light' });
    }
    // A page's custom property wins over both defaults.
    media.style.setProperty('--ir-tile-background', 'rgb(1, 2, 3)');
    expect(getComputedStyle(tile).backgroundColor).to.equal('rgb(1, 2, 3)');
    media.remove();
  });

  it('lets a slot replace the control bar, or add to it', async () => {
    const replaced = await fixture<IrMediaChannel>(
      html`<ir-media-channel><div slot="controls"><button>Mine</button></div></ir-media-channel>`,
    );
    const slot = $(replaced, 'slot[name="controls"]') as HTMLSlotElement;
    expect(slot.assignedElements()).to.have.length(1);
    expect($(replaced, '[part~="controls"]')?.getClientRects().length, 'the built-in bar is not rendered').to.equal(0);
    replaced.remove();
    const extended = await fixture<IrMediaChannel>(
      html`<ir-media-channel><button slot="controls-end">Raise hand</button></ir-media-channel>`,
    );
    const end = $(extended, '[part~="controls"] slot[name="controls-end"]') as HTMLSlotElement;
    expect(end.assignedElements().map((e) => e.textContent)).to.deep.equal(['Raise hand']);
    expect($(extended, '[part~="controls"]')?.getClientRects().length).to.be.greaterThan(0);
    extended.remove();
  });

  it('leaves with the leave button, then offers Join', async () => {
    const media = await joined(
      html`<ir-media-channel api-url=${apiUrl} channel-id=${channel()} audio></ir-media-channel>`,
    );
    await waitFor(() => media.microphoneEnabled, 'the microphone did not start');
    const button = control(media, 'leave');
    button.click();
    await waitForState(media, 'disconnected');
    await media.updateComplete;
    expect(button.getAttribute('part')).to.equal('control join');
    expect(accessibleName(button)).to.equal('Join');
    expect(media.microphoneEnabled).to.equal(false);
    button.click();
    await waitForState(media, 'connected');
    await waitFor(() => media.microphoneEnabled, 'joining again did not capture the microphone');
    await media.updateComplete;
    expect(button.getAttribute('part')).to.equal('control leave');
    media.remove();
  });

  it('shows a device error as a dismissable notice, and keeps the buttons true to the state', async () => {
    const media = await joined(
      html`<ir-media-channel api-url=${apiUrl} channel-id=${channel()} audio></ir-media-channel>`,
    );
    await waitFor(() => media.microphoneEnabled, 'the microphone did not start');
    const refused = await rejection(media.selectDevice('videoinput', 'no-such-camera'));
    expect(IrError.is(refused)).to.equal(true);
    await media.updateComplete;
    const notice = await appears(media, '[part~="notice"]', 'no notice');
    expect(notice.getAttribute('role')).to.equal('alert');
    expect(notice.dataset.kind).to.equal('videoinput');
    expect(notice.textContent).to.contain('The camera could not be used');
    expect(control(media, 'microphone').getAttribute('aria-pressed')).to.equal('true');
    expect(control(media, 'camera').getAttribute('aria-pressed')).to.equal('false');
    // Other bad input: typed errors, and the UI stays as it was.
    expect(IrError.is(await rejection(media.selectDevice('audiooutput', 'no-such-speaker')), 'NOT_FOUND')).to.equal(
      true,
    );
    const kind = 'midi' as 'audioinput';
    expect(IrError.is(await rejection(media.selectDevice(kind, 'x')), 'INVALID_ARGUMENT')).to.equal(true);
    expect(IrError.is(await rejection(media.selectDevice('audioinput', '')), 'INVALID_ARGUMENT')).to.equal(true);
    expect(media.microphoneEnabled).to.equal(true);
    ($(media, '[part~="notice"] button[part~="dismiss"]') as HTMLButtonElement).click();
    await waitFor(() => $(media, '[part~="notice"]') === null, 'the notice was not dismissed');
    media.remove();
  });

  it('joins with the microphone when the camera is denied, and says so', async () => {
    const devices = navigator.mediaDevices;
    const original = devices.getUserMedia;
    devices.getUserMedia = function (constraints) {
      if (constraints?.video) return Promise.reject(new DOMException('denied', 'NotAllowedError'));
      return original.call(this, constraints);
    };
    try {
      const errors: string[] = [];
      const media = await fixture<IrMediaChannel>(html`<ir-media-channel
        api-url=${apiUrl}
        channel-id=${channel()}
        audio
        video
        @ir-device-error=${(event: CustomEvent<{ kind: string }>) => errors.push(event.detail.kind)}
      ></ir-media-channel>`);
      await waitForState(media, 'connected');
      await waitFor(() => media.microphoneEnabled, 'the microphone did not start');
      await appears(media, '[part~="notice"][data-kind="videoinput"]', 'no notice for the camera');
      expect(errors).to.deep.equal(['videoinput']);
      expect(media.cameraEnabled).to.equal(false);
      expect($(media, 'li[data-self]')?.dataset.video).to.equal('false');
      // Allowed again, the camera starts from its button and the notice goes.
      devices.getUserMedia = original;
      control(media, 'camera').click();
      await appears(media, 'li[data-self][data-video="true"]', 'the camera did not start once allowed');
      expect($(media, '[part~="notice"]')).to.equal(null);
      media.remove();
    } finally {
      devices.getUserMedia = original;
    }
  });

  it('rings the tile of whoever speaks, and names the active speaker', async () => {
    const speakers: (string | null)[] = [];
    const media = await fixture<IrMediaChannel>(html`<ir-media-channel
      api-url=${apiUrl}
      channel-id=${channel()}
      audio
      @ir-active-speaker-change=${(event: CustomEvent<{ peerID: string | null }>) => speakers.push(event.detail.peerID)}
    ></ir-media-channel>`);
    // Chromium's fake microphone beeps.
    const self = await appears(
      media,
      'li[data-self][data-speaking="true"]',
      'the fake microphone never counted as speaking',
      15_000,
    );
    expect(speakers[0]).to.equal(self.dataset.peerId);
    media.remove();
  });

  for (const theme of ['light', 'dark']) {
    it(`has no serious accessibility violations (${theme}), connected, with the menu and a notice open`, async () => {
      const media = await joined(
        html`<ir-media-channel theme=${theme} api-url=${apiUrl} channel-id=${channel()} audio video></ir-media-channel>`,
      );
      await appears(media, 'li[data-self][data-video="true"]', 'no self video');
      await media.setMicrophoneEnabled(false);
      await rejection(media.selectDevice('videoinput', 'no-such-camera'));
      control(media, 'devices').click();
      await appears(media, '[part~="notice"]', 'no notice');
      await expectNoSeriousA11yViolations(media);
      media.remove();
    });
  }
});

describe('<ir-media-channel> screen share', () => {
  it('shows one’s shared screen as its own larger tile, from a keyboard press on the button', async () => {
    const media = await joined(html`<ir-media-channel api-url=${apiUrl} channel-id=${channel()}></ir-media-channel>`);
    const button = control(media, 'screen-share');
    button.focus();
    // A real key press: getDisplayMedia needs the user activation a script's click() lacks.
    await sendKeys({ press: 'Enter' });
    const tile = await appears(media, 'li[part~="screen-tile"][data-self]', 'no screen tile');
    expect(tile.dataset.source).to.equal('screen');
    expect(tile.querySelector('video[part~="screen"]')).to.not.equal(null);
    expect(button.getAttribute('aria-pressed')).to.equal('true');
    expect($(media, '[part~="grid"]')?.dataset.count).to.equal('2');
    await sendKeys({ press: 'Enter' });
    await waitFor(() => $(media, 'li[part~="screen-tile"]') === null, 'the screen tile stayed');
    expect(button.getAttribute('aria-pressed')).to.equal('false');
    media.remove();
  });
});

describe('media channel strings', () => {
  it('picks the table by primary language, merges overrides key by key, and numbers unnamed devices', () => {
    expect(stringsFor('de-AT').leave).to.equal('Verlassen');
    expect(stringsFor('ES').join).to.equal('Unirse');
    expect(stringsFor('xx').leave).to.equal('Leave');
    expect(stringsFor(undefined).leave).to.equal('Leave');
    const merged = resolveStrings('fr', { leave: 'Partir', states: { failed: 'Raté' } });
    expect(merged.leave).to.equal('Partir');
    expect(merged.join).to.equal('Rejoindre');
    expect(merged.states.failed).to.equal('Raté');
    expect(merged.states.connected).to.equal('Connecté');
    expect(merged.deviceFallback('audioinput', 2)).to.equal('Micro 2');
    // Every locale names every string the English table has.
    for (const lang of Object.keys(mediaChannelLocales)) {
      const table = stringsFor(lang);
      expect(Object.keys(table).sort(), lang).to.deep.equal(Object.keys(stringsFor('en')).sort());
      expect(Object.keys(table.states).sort(), lang).to.deep.equal(Object.keys(stringsFor('en').states).sort());
    }
  });
});
