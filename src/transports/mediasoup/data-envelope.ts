/**
 * The data message framing of the SFU path: a client sends msgpack `DataEnvelope {ch, d, to?}`, the
 * host forwards msgpack `[fromPeerIndex, {ch, d}]`. Strings and binary travel as such; anything
 * else with JSON's semantics, so both topologies deliver the same values.
 */
import { decode, encode } from '@msgpack/msgpack';
import { IrError } from '../../core/errors.js';
import { type DataEnvelope, DEFAULT_MESSAGE_CHANNEL, MAX_DATA_MESSAGE_BYTES, parseWire } from '../../protocol/index.js';
import { ForwardedData } from './replies.js';

function payloadOf(data: unknown): unknown {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const json = JSON.stringify(data);
  if (json === undefined) throw IrError.invalidArgument('send(): the data has no JSON form');
  return JSON.parse(json);
}

/** Encodes a message; too big → INVALID_ARGUMENT (the host would drop it anyway). */
export function encodeEnvelope(data: unknown, channel: string | undefined, to: string | string[] | undefined) {
  const envelope: DataEnvelope = { ch: channel ?? DEFAULT_MESSAGE_CHANNEL, d: payloadOf(data) };
  if (to !== undefined) envelope.to = Array.isArray(to) ? to : [to];
  const bytes = encode(envelope);
  if (bytes.byteLength > MAX_DATA_MESSAGE_BYTES) {
    throw IrError.invalidArgument(
      `send(): the message is ${bytes.byteLength} bytes encoded, more than ${MAX_DATA_MESSAGE_BYTES}`,
    );
  }
  return bytes;
}

export interface Forwarded {
  fromPeerIndex: number;
  channel: string;
  data: unknown;
}

/** Decodes what the host forwarded; `null` for anything that is not a forwarded envelope. */
export function decodeForwarded(message: unknown): Forwarded | null {
  let raw: unknown;
  try {
    if (message instanceof ArrayBuffer || ArrayBuffer.isView(message)) raw = decode(message);
    else return null;
  } catch {
    return null;
  }
  const parsed = parseWire(ForwardedData, raw);
  if (!parsed.ok) return null;
  const [fromPeerIndex, { ch, d }] = parsed.value;
  // msgpack bin comes back as a Uint8Array view; the kit hands apps an ArrayBuffer of its own.
  const data = d instanceof Uint8Array ? d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength) : d;
  return { fromPeerIndex, channel: ch, data };
}
