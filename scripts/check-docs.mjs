// Fails when the docs have drifted from the code: docs/elements.md differs from what
// scripts/generate-elements-doc.mjs renders from custom-elements.json, a flag of
// `ir-rooms serve` is missing from docs/server.md, or a relative link in README.md or docs/
// points at a file that does not exist.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ELEMENTS_DOC, generateElementsDoc, root } from './generate-elements-doc.mjs';

const problems = [];

// 1. The elements reference is generated, never edited.
const committedPath = join(root, ELEMENTS_DOC);
if (!existsSync(committedPath)) {
  problems.push(`${ELEMENTS_DOC} is missing: run \`npm run docs:elements\` and commit it`);
} else {
  const committed = readFileSync(committedPath, 'utf8');
  const fresh = generateElementsDoc();
  if (committed !== fresh) {
    const committedLines = committed.split('\n');
    const freshLines = fresh.split('\n');
    const index = freshLines.findIndex((line, i) => line !== committedLines[i]);
    const line = index === -1 ? freshLines.length : index;
    problems.push(
      `${ELEMENTS_DOC} is stale: it differs from what custom-elements.json generates (first at line ${line + 1})\n` +
        `    committed: ${committedLines[line] ?? '(end of file)'}\n` +
        `    generated: ${freshLines[line] ?? '(end of file)'}\n` +
        '  Run `npm run analyze && npm run docs:elements` and commit both files.',
    );
  }
}

// 2. Every command-line flag is documented (the names come from cli.ts's parseArgs options).
const cli = readFileSync(join(root, 'src', 'server', 'cli.ts'), 'utf8');
const flags = [...cli.matchAll(/^\s+'?([a-z][a-z-]*)'?: \{ type: '(?:string|boolean)'/gm)]
  .map((match) => `--${match[1]}`)
  .filter((flag) => flag !== '--help');
if (flags.length === 0) problems.push('found no flags in src/server/cli.ts: has its parseArgs call changed shape?');
const serverDoc = readFileSync(join(root, 'docs', 'server.md'), 'utf8');
for (const flag of flags) {
  if (!new RegExp(`${flag}(?![a-z-])`).test(serverDoc)) {
    problems.push(`docs/server.md does not mention ${flag} (a flag of src/server/cli.ts)`);
  }
}

// 3. Relative links resolve (a renamed or removed file breaks them silently otherwise).
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
for (const page of pages) {
  const text = readFileSync(join(root, page), 'utf8').replace(/```[\s\S]*?```/g, '');
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z][a-z+.-]*:/i.test(target) || target.startsWith('#')) continue;
    const file = target.split('#')[0];
    if (!existsSync(join(root, dirname(page), decodeURIComponent(file)))) {
      problems.push(`${page} links to ${target}, which does not exist`);
    }
  }
}

if (problems.length > 0) {
  console.error(`check-docs: ${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(
  `check-docs: ${ELEMENTS_DOC} is up to date; ${flags.length} CLI flags documented; links in ${pages.length} pages resolve`,
);
