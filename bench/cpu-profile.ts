/**
 * A CPU profile of this process over a window, summed up as shares of the busy time by category,
 * so a benchmark that misses its goal can say what dominates (a profile, not a guess).
 */
import type { Profiler } from 'node:inspector';
import { Session } from 'node:inspector/promises';

/** A label and what a stack frame's `url` or `functionName` matches when it belongs there. */
export type Category = readonly [label: string, match: RegExp];

export interface Share {
  label: string;
  /** Percent of the samples in which the process was busy (not idle). */
  percent: number;
}

/** Starts the profiler; the function it returns stops it and answers the profile. */
export async function startProfile(): Promise<() => Promise<Profiler.Profile>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    return profile;
  };
}

/**
 * Each busy sample goes to the category of the innermost frame of its stack that matches one
 * (`writev` under `sendJson` under the router is "writing", not "routing"), else to "other";
 * garbage collection is a category of its own.
 */
export function sharesOf(profile: Profiler.Profile, categories: readonly Category[]): Share[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const time = new Map<string, number>();
  let busy = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (const [i, id] of samples.entries()) {
    const leaf = nodes.get(id)!.callFrame.functionName;
    if (leaf === '(idle)' || leaf === '(program)') continue;
    const delta = deltas[i] ?? 0;
    busy += delta;
    let label = leaf === '(garbage collector)' ? 'garbage collection' : undefined;
    for (let at: number | undefined = id; at !== undefined && label === undefined; at = parents.get(at)) {
      const frame = nodes.get(at)!.callFrame;
      label = categories.find(([, match]) => match.test(frame.url) || match.test(frame.functionName))?.[0];
    }
    label ??= 'other';
    time.set(label, (time.get(label) ?? 0) + delta);
  }
  return [...time]
    .map(([label, t]) => ({ label, percent: Math.round((100 * t) / Math.max(busy, 1)) }))
    .sort((a, b) => b.percent - a.percent);
}
