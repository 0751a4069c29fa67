/// <reference types="vite/client" />
/**
 * What every story shares: the element docs from custom-elements.json, docs pages that show one
 * live story, and where the reference server is (`globalThis.__IR_STORY__`, read by
 * stories/story-env.ts).
 */
import { Controls, Markdown, Primary, Subtitle, Title, useOf } from '@storybook/addon-docs/blocks';
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

interface ManifestItem {
  name: string;
  kind?: string;
  privacy?: string;
  static?: boolean;
}

interface ManifestDeclaration {
  tagName?: string;
  summary?: string;
  description?: string;
  members?: ManifestItem[];
  slots?: ManifestItem[];
  cssParts?: ManifestItem[];
}

interface Manifest {
  modules: { declarations?: ManifestDeclaration[] }[];
}

/**
 * The manifest as Storybook's tables should show it. Storybook keys every entry by its name, so a
 * part named like a property (`video`, `state`) would replace the property; parts and slots get
 * names of their own. Private and static members are no element API.
 */
function forStorybook(source: Manifest): Manifest {
  const element = (declaration: ManifestDeclaration): ManifestDeclaration => ({
    ...declaration,
    members: declaration.members?.filter(
      (member) => member.privacy !== 'private' && member.privacy !== 'protected' && !member.static,
    ),
    slots: declaration.slots?.map((slot) => ({ ...slot, name: slot.name ? `slot="${slot.name}"` : '(default slot)' })),
    cssParts: declaration.cssParts?.map((part) => ({ ...part, name: `::part(${part.name})` })),
  });
  return {
    ...source,
    modules: source.modules.map((module) => ({
      ...module,
      declarations: module.declarations?.map((declaration) =>
        declaration.tagName ? element(declaration) : declaration,
      ),
    })),
  };
}

const elementsManifest = forStorybook(manifest as Manifest);

// Attributes, properties, events, slots, CSS parts and custom properties, from the classes' JSDoc.
setCustomElementsManifest(elementsManifest);

function declarationOf(tagName: unknown): ManifestDeclaration | undefined {
  return elementsManifest.modules
    .flatMap((module) => module.declarations ?? [])
    .find((declaration) => declaration.tagName === tagName);
}

type ArgTypesEnhancer = NonNullable<Preview['argTypesEnhancers']>[number];

/**
 * The manifest's entries are reference; a control only for what the story renders from its args
 * (`audio`, `theme`, `channelId`…). A control for anything else would change nothing.
 */
const controlsForStoryArgs: ArgTypesEnhancer = (context) =>
  Object.fromEntries(
    Object.entries(context.argTypes).map(([name, argType]) => [
      name,
      argType.table?.category !== undefined && !(name in context.initialArgs)
        ? { ...argType, control: { disable: true } }
        : argType,
    ]),
  );

/**
 * The autodocs page: the element's JSDoc (summary and description from the manifest), the
 * stories' note, the primary story and the element's API. No "Stories" block: every story is live
 * (guests are real pages), so a page rendering all of them at once would start some thirty guests
 * and mix the decorators' page-wide patches. The other stories are in the sidebar.
 */
function DocsPage() {
  const { preparedMeta } = useOf('meta', ['meta']);
  const declaration = declarationOf(preparedMeta.component);
  const note = (preparedMeta.parameters.docs as { description?: { component?: string } } | undefined)?.description
    ?.component;
  return createElement(
    Fragment,
    null,
    createElement(Title),
    declaration?.summary ? createElement(Subtitle, null, declaration.summary) : null,
    declaration?.description ? createElement(Markdown, null, declaration.description) : null,
    note ? createElement(Markdown, null, note) : null,
    createElement(Primary),
    createElement(Controls),
  );
}

const preview: Preview = {
  tags: ['autodocs'],
  argTypesEnhancers: [controlsForStoryArgs],
  parameters: {
    docs: { page: DocsPage },
    controls: { expanded: true },
  },
};

export default preview;
