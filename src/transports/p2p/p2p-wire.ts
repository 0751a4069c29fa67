/**
 * What travels on P2P data connections (msgpack): the app's data as `{ch, d}` (PROTOCOL.md's
 * DataEnvelope without `to`, which only the sender needs), and a small control message that says
 * which media a peer sends and which of it is paused. Everything a peer sends is validated here.
 */
import * as v from 'valibot';
import { IrError } from '../../core/errors.js';
import { binaryCopy, MAX_DATA_MESSAGE_BYTES, MediaSource, parseWire } from '../../protocol/index.js';
import { decode, encode } from '../msgpack.js';

const Source = v.picklist(Object.values(MediaSource));
const Sources = v.pipe(v.array(Source), v.maxLength(Object.values(MediaSource).length));

/** A data message: the app's channel and its data. */
const DataFrame = v.strictObject({ ch: v.pipe(v.string(), v.minLength(1), v.maxLength(256)), d: v.unknown() });

/**
 * The media a peer sends to us: `call` names its current call (null: none), `sources` the tracks of
 * that call in transceiver order, `paused` those it paused (mute state everyone sees).
 */
export const MediaState = v.strictObject({
  call: v.nullable(v.pipe(v.string(), v.maxLength(64))),
  sources: Sources,
  paused: Sources,
});
export type MediaState = v.InferOutput<typeof MediaState>;

const ControlFrame = v.strictObject({ c: v.literal('media'), s: MediaState });

export type Frame = { kind: 'data'; channel: string; data: unknown } | { kind: 'media'; state: MediaState };

/** JSON-able data travels as its JSON value, so both paths deliver the same thing (Dates as strings, …). */
function normalise(data: unknown): unknown {
  if (typeof data === 'string') return data;
  // notepack writes an ArrayBuffer as bin (a typed array would become a map of its indices).
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data)) return binaryCopy(data);
  const text = JSON.stringify(data);
  if (text === undefined) throw IrError.invalidArgument('send() takes a string, binary data or a JSON-encodable value');
  return JSON.parse(text) as unknown;
}

function checkSize(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength > MAX_DATA_MESSAGE_BYTES) {
    throw IrError.invalidArgument(
      `the message is ${bytes.byteLength} bytes encoded; the limit is ${MAX_DATA_MESSAGE_BYTES}`,
    );
  }
  return bytes;
}

export function encodeData(channel: string, data: unknown): Uint8Array {
  return checkSize(encode({ ch: channel, d: normalise(data) }));
}

export function encodeMediaState(state: MediaState): Uint8Array {
  return checkSize(encode({ c: 'media', s: state }));
}

/** Decodes a frame from a peer; a string describes why it was refused. */
export function decodeFrame(raw: unknown): Frame | string {
  if (!(raw instanceof ArrayBuffer)) return `not binary (${typeof raw})`;
  if (raw.byteLength > MAX_DATA_MESSAGE_BYTES + 64) return `oversized (${raw.byteLength} bytes)`;
  let value: unknown;
  try {
    value = decode(raw);
  } catch (error) {
    return `not msgpack (${(error as Error).message})`;
  }
  if (value !== null && typeof value === 'object' && 'c' in value) {
    const control = parseWire(ControlFrame, value);
    return control.ok ? { kind: 'media', state: control.value.s } : `bad control message: ${control.message}`;
  }
  const frame = parseWire(DataFrame, value);
  if (!frame.ok) return `bad data message: ${frame.message}`;
  // Binary arrives as msgpack bin, decoded into an ArrayBuffer of its own.
  return { kind: 'data', channel: frame.value.ch, data: frame.value.d };
}

/** The metadata of a call: the sender's media state at the time of the call. */
export function parseCallMetadata(metadata: unknown): MediaState | string {
  const parsed = parseWire(MediaState, metadata);
  return parsed.ok ? parsed.value : `bad call metadata: ${parsed.message}`;
}
