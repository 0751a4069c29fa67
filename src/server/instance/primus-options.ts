// The reference server's Primus options. The kit's client (src/transports/instance-socket/primus-wire.ts)
// speaks exactly this: websockets transformer, JSON parser, pathname /primus, Primus' ping/pong.
export const PRIMUS_OPTIONS = {
  transformer: 'websockets',
  pathname: '/primus',
  parser: 'JSON',
  // Heartbeats are the protocol's `[]` actions; Primus' own ping stays on as a liveness check.
  pingInterval: 30_000,
  compression: false,
  maxLength: 128 * 1024,
};
