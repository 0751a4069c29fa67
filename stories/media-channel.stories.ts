/**
 * `<ir-media-channel>` in the states a page author meets, live: every story joins a channel of its
 * own on the reference server, and the other participants are real peers (guest pages in hidden
 * iframes, see guests.ts).
 */
import { html } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import '../src/define.js';
import type { Meta, StoryContext, StoryObj } from '@storybook/web-components-vite';
import { mediaChannelLocales } from '../src/elements/media-channel/strings.js';
import { type IrMediaChannel, instanceRegistry } from '../src/index.js';
import { withBlockedAudio, withDeniedCamera } from './decorators.js';
import { guests } from './guests.js';
import { find, part, waitForPart, waitForState, waitForTiles, waitUntil } from './story-checks.js';
import { roomId, storyApiUrl } from './story-env.js';

export interface MediaChannelArgs {
  channelId: string;
  audio: boolean;
  video: boolean;
  theme: 'auto' | 'light' | 'dark';
  lang: string;
  /** The topology hint for a new channel: `sfu` (the default) or `p2p`. */
  topology: '' | 'sfu' | 'p2p';
  /** How many other participants (guest pages) join. */
  guests: number;
  guestAudio: boolean;
  guestVideo: boolean;
  /** Guests mute their microphone once it is captured. */
  guestsMuted: boolean;
  /** Mute one's own microphone as soon as it is captured. */
  startMuted: boolean;
}

type Story = StoryObj<MediaChannelArgs>;

/** Mutes the microphone once the channel has captured it: "joined with audio, then muted". */
function muteOnCapture(event: Event): void {
  const { detail, target } = event as HTMLElementEventMap['ir-track-added'];
  if (detail.local && detail.source === 'audio') {
    (target as IrMediaChannel).setMicrophoneEnabled(false).catch(() => undefined);
  }
}

