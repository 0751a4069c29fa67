// Primus options shared by the reference server and the generated browser client: they must agree.
export const PRIMUS_OPTIONS = {
  transformer: 'websockets',
  pathname: '/primus',
  parser: 'JSON',
  // Heartbeats are the protocol's `[]` actions; Primus' own ping stays on as a liveness check.
  pingInterval: 30_000,
  compression: false,
  maxLength: 128 * 1024,
};
