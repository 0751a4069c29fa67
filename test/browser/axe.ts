/**
 * The accessibility check of the browser tests: axe-core over one element, shadow roots included,
 * failing on serious or critical violations with a message that names each rule and node.
 */
// axe-core is a UMD script: imported as a module it registers `window.axe` (as chai-a11y-axe relies on).
import 'axe-core';
import type { AxeResults, ImpactValue, NodeResult, Result, RunOptions } from 'axe-core';

type Axe = typeof import('axe-core');

function loadedAxe(): Axe {
  const axe = (globalThis as { axe?: Axe }).axe;
  if (!axe) throw new Error('axe-core did not register window.axe');
  return axe;
}

export interface A11yCheckOptions {
  /** Rule ids to skip, each with a reason in the caller (e.g. a third-party part outside our control). */
  disableRules?: string[];
  /** The impacts that fail the check; serious and critical unless given. */
  impacts?: ImpactValue[];
}

/** axe refuses to run twice at once ("Axe is already running"), so runs queue behind each other. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs axe-core on `element` and its subtree. The element may itself sit inside shadow roots:
 * axe builds its tree from the whole document through open shadow roots, and the node given as
 * context is found in that tree.
 */
export function a11yResults(element: Element, options: A11yCheckOptions = {}): Promise<AxeResults> {
  // Frames are other documents without axe in them (axe would wait for their answer): each is
  // checked where it is rendered.
  const runOptions: RunOptions = { resultTypes: ['violations'], iframes: false };
  if (options.disableRules?.length) {
    runOptions.rules = Object.fromEntries(options.disableRules.map((id) => [id, { enabled: false }]));
  }
  const run = queue.then(() => loadedAxe().run(element, runOptions));
  queue = run.catch(() => undefined);
  return run;
}

/** axe's target: one entry per frame, each a selector or a chain of selectors through shadow roots. */
function selectorOf(target: NodeResult['target']): string {
  return target.map((step) => (Array.isArray(step) ? step.join(' >>> ') : String(step))).join(' | ');
}

/** A readable list: rule, impact, what it wants, and each failing node with axe's summary. */
export function describeViolations(violations: Result[]): string {
  return violations
    .map((violation) => {
      const nodes = violation.nodes
        .map((node) => `    at ${selectorOf(node.target)}\n      ${node.failureSummary ?? ''}`)
        .join('\n');
      return `  ${violation.id} (${violation.impact}): ${violation.help} <${violation.helpUrl}>\n${nodes}`;
    })
    .join('\n');
}

/** Fails with every serious or critical violation axe-core finds in `element` (shadow DOM included). */
export async function expectNoSeriousA11yViolations(element: Element, options: A11yCheckOptions = {}): Promise<void> {
  const impacts = options.impacts ?? ['serious', 'critical'];
  const results = await a11yResults(element, options);
  const failing = results.violations.filter((violation) => violation.impact && impacts.includes(violation.impact));
  if (failing.length > 0) {
    const name = element.localName;
    throw new Error(
      `axe-core found ${failing.length} ${impacts.join('/')} violation(s) in <${name}>:\n${describeViolations(failing)}`,
    );
  }
}
