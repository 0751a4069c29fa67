/**
 * The few Component Story Format 3 types the stories use, shaped like `@storybook/web-components`'
 * `Meta`, `StoryObj` and `Decorator`, so the stories compile and render without Storybook and
 * issue 6 can swap these for Storybook's own types by changing one import.
 */
import type { TemplateResult } from 'lit';

/** What a story renders: a lit template, as `@storybook/web-components` accepts. */
export type StoryResult = TemplateResult;

/** What Storybook hands `render`, decorators and `play` (the part of it these stories read). */
export interface StoryContext<Args> {
  id: string;
  name: string;
  title: string;
  args: Args;
  parameters: StoryParameters;
  /** The element the story is rendered into. */
  canvasElement: HTMLElement;
}

export interface StoryParameters {
  /** Storybook's docs and addons read more; the stories use these. */
  docs?: { description?: { story?: string; component?: string } };
  [key: string]: unknown;
}

export type Decorator<Args> = (story: () => StoryResult, context: StoryContext<Args>) => StoryResult;

/** A control in Storybook's panel; only what these stories set. */
export interface ArgType {
  control?:
    | 'text'
    | 'boolean'
    | 'number'
    | 'select'
    | 'radio'
    | false
    | { type: string; min?: number; max?: number; step?: number };
  options?: readonly string[];
  description?: string;
}

export interface Meta<Args> {
  title: string;
  /** The tag name, which Storybook looks up in custom-elements.json for docs. */
  component?: string;
  args?: Partial<Args>;
  argTypes?: Partial<Record<keyof Args, ArgType>>;
  render?: (args: Args, context: StoryContext<Args>) => StoryResult;
  decorators?: Decorator<Args>[];
  parameters?: StoryParameters;
}

export interface StoryObj<Args> {
  name?: string;
  args?: Partial<Args>;
  argTypes?: Partial<Record<keyof Args, ArgType>>;
  render?: (args: Args, context: StoryContext<Args>) => StoryResult;
  decorators?: Decorator<Args>[];
  parameters?: StoryParameters;
  /** Runs after the story is rendered; these stories wait there for the state they show. */
  play?: (context: StoryContext<Args>) => Promise<void>;
}
