/// <reference types="vite/client" />
/**
 * What every story shares: the element docs from custom-elements.json, docs pages that show one
 * live story, and where the reference server is (`globalThis.__IR_STORY__`, read by
 * stories/story-env.ts).
 */
import { Controls, Description, Primary, Subtitle, Title } from '@storybook/addon-docs/blocks';
import { type Preview, setCustomElementsManifest } from '@storybook/web-components-vite';
import { createElement, Fragment } from 'react';
import manifest from '../custom-elements.json' with { type: 'json' };
import type { StoryEnvironment } from '../stories/story-env.js';

/**
 * The server, first from the page's query (`?irApiUrl=…&irServerUrl=…` on the Storybook URL or
 * the preview iframe's: a static build opened against any server), else from the environment
 * Storybook was started or built with (`STORYBOOK_IR_API_URL`, set by `npm run storybook`), else
 * none: the stories then use `/api` on their own origin. The session (`irSession`,
 * `STORYBOOK_IR_SESSION`) makes every tab give a story the same rooms.
 */
function storyEnvironment(): StoryEnvironment | undefined {
  const queries = [new URLSearchParams(location.search)];
  try {
    // The manager (same origin) keeps its own query; the iframe's is rebuilt on navigation.
    if (window.parent !== window) queries.push(new URLSearchParams(window.parent.location.search));
  } catch {
    // Embedded in a page of another origin: only the iframe's own query counts.
  }
  const param = (name: string) => queries.map((query) => query.get(name)).find((value) => value) || undefined;
  const environment: StoryEnvironment = {
    apiUrl: param('irApiUrl') ?? import.meta.env.STORYBOOK_IR_API_URL,
    serverUrl: param('irServerUrl') ?? import.meta.env.STORYBOOK_IR_SERVER_URL,
    session: param('irSession') ?? import.meta.env.STORYBOOK_IR_SESSION,
  };
  // Only what is set: story-env.ts falls back field by field.
  const set = Object.entries(environment).filter(([, value]) => typeof value === 'string' && value !== '');
  return set.length > 0 ? (Object.fromEntries(set) as StoryEnvironment) : undefined;
}

const environment = storyEnvironment();
if (environment) (globalThis as { __IR_STORY__?: StoryEnvironment }).__IR_STORY__ = environment;

// Attributes, properties, events, slots, CSS parts and custom properties, from the classes' JSDoc.
setCustomElementsManifest(manifest);

/**
 * The autodocs page without the "Stories" block: every story is live (guests are real pages), so
 * a page rendering all of them at once would start some thirty guests and mix the decorators'
 * page-wide patches. The primary story shows; the others are in the sidebar.
 */
function DocsPage() {
  return createElement(
    Fragment,
    null,
    createElement(Title),
    createElement(Subtitle),
    createElement(Description),
    createElement(Primary),
    createElement(Controls),
  );
}

const preview: Preview = {
  tags: ['autodocs'],
  parameters: {
    docs: { page: DocsPage },
    controls: { expanded: true },
  },
};

export default preview;
