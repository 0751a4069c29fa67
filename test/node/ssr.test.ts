/**
 * SSR safety of the built package: each case imports `ir-rooms`, `ir-rooms/server`,
 * `ir-rooms/define` or `ir-rooms/react` from dist/ through the package's self-reference, in a fresh
 * plain Node process (no DOM globals, nothing cached from another case), and reports back as JSON.
 * Needs `npm run build` first (`npm test` builds before the node tests).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TAGS = ['ir-rooms-provider', 'ir-world-instance', 'ir-media-channel'];

/**
 * Runs before the imports in every child: watches the DOM globals a browser has and Node lacks.
 * Each read or write is recorded with the first stack frame that made it, then passes through, so
 * libraries behave as they do without the watch (Lit's Node build installs its own registry).
 */
const watchGlobals = `
const accesses = [];
const values = new Map();
const where = () => (new Error().stack ?? '').split('\\n')[3]?.trim() ?? 'unknown';
for (const name of ${JSON.stringify(['window', 'document', 'customElements', 'HTMLElement', 'Element', 'Node', 'location', 'localStorage'])}) {
  if (Object.getOwnPropertyDescriptor(globalThis, name)) throw new Error('Node already has a global ' + name);
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() { accesses.push({ name, op: 'read', at: where() }); return values.get(name); },
    set(next) { accesses.push({ name, op: 'write', at: where() }); values.set(name, next); },
  });
}
/** The test's own look at a global, not recorded. */
const peek = (name) => values.get(name);
const report = (result) => console.log(JSON.stringify({ accesses, ...result }));
`;

interface Access {
  name: string;
  op: 'read' | 'write';
  at: string;
}

