/** One way to validate anything that came from the network. */
import * as v from 'valibot';

export type WireResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Validates `input` with `schema`; the message names the first offending field. */
export function parseWire<S extends v.GenericSchema>(schema: S, input: unknown): WireResult<v.InferOutput<S>> {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.');
  return { ok: false, message: path ? `${path}: ${issue.message}` : issue.message };
}
