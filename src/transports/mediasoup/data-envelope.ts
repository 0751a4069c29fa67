/**
 * The data message framing of the SFU path: a client sends msgpack `DataEnvelope {ch, d, to?}`, the
 * host forwards msgpack `[fromPeerIndex, {ch, d}]`. Strings and binary travel as such; anything
 * else with JSON's semantics, so both topologies deliver the same values.
 */
import { IrError } from '../../core/errors.js';
import {
  binaryCopy,
  type DataEnvelope,
  DEFAULT_MESSAGE_CHANNEL,
  MAX_DATA_MESSAGE_BYTES,
  parseWire,
} from '../../protocol/index.js';
import { decode, encode } from '../msgpack.js';
import { ForwardedData } from './replies.js';

function payloadOf(data: unknown): unknown {
  if (typeof data === 'string') return data;
  // notepack writes an ArrayBuffer as bin (a typed array would become a map of its indices).
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data)) return binaryCopy(data);
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
    // notepack's browser decoder reads a view's bin at the wrong offset: hand it a buffer of its own.
    if (message instanceof ArrayBuffer) raw = decode(message);
    else if (ArrayBuffer.isView(message)) raw = decode(binaryCopy(message));
    else return null;
  } catch {
    return null;
  }
  const parsed = parseWire(ForwardedData, raw);
  if (!parsed.ok) return null;
  const [fromPeerIndex, { ch, d }] = parsed.value;
  // msgpack bin comes back as an ArrayBuffer of its own (a copy), as the kit hands it to apps.
  return { fromPeerIndex, channel: ch, data: d };
}