async function runChild<T>(body: string): Promise<T & { accesses: Access[] }> {
  const script = `${watchGlobals}\n${body}`;
  const output = await new Promise<string>((resolve, reject) => {
    // The package root as working directory: `import('ir-rooms')` then resolves to this package.
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: root, timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`the child Node process failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
  const last = output.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as T & { accesses: Access[] };
  } catch {
    throw new Error(`the child Node process printed no JSON report; its output:\n${output}`);
  }
}

/** Accesses made by the kit's own code (dist/ of this package), as opposed to its dependencies. */
const ours = (accesses: Access[]) =>
  accesses.filter((access) => access.at.includes(`${root}dist/`) && !access.at.includes('/node_modules/'));

describe('SSR-safe imports (built package, plain Node, no DOM)', () => {
  before(() => {
    for (const file of ['dist/index.js', 'dist/define.js', 'dist/react.js', 'dist/node/server/index.js']) {
      if (!existsSync(join(root, file))) assert.fail(`${file} is missing: run \`npm run build\` before this test`);
    }
  });

  it('imports ir-rooms and ir-rooms/server without throwing, touching no DOM global and registering nothing', async (t) => {
    const result = await runChild<{ kit: string[]; server: string[]; tags: (string | null)[] }>(`
      const kit = await import('ir-rooms');
      const server = await import('ir-rooms/server');
      const registry = peek('customElements');
      report({
        kit: Object.keys(kit),
        server: Object.keys(server),
        tags: ${JSON.stringify(TAGS)}.map((tag) => (registry?.get(tag) ? tag : null)),
      });
    `);
    assert.ok(result.kit.includes('IrWorldInstance') && result.kit.includes('instanceRegistry'), 'ir-rooms exports');
    assert.ok(result.server.includes('startServer'), 'ir-rooms/server exports startServer');
    assert.deepEqual(ours(result.accesses), [], 'the kit’s own modules read or wrote a DOM global');
    // Lit's Node build reads `document` and installs its shim `customElements`; that is Lit's
    // documented SSR set-up, and it must not make the kit register anything in it.
    assert.deepEqual(result.tags, [null, null, null], 'importing ir-rooms registered a tag');
    assert.ok(
      result.accesses.every(
        (access) => access.name !== 'window' && !(access.name === 'document' && access.op === 'write'),
      ),
      'something defined or read window, or defined document',
    );
    t.diagnostic(`dependencies' accesses: ${result.accesses.map((a) => `${a.op} ${a.name} ${a.at}`).join('; ')}`);
  });

  describe('ir-rooms/define', () => {
    let copy: string;
    before(() => {
      // A second copy of the kit, as when an app bundles one and a CMS page loads another: the same
      // built files at another path, so their element classes are different objects.
      copy = mkdtempSync(join(tmpdir(), 'ir-rooms-copy-'));
      cpSync(join(root, 'dist'), join(copy, 'dist'), {
        recursive: true,
        filter: (source) =>
          !source.includes(`${join(root, 'dist')}/node`) && !source.includes(`${join(root, 'dist')}/types`),
      });
      writeFileSync(join(copy, 'package.json'), JSON.stringify({ name: 'ir-rooms-copy', type: 'module' }));
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
    });
    after(() => rmSync(copy, { recursive: true, force: true }));

    it('registers each tag once in the server registry; a second import and a second copy of the kit are no-ops', async () => {
      const copyUrl = (file: string) => new URL(`file://${join(copy, 'dist', file)}`).href;
      const result = await runChild<{
        firstDefines: boolean[];
        stillFirst: boolean[];
        copyDiffers: boolean;
        registryRejectsDuplicates: string | null;
      }>(`
        const kit = await import('ir-rooms');
        await import('ir-rooms/define');
        const registry = peek('customElements');
        const classes = { 'ir-rooms-provider': kit.IrRoomsProvider, 'ir-world-instance': kit.IrWorldInstance, 'ir-media-channel': kit.IrMediaChannel };
        const firstDefines = ${JSON.stringify(TAGS)}.map((tag) => registry.get(tag) === classes[tag]);
        // The same file again as a new module instance (its top level runs twice), then the copy.
        await import(new URL('dist/define.js?again', 'file://${root}').href);
        const other = await import(${JSON.stringify(copyUrl('index.js'))});
        await import(${JSON.stringify(copyUrl('define.js'))});
        const stillFirst = ${JSON.stringify(TAGS)}.map((tag) => registry.get(tag) === classes[tag]);
        // Without define's guard the copy's define would have thrown: the registry is strict.
        let registryRejectsDuplicates = null;
        try { registry.define('ir-world-instance', other.IrWorldInstance); } catch (error) { registryRejectsDuplicates = error.message; }
        report({ firstDefines, stillFirst, copyDiffers: other.IrWorldInstance !== kit.IrWorldInstance, registryRejectsDuplicates });
      `);
      assert.deepEqual(result.firstDefines, [true, true, true], 'ir-rooms/define registered the kit’s classes');
      assert.ok(result.copyDiffers, 'the second copy has its own element classes');
      assert.deepEqual(result.stillFirst, [true, true, true], 'a second define replaced a registration');
      assert.match(result.registryRejectsDuplicates ?? '', /already been used/, 'the registry accepted a duplicate');
      const touched = ours(result.accesses);
      assert.ok(touched.length > 0, 'define never looked at customElements');
      for (const access of touched) {
        assert.equal(
          `${access.op} ${access.name}`,
          'read customElements',
          `define touched another global: ${access.at}`,
        );
        assert.match(access.at, /\/dist\/define\.js/, 'a module other than define touched customElements');
      }
    });
  });

  it('ir-rooms/react renders the wrappers to their tags on the server', async () => {
    const result = await runChild<{ html: string }>(`
      const React = await import('react');
      const { renderToString } = await import('react-dom/server');
      const { IrWorldInstance, IrMediaChannel, IrRoomsProvider } = await import('ir-rooms/react');
      const html = renderToString(
        React.createElement(IrRoomsProvider, { apiUrl: 'https://rooms.example/api' },
          React.createElement(IrWorldInstance, { locationId: 'lobby', onIrStateChange: () => {} },
            React.createElement(IrMediaChannel, { audio: true }))),
      );
      report({ html });
    `);
    assert.match(
      result.html,
      /^<ir-rooms-provider[^>]*><ir-world-instance[^>]*><ir-media-channel[^>]*><\/ir-media-channel><\/ir-world-instance><\/ir-rooms-provider>$/,
    );
    assert.ok(
      result.accesses.every((access) => access.name !== 'window'),
      'server rendering read window',
    );
  });
});
