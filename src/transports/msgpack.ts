/**
 * msgpack for the kit's data messages, from notepack.io's browser build (2.6 KB gzipped, against
 * 5.7 KB for @msgpack/msgpack, which the server keeps): the same bytes on the wire. Its quirks, which
 * callers handle: binary must be an ArrayBuffer to be written as bin (a typed array becomes a map of
 * its indices), bin decodes to an ArrayBuffer of its own, and a view is decoded from the start of its
 * buffer, so only whole ArrayBuffers are passed to `decode`.
 */
import notepackDecode from 'notepack.io/browser/decode.js';
import notepackEncode from 'notepack.io/browser/encode.js';

export function encode(value: unknown): Uint8Array {
  return new Uint8Array(notepackEncode(value));
}

export function decode(buffer: ArrayBuffer): unknown {
  return notepackDecode(buffer);
}
