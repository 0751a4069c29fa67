/**
 * `<ir-world-instance>` live: a location of its own per story, and other people as guest pages
 * (hidden iframes, see guests.ts) that join the same location.
 */
import { html } from 'lit';
import '../src/define.js';
import type { Meta, StoryContext, StoryObj } from '@storybook/web-components-vite';
import type { IrMediaChannel, IrWorldInstance } from '../src/index.js';
import { guests } from './guests.js';
import { countReached, find, waitForState, waitForTiles, waitUntil } from './story-checks.js';
import { roomId, storyApiUrl } from './story-env.js';

export interface WorldInstanceArgs {
  locationId: string;
  displayName: string;
  headless: boolean;
  /** Other people (guest pages) in the location. */
  guests: number;
  /** Nest an `<ir-media-channel audio>` (and the guests join the world's channel too). */
  withMedia: boolean;
}

type Story = StoryObj<WorldInstanceArgs>;

function worldOf(context: StoryContext<WorldInstanceArgs>): IrWorldInstance {
  return find<IrWorldInstance>(context.canvasElement, 'ir-world-instance');
}

/** Connected, with every guest among the peers. */
async function joined(context: StoryContext<WorldInstanceArgs>): Promise<IrWorldInstance> {
  const world = worldOf(context);
  await waitForState(context.canvasElement, world, ['connected']);
  await waitUntil(
    context.canvasElement,
    () => countReached(world.peers.size, context.args.guests),
    () => `expected ${context.args.guests} peers, have ${world.peers.size}`,
  );
  return world;
}

const meta: Meta<WorldInstanceArgs> = {
  title: 'Elements/ir-world-instance',
  component: 'ir-world-instance',
  args: { displayName: 'Story viewer', headless: false, guests: 0, withMedia: false },
  argTypes: {
    locationId: {
      control: 'text',
      description:
        "The location: the same in every tab of one `npm run storybook` (a story opened twice shows both), else this page load's own.",
    },
    guests: { control: { type: 'number' }, description: 'Other people: guest pages in hidden iframes.' },
  },
  render: (args) => html`
    <ir-world-instance
      api-url=${storyApiUrl()}
      location-id=${args.locationId}
      display-name=${args.displayName}
      ?headless=${args.headless}
    >
      <div style="min-height: 120px; display: grid; place-items: center; background: #e8eef4; color: #1b2a38">
        The app's scene goes here.
      </div>
      ${args.withMedia ? html`<ir-media-channel audio></ir-media-channel>` : null}
    </ir-world-instance>
    ${guests(args.guests, { locationId: args.locationId, media: args.withMedia, audio: args.withMedia })}
  `,
};
export default meta;

export const Connected: Story = {
  args: { locationId: roomId('story-world') },
  play: async (context) => {
    await joined(context);
  },
};

export const WithPeers: Story = {
  args: { locationId: roomId('story-world-peers'), guests: 3 },
  play: async (context) => {
    await joined(context);
  },
};

export const WithItsMediaChannel: Story = {
  args: { locationId: roomId('story-world-media'), guests: 2, withMedia: true },
  parameters: {
    docs: { description: { story: 'A media channel nested without channel-id joins the world’s channel.' } },
  },
  play: async (context) => {
    await joined(context);
    const channel = find<IrMediaChannel>(context.canvasElement, 'ir-media-channel');
    await waitForState(context.canvasElement, channel, ['connected']);
    await waitForTiles(context.canvasElement, channel, context.args.guests + 1);
  },
};
