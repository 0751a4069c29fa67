/**
 * `<ir-rooms-provider>` live: elements inside it take the API URL (and token, ICE servers) from it
 * instead of their own attributes.
 */
import { html } from 'lit';
import '../src/define.js';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import type { IrMediaChannel, IrWorldInstance } from '../src/index.js';
import { guests } from './guests.js';
import { countReached, find, waitForState, waitForTiles, waitUntil } from './story-checks.js';
import { roomId, storyApiUrl } from './story-env.js';

export interface RoomsProviderArgs {
  /** One location per room the story shows. */
  locationIds: string[];
  guests: number;
}

type Story = StoryObj<RoomsProviderArgs>;

const meta: Meta<RoomsProviderArgs> = {
  title: 'Elements/ir-rooms-provider',
  component: 'ir-rooms-provider',
  args: { guests: 1 },
  render: (args) => html`
    <ir-rooms-provider api-url=${storyApiUrl()}>
      ${args.locationIds.map(
        (locationId) => html`
          <ir-world-instance location-id=${locationId} display-name="Story viewer">
            <ir-media-channel></ir-media-channel>
          </ir-world-instance>
          ${guests(args.guests, { locationId, media: true })}
        `,
      )}
    </ir-rooms-provider>
  `,
};
export default meta;

/** Every world and its nested channel are connected, each with the story's guests. */
async function allJoined(canvas: HTMLElement, args: RoomsProviderArgs): Promise<void> {
  for (const [index] of args.locationIds.entries()) {
    const world = find<IrWorldInstance>(canvas, 'ir-world-instance', index);
    await waitForState(canvas, world, ['connected']);
    await waitUntil(
      canvas,
      () => countReached(world.peers.size, args.guests),
      () => `room ${index + 1}: expected ${args.guests} peers, have ${world.peers.size}`,
    );
    const channel = find<IrMediaChannel>(canvas, 'ir-media-channel', index);
    await waitForState(canvas, channel, ['connected']);
    await waitForTiles(canvas, channel, args.guests + 1);
  }
}

export const SharedApiUrl: Story = {
  name: 'Shared API URL',
  args: { locationIds: [roomId('story-provider')] },
  parameters: {
    docs: {
      description: { story: 'Neither the world instance nor its media channel names the API: the provider does.' },
    },
  },
  play: async ({ canvasElement, args }) => {
    await allJoined(canvasElement, args);
  },
};

export const TwoRooms: Story = {
  args: { locationIds: [roomId('story-provider-a'), roomId('story-provider-b')] },
  parameters: {
    docs: { description: { story: 'Two rooms on one page under one provider, each with its own guest.' } },
  },
  play: async ({ canvasElement, args }) => {
    await allJoined(canvasElement, args);
  },
};
