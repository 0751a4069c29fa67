// Writes docs/elements.md, the elements reference, from custom-elements.json (itself generated from
// the elements' JSDoc by `npm run analyze`), so the reference cannot drift from the code.
// `node scripts/check-docs.mjs` fails when the committed page differs from what this renders.
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const ELEMENTS_DOC = join('docs', 'elements.md');

/** Markdown table cell: one line, pipes escaped (GFM honours `\|` inside code spans too). */
function cell(text) {
  return (text ?? '').replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

function code(text) {
  return text ? `\`${text}\`` : '';
}

/** A Markdown table; a column that is empty in every row (no CSS property has a default, say) is left out. */
function table(allHeaders, allRows) {
  if (allRows.length === 0) return [];
  const kept = allHeaders.map((_, index) => index).filter((index) => allRows.some((row) => row[index]));
  const headers = kept.map((index) => allHeaders[index]);
  const rows = allRows.map((row) => kept.map((index) => row[index]));
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
    '',
  ];
}

function isPublic(member) {
  return (
    member.privacy !== 'private' &&
    member.privacy !== 'protected' &&
    !member.name.startsWith('#') &&
    !member.name.startsWith('_') &&
    !member.static
  );
}

function signature(method) {
  const params = (method.parameters ?? [])
    .map(
      (p) =>
        `${p.rest ? '...' : ''}${p.name}${p.optional || p.default !== undefined ? '?' : ''}${p.type ? `: ${p.type.text}` : ''}`,
    )
    .join(', ');
  const returns = method.return?.type?.text;
  return `${method.name}(${params})${returns ? `: ${returns}` : ''}`;
}

function section(title, lines) {
  return lines.length === 0 ? [] : [`### ${title}`, '', ...lines];
}

function renderElement(element, modulePath) {
  const members = (element.members ?? []).filter(isPublic);
  const fields = members.filter((m) => m.kind === 'field');
  const methods = members.filter((m) => m.kind === 'method');
  const byField = new Map(fields.map((field) => [field.name, field]));

  const attributes = (element.attributes ?? []).map((attribute) => {
    const field = attribute.fieldName ? byField.get(attribute.fieldName) : undefined;
    return [
      `${code(attribute.name)}${field?.reflects ? ' (reflected)' : ''}`,
      code(attribute.fieldName),
      code(attribute.type?.text),
      code(attribute.default ?? field?.default),
      attribute.description ?? field?.description,
    ];
  });
  const properties = fields
    .filter((field) => !field.attribute)
    .map((field) => [
      code(field.name),
      code(field.type?.text),
      field.readonly ? 'read-only' : 'read/write',
      field.description,
    ]);

  return [
    `## \`<${element.tagName}>\``,
    '',
    `\`${element.name}\`, defined in [\`${modulePath}\`](../${modulePath}).`,
    ...(element.summary ? ['', `**${element.summary.trim()}**`] : []),
    ...(element.description ? ['', element.description.trim()] : []),
    '',
    ...section('Attributes', table(['attribute', 'property', 'type', 'default', 'description'], attributes)),
    ...section('Properties', table(['property', 'type', 'access', 'description'], properties)),
    ...section(
      'Methods',
      table(
        ['method', 'description'],
        methods.map((method) => [code(signature(method)), method.description]),
      ),
    ),
    ...section(
      'Events',
      table(
        ['event', 'class', 'description'],
        (element.events ?? []).map((event) => [code(event.name), code(event.type?.text), event.description]),
      ),
    ),
    ...section(
      'Slots',
      table(
        ['slot', 'description'],
        (element.slots ?? []).map((slot) => [slot.name ? code(slot.name) : '(default)', slot.description]),
      ),
    ),
    ...section(
      'CSS parts',
      table(
        ['part', 'description'],
        (element.cssParts ?? []).map((part) => [code(part.name), part.description]),
      ),
    ),
    ...section(
      'CSS custom properties',
      table(
        ['property', 'default', 'description'],
        (element.cssProperties ?? []).map((property) => [
          code(property.name),
          code(property.default),
          property.description,
        ]),
      ),
    ),
  ];
}

/** The unformatted Markdown of the reference for a parsed custom-elements.json. */
export function renderElementsDoc(manifest) {
  const elements = manifest.modules
    .flatMap((module) =>
      (module.declarations ?? [])
        .filter((declaration) => declaration.customElement && declaration.tagName)
        .map((element) => ({ element, path: module.path })),
    )
    .sort((a, b) => a.element.tagName.localeCompare(b.element.tagName));
  if (elements.length === 0) throw new Error('custom-elements.json declares no custom element');
  return [
    '# Elements reference',
    '',
    '<!-- Generated by scripts/generate-elements-doc.mjs from custom-elements.json: do not edit by hand. -->',
    '<!-- Run `npm run analyze && npm run docs:elements` after changing an element. -->',
    '',
    "Every element's attributes, properties, methods, events, slots, CSS parts and CSS custom",
    'properties, as the JSDoc of `src/elements/` declares them. How to use them together is in',
    '[embedding.md](embedding.md).',
    '',
    ...elements.map(({ element }) => `- [\`<${element.tagName}>\`](#${element.tagName})`),
    '',
    ...elements.flatMap(({ element, path }) => renderElement(element, path)),
  ].join('\n');
}

/** `text` as Biome formats Markdown, so the generated page passes `npm run lint` unchanged. */
export function formatMarkdown(text, path = ELEMENTS_DOC) {
  const biome = join(root, 'node_modules', '.bin', 'biome');
  const run = spawnSync(biome, ['format', `--stdin-file-path=${path}`], { cwd: root, input: text, encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(`biome format failed (exit ${run.status ?? run.signal}): ${run.stderr || run.error?.message}`);
  }
  return run.stdout;
}

/** The formatted reference for the committed custom-elements.json. */
export function generateElementsDoc() {
  const manifest = JSON.parse(readFileSync(join(root, 'custom-elements.json'), 'utf8'));
  return formatMarkdown(renderElementsDoc(manifest));
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
})();
if (invokedDirectly) {
  writeFileSync(join(root, ELEMENTS_DOC), generateElementsDoc());
  console.log(`generate-elements-doc: wrote ${ELEMENTS_DOC}`);
}
