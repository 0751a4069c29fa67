/**
 * Renders a CSF3 story the way Storybook does (args merged over the component's, story decorators
 * inside the component's, then `play`), without Storybook: for the browser tests and any page.
 */
import { nothing, render } from 'lit';
import type { Meta, StoryContext, StoryObj, StoryResult } from './story-types.js';

export interface StoryModule {
  default: Meta<never>;
  [exportName: string]: unknown;
}

export interface ComposedStory<Args> {
  id: string;
  name: string;
  title: string;
  args: Args;
  /** Renders into `canvas` and returns the context `play` gets. */
  mount(canvas: HTMLElement): StoryContext<Args>;
  /** The story's `play`, or a no-op. */
  play(context: StoryContext<Args>): Promise<void>;
  /** Renders nothing into `canvas`: every element of the story is disconnected. */
  unmount(canvas: HTMLElement): void;
}

/** "TwoParticipants" → "Two Participants", as Storybook names a story after its export. */
export function storyNameFromExport(exportName: string): string {
  return exportName.replace(/([a-z0-9])([A-Z0-9])/g, '$1 $2').replace(/^./, (first) => first.toUpperCase());
}

function kebab(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();
}

/** The named exports of a stories module that are stories (CSF: every export but `default`). */
export function storiesOf(module: StoryModule): [string, StoryObj<never>][] {
  return Object.entries(module)
    .filter(([name, value]) => name !== 'default' && !name.startsWith('__') && typeof value === 'object' && value)
    .map(([name, value]) => [name, value as StoryObj<never>]);
}

export function composeStory<Args>(meta: Meta<Args>, story: StoryObj<Args>, exportName: string): ComposedStory<Args> {
  const name = story.name ?? storyNameFromExport(exportName);
  const id = `${kebab(meta.title)}--${kebab(exportName)}`;
  const args = { ...meta.args, ...story.args } as Args;
  const parameters = { ...meta.parameters, ...story.parameters };
  const renderStory = story.render ?? meta.render;
  if (!renderStory) throw new Error(`story ${id} has no render function`);
  // The first decorator is the innermost, and the story's own wrap closer than the component's.
  const decorators = [...(story.decorators ?? []), ...(meta.decorators ?? [])];
  return {
    id,
    name,
    title: meta.title,
    args,
    mount(canvas) {
      const context: StoryContext<Args> = { id, name, title: meta.title, args, parameters, canvasElement: canvas };
      let storyFn = (): StoryResult => renderStory(args, context);
      for (const decorator of decorators) {
        const inner = storyFn;
        storyFn = () => decorator(inner, context);
      }
      render(storyFn(), canvas);
      return context;
    },
    async play(context) {
      await story.play?.(context);
    },
    unmount(canvas) {
      render(nothing, canvas);
    },
  };
}
