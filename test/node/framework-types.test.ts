/**
 * The framework typings as an app sees them: a React 19 TSX file that imports `ir-rooms/react`
 * and `ir-rooms/jsx` through the package's exports must type-check, handlers get the event
 * classes, and wrong handlers or attributes must not; so must the React and plain TypeScript
 * examples of docs/frameworks.md. Also that the committed types/ is what
 * `npm run analyze` generates. Needs `npm run build` first (the typings point into dist/types).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../', import.meta.url));
// Inside the package, so `ir-rooms/…` resolves through package.json's exports (self-reference).
const scratch = join('.cache', 'framework-types');

/** The first code block of `lang` in the section of docs/frameworks.md under `heading`. */
function docsExample(heading: string, lang: string): string {
  const docs = readFileSync(join(root, 'docs', 'frameworks.md'), 'utf8');
  const section = docs.split(/^## /m).find((part) => part.startsWith(`${heading}\n`));
  const code = section?.match(new RegExp(`^\`\`\`${lang}\n([\\s\\S]*?)^\`\`\`$`, 'm'))?.[1];
  if (!code) assert.fail(`docs/frameworks.md has no \`\`\`${lang} block under "## ${heading}"`);
  return code;
}

/** Every `@ts-expect-error` must meet its error: an unused one is itself reported. */
const consumer = `
import type { ConnectionState, IrPeerJoinEvent } from 'ir-rooms';
import type { CustomElements } from 'ir-rooms/jsx';
import { IrMediaChannel, IrRoomsProvider, IrWorldInstance } from 'ir-rooms/react';

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements extends CustomElements {}
  }
}

export const wrapped = (
  <IrRoomsProvider apiUrl="/api">
    <IrWorldInstance
      locationId="lobby"
      headless
      onIrStateChange={(event) => {
        const state: ConnectionState = event.detail.state;
        return state;
      }}
      onIrPeerJoin={(event) => event.detail.peer.peerID}
      onIrMessage={(event) => event.detail.channel}
    >
      <IrMediaChannel audio onIrTrackAdded={(event) => event.detail.track.kind} onIrDeviceError={(event) => event.detail.error.code} />
    </IrWorldInstance>
  </IrRoomsProvider>
);

// @ts-expect-error a peer-join handler is no state-change handler
export const wrongHandler = <IrWorldInstance onIrStateChange={(event: IrPeerJoinEvent) => event} />;

// @ts-expect-error a world instance fires no track events
export const unknownEvent = <IrWorldInstance onIrTrackAdded={() => {}} />;

export const tags = (
  <ir-world-instance
    location-id="lobby"
    onir-state-change={(event) => {
      const state: ConnectionState = event.detail.state;
      return state;
    }}
  >
    <ir-media-channel audio onir-active-speaker-change={(event) => event.detail.peerID} />
  </ir-world-instance>
);

// @ts-expect-error location-id is a string
export const wrongAttribute = <ir-world-instance location-id={42} />;

// @ts-expect-error the detail of ir-state-change has no peer
export const wrongDetail = <ir-world-instance onir-state-change={(event) => event.detail.peer} />;
`;

describe('framework typings', () => {
  before(() => {
    for (const file of ['dist/types/index.d.ts', 'dist/types/react/index.d.ts']) {
      if (!existsSync(join(root, file))) assert.fail(`${file} is missing: run \`npm run build\` before this test`);
    }
    rmSync(join(root, scratch), { recursive: true, force: true });
    mkdirSync(join(root, scratch), { recursive: true });
  });
  after(() => rmSync(join(root, scratch), { recursive: true, force: true }));

  it('a React 19 app and the docs’ examples type-check with ir-rooms/react and ir-rooms/jsx; wrong handlers or attributes fail', () => {
    const file = join(root, scratch, 'app.tsx');
    writeFileSync(file, consumer);
    const examples = [join(root, scratch, 'room.tsx'), join(root, scratch, 'plain.ts')];
    writeFileSync(examples[0]!, docsExample('React', 'tsx'));
    writeFileSync(examples[1]!, docsExample('Plain TypeScript', 'ts'));
    const program = ts.createProgram([file, ...examples], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      jsx: ts.JsxEmit.ReactJSX,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
      types: [],
      skipLibCheck: false,
    });
    // The app and the declarations it reaches through ir-rooms/jsx and ir-rooms/react are checked;
    // other packages' are not (checking all of them takes seconds and is their business).
    const ours = [file, ...examples, join(root, 'types/jsx.d.ts'), join(root, 'dist/types/react/index.d.ts')];
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...ours.flatMap((path) => {
        const source = program.getSourceFile(path);
        if (!source) assert.fail(`${path} is not part of the program: did ir-rooms/… resolve elsewhere?`);
        return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
      }),
    ];
    const messages = diagnostics.map((diagnostic) => {
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      if (!diagnostic.file || diagnostic.start === undefined) return text;
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      return `${diagnostic.file.fileName.slice(root.length)}:${line + 1}: ${text}`;
    });
    assert.deepEqual(messages, [], 'the app did not type-check as expected');
  });

  it('types/ is what `npm run analyze` generates from the elements’ JSDoc', () => {
    const outdir = join(scratch, 'analyze');
    const run = spawnSync('npm', ['run', '--silent', 'analyze', '--', '--outdir', outdir, '--quiet'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, `npm run analyze failed: ${run.stderr}`);
    for (const name of ['jsx.d.ts', 'vue.d.ts']) {
      assert.equal(
        readFileSync(join(root, 'types', name), 'utf8'),
        readFileSync(join(root, outdir, 'types', name), 'utf8'),
        `types/${name} is stale: run \`npm run analyze\` and commit types/`,
      );
    }
  });
});
