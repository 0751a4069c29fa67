// notepack.io's browser build, imported by path (the package's typings describe its Node build, which
// takes and returns Buffers): ArrayBuffers in and out, wherever the kit runs.
declare module 'notepack.io/browser/encode.js' {
  export default function encode(value: unknown): ArrayBuffer;
}
declare module 'notepack.io/browser/decode.js' {
  export default function decode(buffer: ArrayBuffer | ArrayBufferView): unknown;
}
