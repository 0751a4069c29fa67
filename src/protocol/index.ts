/** Wire types and runtime validation shared by the kit and the reference server (no DOM, no Node). */
export * from './common.js';
export * from './data.js';
export * from './errors.js';
export * from './http-status.js';
export * from './mediasoup.js';
export { parseWire, type WireResult } from './parse.js';
export * from './provisioning.js';
export * from './socket.js';
