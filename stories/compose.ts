/**
 * Renders a CSF3 story the way Storybook does (args merged over the component's, story decorators
 * inside the component's, then `play`), without Storybook: for the browser tests and any page.
 */
import type { Meta, StoryContext, StoryObj, WebComponentsRenderer } from '@storybook/web-components-vite';
import { nothing, render } from 'lit';

type StoryResult = WebComponentsRenderer['storyResult'];

/** A module of stories whose meta names its title (these stories always do; Storybook could infer it). */
export type TitledMeta<Args> = Meta<Args> & { title: string };

export interface StoryModule {
  default: TitledMeta<never>;
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

/** Storybook accepts one decorator or a list. */
function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The named exports of a stories module that are stories (CSF: every export but `default`). */
export function storiesOf(module: StoryModule): [string, StoryObj<never>][] {
  return Object.entries(module)
    .filter(([name, value]) => name !== 'default' && !name.startsWith('__') && typeof value === 'object' && value)
    .map(([name, value]) => [name, value as StoryObj<never>]);
}

export function composeStory<Args>(
  meta: TitledMeta<Args>,
  story: StoryObj<Args>,
  exportName: string,
): ComposedStory<Args> {
  const name = story.name ?? storyNameFromExport(exportName);
  const id = `${kebab(meta.title)}--${kebab(exportName)}`;
  const args = { ...meta.args, ...story.args } as Args;
  const parameters = { ...meta.parameters, ...story.parameters };
  const renderStory = story.render ?? meta.render;
  if (!renderStory) throw new Error(`story ${id} has no render function`);
  // The first decorator is the innermost, and the story's own wrap closer than the component's.
  const decorators = [...asList(story.decorators), ...asList(meta.decorators)];
  return {
    id,
    name,
    title: meta.title,
    args,
    mount(canvas) {
      // The part of Storybook's context these stories read; the rest (loaders, globals, step, …) is Storybook's own.
      const context = {
        id,
        name,
        title: meta.title,
        args,
        parameters,
        canvasElement: canvas,
      } as unknown as StoryContext<Args>;
      let storyFn = (): StoryResult => renderStory(args, context);
      for (const decorator of decorators) {
        const inner = storyFn;
        storyFn = () => decorator(inner as never, context as never);
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