/** Whether a computed `rgb()`/`rgba()` colour is opaque and dark. */
function isDark(color: string): boolean {
  const [r = 255, g = 255, b = 255, alpha = 1] = (color.match(/[\d.]+/g) ?? []).map(Number);
  return alpha > 0 && (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 < 0.35;
}

function channelOf(context: StoryContext<MediaChannelArgs>): IrMediaChannel {
  return find<IrMediaChannel>(context.canvasElement, 'ir-media-channel');
}

/** Connected with the story's guests all in the grid (self included), `withVideo` of them showing video. */
async function joinedWith(context: StoryContext<MediaChannelArgs>, withVideo: number): Promise<IrMediaChannel> {
  const channel = channelOf(context);
  await waitForState(context.canvasElement, channel, ['connected']);
  await waitForTiles(context.canvasElement, channel, context.args.guests + 1, withVideo);
  return channel;
}

const meta: Meta<MediaChannelArgs> = {
  title: 'Elements/ir-media-channel',
  component: 'ir-media-channel',
  args: {
    audio: true,
    video: true,
    theme: 'auto',
    lang: '',
    topology: '',
    guests: 0,
    guestAudio: true,
    guestVideo: true,
    guestsMuted: false,
    startMuted: false,
  },
  argTypes: {
    channelId: {
      control: 'text',
      description:
        "The channel: the same in every tab of one `npm run storybook` (a story opened twice shows both), else this page load's own.",
    },
    theme: { control: 'radio', options: ['auto', 'light', 'dark'] },
    lang: { control: 'select', options: ['', 'en', 'de', 'fr', 'es'] },
    topology: { control: 'radio', options: ['', 'sfu', 'p2p'] },
    guests: {
      control: { type: 'range', min: 0, max: 15, step: 1 },
      description: 'Other participants: guest pages in hidden iframes.',
    },
  },
  parameters: {
    docs: {
      description: {
        component:
          'Live against the reference server named by the `__IR_STORY__` global (else `/api` here). ' +
          'Other participants are real peers: hidden guest pages that load the kit from the server.',
      },
    },
  },
  render: (args) => html`
    <ir-media-channel
      style="display: block; max-width: 960px"
      api-url=${storyApiUrl()}
      channel-id=${args.channelId}
      ?audio=${args.audio}
      ?video=${args.video}
      theme=${args.theme}
      lang=${ifDefined(args.lang || undefined)}
      topology=${ifDefined(args.topology || undefined)}
      @ir-track-added=${args.startMuted ? muteOnCapture : undefined}
    ></ir-media-channel>
    ${guests(args.guests, {
      channelId: args.channelId,
      audio: args.guestAudio,
      video: args.guestVideo,
      muted: args.guestsMuted,
      ...(args.topology ? { topology: args.topology } : {}),
    })}
  `,
};
export default meta;

/** A token that never arrives: the element stays at its joining state, for its look. */
const neverAnswer = () => new Promise<string>(() => undefined);

export const Joining: Story = {
  args: { channelId: roomId('story-joining') },
  parameters: { docs: { description: { story: 'Provisioning: the token provider never answers.' } } },
  render: (args) => html`
    <ir-media-channel
      style="display: block; max-width: 960px"
      api-url=${storyApiUrl()}
      channel-id=${args.channelId}
      ?audio=${args.audio}
      ?video=${args.video}
      theme=${args.theme}
      .tokenProvider=${neverAnswer}
    ></ir-media-channel>
  `,
  play: async (context) => {
    const channel = channelOf(context);
    await waitForState(context.canvasElement, channel, ['provisioning', 'connecting']);
    await waitForPart(context.canvasElement, channel, '[part~="state"][data-state="provisioning"]', 'the state shows');
  },
};

export const Alone: Story = {
  args: { channelId: roomId('story-alone') },
  play: async (context) => {
    await joinedWith(context, 1);
  },
};

export const TwoParticipants: Story = {
  args: { channelId: roomId('story-two'), guests: 1 },
  play: async (context) => {
    await joinedWith(context, 2);
  },
};

export const SixParticipants: Story = {
  args: { channelId: roomId('story-six'), guests: 5 },
  play: async (context) => {
    await joinedWith(context, 6);
  },
};

export const SixteenParticipants: Story = {
  args: {
    channelId: roomId('story-sixteen'),
    guests: 15,
    audio: false,
    video: false,
    guestAudio: false,
    guestVideo: false,
  },
  parameters: {
    docs: { description: { story: 'The guests join without camera or microphone, to keep the CPU sane.' } },
  },
  play: async (context) => {
    await joinedWith(context, 0);
  },
};

export const Muted: Story = {
  args: { channelId: roomId('story-muted'), guests: 1, guestVideo: false, guestsMuted: true, startMuted: true },
  parameters: { docs: { description: { story: 'Both joined with a microphone and muted it.' } } },
  play: async (context) => {
    const channel = await joinedWith(context, 1);
    await waitUntil(
      context.canvasElement,
      () =>
        part(channel, 'li[part~="tile"][data-self][data-muted="true"] [part~="mute-indicator"]') !== null &&
        part(channel, 'li[part~="tile"]:not([data-self])[data-muted="true"] [part~="mute-indicator"]') !== null &&
        part(channel, 'button[part~="microphone"]')?.getAttribute('aria-pressed') === 'false',
      () => 'both tiles should show the mute indicator and the microphone button be off',
    );
  },
};

export const PeerToPeer: Story = {
  name: 'Peer to peer',
  args: { channelId: roomId('story-p2p'), guests: 2, topology: 'p2p' },
  parameters: {
    docs: { description: { story: 'A new channel with the p2p hint: media flows directly between pages.' } },
  },
  play: async (context) => {
    await joinedWith(context, 3);
    const instance = [...instanceRegistry.instances.get().values()].find(
      (candidate) => candidate.channelId === context.args.channelId,
    );
    if (!instance?.p2p) throw new Error(`the channel should be peer to peer: ${JSON.stringify(instance)}`);
  },
};

export const BlockedAudio: Story = {
  args: { channelId: roomId('story-blocked'), guests: 1, video: false, guestVideo: false },
  decorators: [withBlockedAudio()],
  parameters: {
    docs: {
      description: {
        story:
          "Simulates the browser's autoplay policy: sound may not play until a click in the story; " +
          'the element offers to enable audio.',
      },
    },
  },
  play: async (context) => {
    const channel = await joinedWith(context, 0);
    await waitForPart(context.canvasElement, channel, 'button[part~="enable-audio"]', 'the enable-audio button shows');
  },
};

export const DeviceError: Story = {
  args: { channelId: roomId('story-device-error') },
  decorators: [withDeniedCamera()],
  parameters: {
    docs: {
      description: { story: 'The camera is denied (getUserMedia rejects video): it joins with the microphone.' },
    },
  },
  play: async (context) => {
    const channel = await joinedWith(context, 0);
    await waitForPart(
      context.canvasElement,
      channel,
      '[part~="notice"][role="alert"][data-kind="videoinput"]',
      'the camera error notice shows',
    );
    await waitUntil(
      context.canvasElement,
      () => channel.microphoneEnabled && !channel.cameraEnabled,
      () =>
        `microphone on and camera off expected (microphone ${channel.microphoneEnabled}, camera ${channel.cameraEnabled})`,
    );
  },
};

export const DarkTheme: Story = {
  args: { channelId: roomId('story-dark'), guests: 1, theme: 'dark' },
  parameters: { docs: { description: { story: 'On a dark surface of its own, whatever the page around it.' } } },
  render: (args, context) =>
    html`<div style="background: #121212; padding: 16px">${meta.render?.(args, context)}</div>`,
  play: async (context) => {
    const channel = await joinedWith(context, 2);
    const background = () => getComputedStyle(part(channel, '[part~="status-bar"]') ?? channel).backgroundColor;
    await waitUntil(
      context.canvasElement,
      () => isDark(background()),
      () => `the status bar should be dark, its background is ${background()}`,
    );
  },
};

export const InGerman: Story = {
  args: { channelId: roomId('story-de'), lang: 'de', video: false },
  play: async (context) => {
    const channel = await joinedWith(context, 0);
    const connected = mediaChannelLocales.de?.states.connected;
    await waitUntil(
      context.canvasElement,
      () => part(channel, '[part~="state"]')?.textContent?.trim() === connected,
      () => `the state should read "${connected}": "${part(channel, '[part~="state"]')?.textContent?.trim()}"`,
    );
  },
};
