/** `{A: 'A', B: 'B'}` from `['A', 'B']`: a set of string constants, each written once. */
export function namesOf<const Name extends string>(names: readonly Name[]): { readonly [N in Name]: N } {
  return Object.freeze(Object.fromEntries(names.map((name) => [name, name]))) as { readonly [N in Name]: N };
}
